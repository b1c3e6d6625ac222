package providers

import (
	"context"
	"errors"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Company is what a company registry knows of a CNPJ.
type Company struct {
	// CNPJ is the number looked up (the branch asked about; everything else belongs to its root).
	CNPJ lending.CNPJ
	// LegalName is the razão social as the Receita Federal shows it: upper case, without accents
	// ("PADARIA BOA VISTA COMERCIO DE ALIMENTOS LTDA").
	LegalName string
	// TradingName is the nome fantasia, in mixed case; it may be "".
	TradingName string
	LegalNature lending.LegalNature
	// Partners is the quadro de sócios e administradores (QSA). MEI, EI, SLU and EIRELI have exactly one:
	// the owner.
	Partners []lending.Person
	// Status is the registration status: "ativa", "baixada", "inapta" or "suspensa".
	Status string
	// OpenedOn is the date of opening, at UTC midnight.
	OpenedOn time.Time
}

// Company registration statuses (situação cadastral). Any status but CompanyActive means the company
// cannot borrow.
const (
	CompanyActive    = "ativa"
	CompanyClosed    = "baixada"
	CompanyUnfit     = "inapta"
	CompanySuspended = "suspensa"
)

// Registry looks up companies and people. Errors other than ErrNotFound are transient (the caller
// retries).
type Registry interface {
	// Company returns what the registry knows of cnpj, or ErrNotFound.
	Company(ctx context.Context, cnpj lending.CNPJ) (Company, error)
	// PersonName returns the name on record for cpf, or ErrNotFound.
	PersonName(ctx context.Context, cpf lending.CPF) (string, error)
}

// ErrNotFound is a registry's answer for a number it does not know. It is final: retrying does not help.
var ErrNotFound = errors.New("providers: not found")

// ErrUnavailable is the sandbox registry's transient failure (see MagicUnavailable); like any error but
// ErrNotFound, the caller retries it.
var ErrUnavailable = errors.New("providers: registry unavailable")
