package providers

import (
	"context"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Bureau reports a customer's credit profile: what a credit bureau (Serasa Experian, Boa Vista, the
// Central Bank's SCR) says of a company and of the person applying for it. Errors other than ErrNotFound
// are transient (the caller retries).
type Bureau interface {
	// Profile returns the credit profile of the company q.CNPJ with q.CPF applying, or ErrNotFound when
	// the bureau does not know the company.
	Profile(ctx context.Context, q BureauQuery) (lending.CreditProfile, error)
}

// BureauQuery is who a bureau is asked about.
type BureauQuery struct {
	// CNPJ is the company; its branch is the one applying (the bureau scores the whole company).
	CNPJ lending.CNPJ
	// CPF is the applicant, whose own record counts too; the zero value asks about the company alone.
	CPF lending.CPF
	// LegalNature is the company's, as the registry reported it: some bureaus need it (a MEI's revenue is
	// bounded by law and it is always in the Simples Nacional). The zero value means unknown.
	LegalNature lending.LegalNature
}
