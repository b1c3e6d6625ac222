// Package wire holds the partner-visible JSON shapes of domain objects that more than one transport
// sends: the REST answers and the webhook events carry the same customer and KYC shapes (contract.md §6,
// §8), so they are built in one place.
package wire

import (
	"fmt"

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
