// Package wire holds the partner-visible JSON shapes of domain objects that more than one transport
// sends: the REST answers and the webhook events carry the same customer and KYC shapes (contract.md §6,
// §8), so they are built in one place.
package wire

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Subject is a KycSubject (contract.md §6.15).
type Subject struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	SubjectType string `json:"subject_type"`
}

// Attachment is one slot of a submission.
type Attachment struct {
	AttachmentType string `json:"attachment_type"`
	Submitted      bool   `json:"submitted"`
}

// Submitted is a requirement's submission and its review.
type Submitted struct {
	EvidenceType string       `json:"evidence_type"`
	Attachments  []Attachment `json:"attachments"`
	ReviewStatus string       `json:"review_status"`
	ReviewReason *string      `json:"review_reason"`
}

// Requirement is a KycRequirement. Subject is absent on company requirements and Submitted until
// something is uploaded.
type Requirement struct {
	RequirementID   string     `json:"requirement_id"`
	RequirementType string     `json:"requirement_type"`
	Label           string     `json:"label"`
	Mandatory       bool       `json:"mandatory"`
	Subject         *Subject   `json:"subject,omitempty"`
	Submitted       *Submitted `json:"submitted,omitempty"`
}

// KYC returns the wire form of reqs (an empty, non-nil slice when there are none).
func KYC(reqs []lending.Requirement) []Requirement {
	out := make([]Requirement, len(reqs))
	for i, r := range reqs {
		w := Requirement{RequirementID: r.ID, RequirementType: string(r.Type), Label: r.Label, Mandatory: r.Mandatory}
		if r.Subject != nil {
			w.Subject = &Subject{ID: r.Subject.ID, Name: r.Subject.Name, SubjectType: string(r.Subject.Type)}
		}
		if s := r.Submitted; s != nil {
			sub := &Submitted{EvidenceType: s.EvidenceType, ReviewStatus: string(s.ReviewStatus), ReviewReason: s.ReviewReason,
				Attachments: make([]Attachment, len(s.Attachments))}
			for j, a := range s.Attachments {
				sub.Attachments[j] = Attachment{AttachmentType: a.Type, Submitted: a.Submitted}
			}
			w.Submitted = sub
		}
		out[i] = w
	}
	return out
}

// Customer is the Customer resource (contract.md §6.1).
type Customer struct {
	ID          string        `json:"id"`
	ExternalID  *string       `json:"external_id"`
	Name        *string       `json:"name"`
	Email       string        `json:"email"`
	Phone       string        `json:"phone"`
	CPF         string        `json:"cpf"`
	CNPJ        *string       `json:"cnpj"`
	TradingName *string       `json:"trading_name"`
	Status      string        `json:"status"`
	KYC         []Requirement `json:"kyc,omitempty"`
	CreatedAt   int64         `json:"created_at"`
	UpdatedAt   int64         `json:"updated_at"`
}

func cnpjOf(c lending.Customer) *string {
	if c.CNPJ == "" {
		return nil
	}
	s := c.CNPJ.Format()
	return &s
}

// CustomerOf returns the wire form of c; `kyc` is absent while the customer is creating.
func CustomerOf(c lending.Customer) Customer {
	out := Customer{ID: c.ID, ExternalID: c.ExternalID, Name: c.Name, Email: c.Email, Phone: c.Phone,
		CPF: c.CPF.Format(), CNPJ: cnpjOf(c), TradingName: c.TradingName, Status: string(c.Status),
		CreatedAt: c.CreatedAt.Unix(), UpdatedAt: c.UpdatedAt.Unix()}
	if c.KYC != nil {
		out.KYC = KYC(c.KYC)
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// CustomerEventData returns the `data` of a customer event of type typ about c (contract.md §8.1):
// each type has its own bespoke payload, not the REST resource.
func CustomerEventData(typ string, c lending.Customer) (any, error) {
	switch typ {
	case lending.EventCustomerCreated:
		return struct {
			ID          string        `json:"id"`
			ExternalID  *string       `json:"external_id"`
			Name        string        `json:"name"`
			Email       string        `json:"email"`
			Phone       string        `json:"phone"`
			CPF         string        `json:"cpf"`
			CNPJ        *string       `json:"cnpj"`
			TradingName string        `json:"trading_name"`
			Status      string        `json:"status"`
			KYC         []Requirement `json:"kyc"`
		}{c.ID, c.ExternalID, deref(c.Name), c.Email, c.Phone, c.CPF.Format(), cnpjOf(c), deref(c.TradingName),
			string(c.Status), KYC(c.KYC)}, nil
	case lending.EventCustomerUnderReview, lending.EventCustomerActive:
		return struct {
			ID         string  `json:"id"`
			ExternalID *string `json:"external_id"`
			Status     string  `json:"status"`
		}{c.ID, c.ExternalID, string(c.Status)}, nil
	case lending.EventCustomerDenied:
		return struct {
			ID         string  `json:"id"`
			ExternalID *string `json:"external_id"`
			Name       string  `json:"name"`
			Email      string  `json:"email"`
			Phone      string  `json:"phone"`
			CPF        string  `json:"cpf"`
			CNPJ       *string `json:"cnpj"`
			Status     string  `json:"status"`
		}{c.ID, c.ExternalID, deref(c.Name), c.Email, c.Phone, c.CPF.Format(), cnpjOf(c), string(c.Status)}, nil
	case lending.EventCustomerKYCUpdated:
		return struct {
			ID         string        `json:"id"`
			ExternalID *string       `json:"external_id"`
			Status     string        `json:"status"`
			KYC        []Requirement `json:"kyc"`
		}{c.ID, c.ExternalID, string(c.Status), KYC(c.KYC)}, nil
	}
	return nil, fmt.Errorf("wire: %q is not a customer event", typ)
}

// BankAccount is a CustomerBankAccount (contract.md §6.8).
type BankAccount struct {
	ID        string `json:"id"`
	BankID    string `json:"bank_id"`
	BankName  string `json:"bank_name"`
	Kind      string `json:"kind"`
	Branch    string `json:"branch"`
	Number    string `json:"number"`
	Digit     string `json:"digit"`
	UpdatedAt int64  `json:"updated_at"`
}

// BankAccountOf returns the wire form of a.
func BankAccountOf(a lending.BankAccount) BankAccount {
	return BankAccount{ID: a.ID, BankID: a.BankID, BankName: a.BankName, Kind: string(a.Kind), Branch: a.Branch,
		Number: a.Number, Digit: a.Digit, UpdatedAt: a.UpdatedAt.Unix()}
}

// CreditOffer is a CreditOffer (contract.md §6.2): the fixed variant carries `installments`, the range
// variant `min_installments` and `max_installments`.
type CreditOffer struct {
	ID                  string      `json:"id"`
	CustomerID          string      `json:"customer_id"`
	ExternalID          *string     `json:"external_id,omitempty"`
	Status              string      `json:"status"`
	ApprovedAmount      json.Number `json:"approved_amount"`
	MinAmount           json.Number `json:"min_amount"`
	MonthlyInterestRate json.Number `json:"monthly_interest_rate"`
	DueDateRule         *string     `json:"due_date_rule"`
	Installments        *int        `json:"installments,omitempty"`
	MinInstallments     *int        `json:"min_installments,omitempty"`
	MaxInstallments     *int        `json:"max_installments,omitempty"`
	ValidUntil          int64       `json:"valid_until"`
	CreatedAt           int64       `json:"created_at"`
	UpdatedAt           int64       `json:"updated_at"`
}

// CreditOfferOf returns the wire form of o as it stands at now (an available offer past valid_until
// shows as expired even before the sweep marks it).
func CreditOfferOf(o lending.CreditOffer, now time.Time) CreditOffer {
	out := CreditOffer{ID: o.ID, CustomerID: o.CustomerID, ExternalID: o.ExternalID, Status: string(o.StatusAt(now)),
		ApprovedAmount: lending.Reais(o.ApprovedAmount), MinAmount: lending.Reais(o.MinAmount),
		MonthlyInterestRate: json.Number(o.MonthlyRate), ValidUntil: o.ValidUntil.Unix(),
		CreatedAt: o.CreatedAt.Unix(), UpdatedAt: o.UpdatedAt.Unix()}
	if o.Installments > 0 {
		n := o.Installments
		out.Installments = &n
	} else {
		lo, hi := o.MinInstallments, o.MaxInstallments
		out.MinInstallments, out.MaxInstallments = &lo, &hi
	}
	return out
}

// CreditOfferEventData returns the `data` of a credit_offer event about o (contract.md §8.1): always one
// `installments` number and a required, nullable external_id.
func CreditOfferEventData(o lending.CreditOffer) any {
	return struct {
		ID                  string      `json:"id"`
		CustomerID          string      `json:"customer_id"`
		ExternalID          *string     `json:"external_id"`
		Status              string      `json:"status"`
		ApprovedAmount      json.Number `json:"approved_amount"`
		MinAmount           json.Number `json:"min_amount"`
		MonthlyInterestRate json.Number `json:"monthly_interest_rate"`
		Installments        int         `json:"installments"`
		DueDateRule         *string     `json:"due_date_rule"`
		ValidUntil          int64       `json:"valid_until"`
	}{o.ID, o.CustomerID, o.ExternalID, string(o.Status), lending.Reais(o.ApprovedAmount), lending.Reais(o.MinAmount),
		json.Number(o.MonthlyRate), o.InstallmentsForEvent(), nil, o.ValidUntil.Unix()}
}

// Simulation is a Simulation (contract.md §6.3).
type Simulation struct {
	ID                  string      `json:"id"`
	CreditOfferID       string      `json:"credit_offer_id"`
	RequestedAmount     json.Number `json:"requested_amount"`
	PrincipalAmount     json.Number `json:"principal_amount"`
	InterestAmount      json.Number `json:"interest_amount"`
	IOFAmount           json.Number `json:"iof_amount"`
	FeeAmount           json.Number `json:"fee_amount"`
	TotalAmount         json.Number `json:"total_amount"`
	MonthlyInterestRate json.Number `json:"monthly_interest_rate"`
	AnnualInterestRate  json.Number `json:"annual_interest_rate"`
	MonthlyCETRate      json.Number `json:"monthly_cet_rate"`
	AnnualCETRate       json.Number `json:"annual_cet_rate"`
	InstallmentCount    int         `json:"installment_count"`
	InstallmentAmount   json.Number `json:"installment_amount"`
	FirstDueDate        string      `json:"first_due_date"`
	CreatedAt           int64       `json:"created_at"`
}

// SimulationOf returns the wire form of s.
func SimulationOf(s lending.Simulation) Simulation {
	return Simulation{ID: s.ID, CreditOfferID: s.CreditOfferID, RequestedAmount: lending.Reais(s.Requested),
		PrincipalAmount: lending.Reais(s.Principal), InterestAmount: lending.Reais(s.Interest),
		IOFAmount: lending.Reais(s.IOF), FeeAmount: lending.Reais(s.Fee), TotalAmount: lending.Reais(s.Total),
		MonthlyInterestRate: json.Number(s.MonthlyRate), AnnualInterestRate: json.Number(s.AnnualRate),
		MonthlyCETRate: json.Number(s.MonthlyCET), AnnualCETRate: json.Number(s.AnnualCET),
		InstallmentCount: s.InstallmentCount, InstallmentAmount: lending.Reais(s.InstallmentAmount),
		FirstDueDate: s.FirstDueDate, CreatedAt: s.CreatedAt.Unix()}
}

// Loan is a Loan (contract.md §6.4): principal_amount and iof_amount are null until the loan is active;
// signing_url only while it awaits signatures.
type Loan struct {
	ID                  string       `json:"id"`
	CreditOfferID       string       `json:"credit_offer_id"`
	CustomerID          string       `json:"customer_id"`
	SimulationID        string       `json:"simulation_id"`
	Status              string       `json:"status"`
	RequestedAmount     json.Number  `json:"requested_amount"`
	PrincipalAmount     *json.Number `json:"principal_amount"`
	IOFAmount           *json.Number `json:"iof_amount"`
	MonthlyInterestRate json.Number  `json:"monthly_interest_rate"`
	AnnualInterestRate  json.Number  `json:"annual_interest_rate"`
	MonthlyCETRate      json.Number  `json:"monthly_cet_rate"`
	AnnualCETRate       json.Number  `json:"annual_cet_rate"`
	TotalAmount         json.Number  `json:"total_amount"`
	InstallmentCount    int          `json:"installment_count"`
	InstallmentAmount   json.Number  `json:"installment_amount"`
	FirstDueDate        string       `json:"first_due_date"`
	CCBNumber           *string      `json:"ccb_number"`
	DisbursementMethod  *string      `json:"disbursement_method"`
	SigningURL          *string      `json:"signing_url"`
	CreatedAt           int64        `json:"created_at"`
	UpdatedAt           int64        `json:"updated_at"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// SigningURL is the address of a loan's hosted signing page under baseURL.
func SigningURL(baseURL string, l lending.Loan) *string {
	if l.SigningToken == "" || l.Status != lending.LoanAwaitingSignatures {
		return nil
	}
	u := baseURL + "/sign/" + l.SigningToken
	return &u
}

// LoanOf returns the wire form of l; baseURL is where the hosted signing page is reached.
func LoanOf(l lending.Loan, baseURL string) Loan {
	out := Loan{ID: l.ID, CreditOfferID: l.CreditOfferID, CustomerID: l.CustomerID, SimulationID: l.SimulationID,
		Status: string(l.Status), RequestedAmount: lending.Reais(l.Requested),
		MonthlyInterestRate: json.Number(l.MonthlyRate), AnnualInterestRate: json.Number(l.AnnualRate),
		MonthlyCETRate: json.Number(l.MonthlyCET), AnnualCETRate: json.Number(l.AnnualCET),
		TotalAmount: lending.Reais(l.Total), InstallmentCount: l.InstallmentCount,
		InstallmentAmount: lending.Reais(l.InstallmentAmount), FirstDueDate: l.FirstDueDate,
		CCBNumber: optional(l.CCBNumber), DisbursementMethod: optional(l.DisbursementMethod),
		SigningURL: SigningURL(baseURL, l), CreatedAt: l.CreatedAt.Unix(), UpdatedAt: l.UpdatedAt.Unix()}
	if l.DisbursedAt != nil {
		p, iof := lending.Reais(l.Principal), lending.Reais(l.IOF)
		out.PrincipalAmount, out.IOFAmount = &p, &iof
	}
	return out
}

// Transaction is a Transaction (contract.md §6.5): one installment.
type Transaction struct {
	ID              string      `json:"id"`
	LoanID          string      `json:"loan_id"`
	Type            string      `json:"type"`
	Status          string      `json:"status"`
	DueDate         string      `json:"due_date"`
	AmountDue       json.Number `json:"amount_due"`
	AmountPaid      json.Number `json:"amount_paid"`
	AmountRemaining json.Number `json:"amount_remaining"`
	Principal       json.Number `json:"principal"`
	Interest        json.Number `json:"interest"`
	Fees            json.Number `json:"fees"`
	DaysOverdue     int         `json:"days_overdue"`
	PaidAt          *int64      `json:"paid_at"`
	CreatedAt       int64       `json:"created_at"`
	UpdatedAt       int64       `json:"updated_at"`
}

// TransactionOf returns the wire form of installment in.
func TransactionOf(in lending.Installment) Transaction {
	out := Transaction{ID: in.ID, LoanID: in.LoanID, Type: "installment", Status: string(in.Status), DueDate: in.DueDate,
		AmountDue: lending.Reais(in.AmountDue()), AmountPaid: lending.Reais(in.AmountPaid()),
		AmountRemaining: lending.Reais(in.AmountRemaining()), Principal: lending.Reais(in.Principal),
		Interest: lending.Reais(in.Interest), Fees: lending.Reais(in.Fees()), DaysOverdue: in.DaysOverdue,
		CreatedAt: in.CreatedAt.Unix(), UpdatedAt: in.UpdatedAt.Unix()}
	if in.PaidAt != nil {
		at := in.PaidAt.Unix()
		out.PaidAt = &at
	}
	return out
}

// LoanEventData returns the `data` of a loan event of type typ about l (contract.md §8.1). signer is the
// signer of a loan.signature_received, payment the payment of a loan.payment_received.
func LoanEventData(typ string, l lending.Loan, baseURL string, signer *lending.Signer, payment *lending.Payment) (any, error) {
	type status struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	switch typ {
	case lending.EventLoanCreated:
		return struct {
			ID               string      `json:"id"`
			CreditOfferID    string      `json:"credit_offer_id"`
			CustomerID       string      `json:"customer_id"`
			Status           string      `json:"status"`
			RequestedAmount  json.Number `json:"requested_amount"`
			InstallmentCount int         `json:"installment_count"`
			SigningURL       *string     `json:"signing_url"`
		}{l.ID, l.CreditOfferID, l.CustomerID, string(l.Status), lending.Reais(l.Requested), l.InstallmentCount, SigningURL(baseURL, l)}, nil
	case lending.EventLoanSignatureReceived:
		if signer == nil || signer.SignedAt == nil {
			return nil, fmt.Errorf("wire: %s needs its signer", typ)
		}
		type signerData struct {
			Name     string `json:"name"`
			CPF      string `json:"cpf"`
			SignedAt int64  `json:"signed_at"`
		}
		return struct {
			ID                 string     `json:"id"`
			Status             string     `json:"status"`
			Signer             signerData `json:"signer"`
			SignaturesReceived int        `json:"signatures_received"`
			SignaturesRequired int        `json:"signatures_required"`
		}{l.ID, string(lending.LoanAwaitingSignatures), signerData{signer.Name, signer.CPF.Format(), signer.SignedAt.Unix()},
			l.SignaturesReceived(), len(l.Signers)}, nil
	case lending.EventLoanProcessing:
		return struct {
			ID                 string `json:"id"`
			CreditOfferID      string `json:"credit_offer_id"`
			CustomerID         string `json:"customer_id"`
			Status             string `json:"status"`
			CCBNumber          string `json:"ccb_number"`
			DisbursementMethod string `json:"disbursement_method"`
		}{l.ID, l.CreditOfferID, l.CustomerID, string(l.Status), l.CCBNumber, l.DisbursementMethod}, nil
	case lending.EventLoanActive:
		return struct {
			ID              string      `json:"id"`
			Status          string      `json:"status"`
			RequestedAmount json.Number `json:"requested_amount"`
			PrincipalAmount json.Number `json:"principal_amount"`
		}{l.ID, string(l.Status), lending.Reais(l.Requested), lending.Reais(l.Principal)}, nil
	case lending.EventLoanPaymentReceived:
		if payment == nil {
			return nil, fmt.Errorf("wire: %s needs its payment", typ)
		}
		type paymentData struct {
			Amount            json.Number `json:"amount"`
			PaidAt            int64       `json:"paid_at"`
			InstallmentNumber int         `json:"installment_number"`
		}
		return struct {
			ID      string      `json:"id"`
			Status  string      `json:"status"`
			Payment paymentData `json:"payment"`
		}{l.ID, string(lending.LoanActive), paymentData{lending.Reais(payment.Amount), payment.PaidAt.Unix(), payment.InstallmentNumber}}, nil
	case lending.EventLoanFinished, lending.EventLoanCancelled:
		return status{l.ID, string(l.Status)}, nil
	case lending.EventLoanError:
		if l.Failure == nil {
			return nil, fmt.Errorf("wire: %s needs the loan's failure", typ)
		}
		return struct {
			ID     string              `json:"id"`
			Status string              `json:"status"`
			Error  lending.LoanFailure `json:"error"`
		}{l.ID, string(l.Status), *l.Failure}, nil
	}
	return nil, fmt.Errorf("wire: %q is not a loan event", typ)
}
