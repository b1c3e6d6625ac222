package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// CustomerStatus is where a customer is in onboarding (contract.md §7.1).
type CustomerStatus string

// Customer statuses.
const (
	CustomerCreating    CustomerStatus = "creating"
	CustomerPendingKYC  CustomerStatus = "pending_kyc"
	CustomerUnderReview CustomerStatus = "under_review"
	CustomerActive      CustomerStatus = "active"
	CustomerDenied      CustomerStatus = "denied"
)

// Customer is a customer: a company and the person applying for it (contract.md §6.1).
type Customer struct {
	ID         string  `json:"id"`
	ExternalID *string `json:"external_id"`
	Name       *string `json:"name"`
	Email      string  `json:"email"`
	Phone      string  `json:"phone"`
	// CPF is formatted, as "529.982.247-25"; CNPJ too, as "12.340.003/0006-68".
	CPF         string         `json:"cpf"`
	CNPJ        *string        `json:"cnpj"`
	TradingName *string        `json:"trading_name"`
	Status      CustomerStatus `json:"status"`
	// KYC lists what the customer must send; nil while the customer is creating.
	KYC       []KYCRequirement `json:"kyc,omitempty"`
	CreatedAt Timestamp        `json:"created_at"`
	UpdatedAt Timestamp        `json:"updated_at"`
}

// RequirementType is the kind of a KYC requirement (contract.md §6.15).
type RequirementType string

// Requirement types.
const (
	RequirementIdentity                     RequirementType = "identity"
	RequirementSelfie                       RequirementType = "selfie"
	RequirementProofOfAddress               RequirementType = "proof_of_address"
	RequirementEmail                        RequirementType = "email"
	RequirementCompanyDocument              RequirementType = "company_document"
	RequirementEIMEIDocuments               RequirementType = "ei_mei_documents"
	RequirementIncomeStatement              RequirementType = "income_statement"
	RequirementArticlesOfAssociation        RequirementType = "articles_of_association"
	RequirementEIRELIIncorporationStatement RequirementType = "eireli_incorporation_statement"
)

// EvidenceType is the kind of document (or data) that fulfils a requirement.
type EvidenceType string

// Evidence types.
const (
	EvidenceCNH                          EvidenceType = "cnh"
	EvidenceRG                           EvidenceType = "rg"
	EvidenceSelfie                       EvidenceType = "selfie"
	EvidenceProofOfAddress               EvidenceType = "proof_of_address"
	EvidenceCCMEI                        EvidenceType = "ccmei"
	EvidenceEIMEI                        EvidenceType = "ei_mei"
	EvidenceIncomeStatement              EvidenceType = "income_statement"
	EvidenceArticlesOfAssociation        EvidenceType = "articles_of_association"
	EvidenceEIRELIIncorporationStatement EvidenceType = "eireli_incorporation_statement"
	EvidenceEmail                        EvidenceType = "email"
)

// AttachmentType is which slot of a requirement a piece of evidence fills.
type AttachmentType string

// Attachment types.
const (
	AttachmentFront                     AttachmentType = "front"
	AttachmentBack                      AttachmentType = "back"
	AttachmentFile                      AttachmentType = "file"
	AttachmentPhoto                     AttachmentType = "photo"
	AttachmentEmail                     AttachmentType = "email"
	AttachmentEIRegistrationRequirement AttachmentType = "ei_registration_requirement"
	AttachmentCCMEI                     AttachmentType = "ccmei"
)

// ReviewStatus is the verdict on a submission.
type ReviewStatus string

// Review statuses.
const (
	ReviewPending  ReviewStatus = "pending"
	ReviewAccepted ReviewStatus = "accepted"
	ReviewRejected ReviewStatus = "rejected"
)

// SubjectType says who a person-specific requirement is about.
type SubjectType string

// Subject types.
const (
	SubjectApplicant SubjectType = "applicant"
	SubjectCoOwner   SubjectType = "co_owner"
)

// KYCRequirement is one thing the customer must send (contract.md §6.15).
type KYCRequirement struct {
	// RequirementID is what uploads name, as "identity_003XXXXXXXXXXXXXXX" or "income_statement".
	RequirementID   string          `json:"requirement_id"`
	RequirementType RequirementType `json:"requirement_type"`
	// Label is a human label, in Portuguese.
	Label     string `json:"label"`
	Mandatory bool   `json:"mandatory"`
	// Subject is the person a person-specific requirement is about; nil for company requirements.
	Subject *KYCSubject `json:"subject,omitempty"`
	// Submitted is what was sent and its review; nil until something is uploaded.
	Submitted *KYCSubmission `json:"submitted,omitempty"`
}

// KYCSubject is a person of the company.
type KYCSubject struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	SubjectType SubjectType `json:"subject_type"`
}

// KYCSubmission is the evidence sent for a requirement and its review.
type KYCSubmission struct {
	EvidenceType EvidenceType `json:"evidence_type"`
	// Attachments has one slot per expected piece (an RG's front and back), each with its own flag.
	Attachments  []KYCAttachmentSlot `json:"attachments"`
	ReviewStatus ReviewStatus        `json:"review_status"`
	// ReviewReason says why a rejected submission was rejected; nil otherwise.
	ReviewReason *string `json:"review_reason"`
}

// KYCAttachmentSlot is one expected piece of a submission.
type KYCAttachmentSlot struct {
	AttachmentType AttachmentType `json:"attachment_type"`
	Submitted      bool           `json:"submitted"`
}

// CreateCustomerParams are the fields of a new customer (contract.md §5.6).
type CreateCustomerParams struct {
	// CPF of the applicant and CNPJ of the company, formatted or bare (required).
	CPF  string `json:"cpf"`
	CNPJ string `json:"cnpj"`
	// Email and Phone (E.164, "+5511999999999") of the applicant (required).
	Email string `json:"email"`
	Phone string `json:"phone"`
	// Name is looked up from the CPF when nil.
	Name *string `json:"name,omitempty"`
	// ExternalID is your own reference of the customer.
	ExternalID *string `json:"external_id,omitempty"`
}

// UpdateCustomerParams are the fields of a customer that can change; nil fields stay as they are.
type UpdateCustomerParams struct {
	Email *string `json:"email,omitempty"`
	Phone *string `json:"phone,omitempty"`
}

// CustomerListParams filter and sort the customer list.
type CustomerListParams struct {
	ListParams
	// CPF keeps the customers of one applicant (formatted or bare).
	CPF string
	// ExternalID keeps the customers with your reference.
	ExternalID string
	// Status keeps the customers in one status.
	Status CustomerStatus
	// Order is "asc" (default) or "desc".
	Order string
	// Sort is "created_at" (default) or "updated_at".
	Sort string
}

func (p *CustomerListParams) values() url.Values {
	if p == nil {
		return url.Values{}
	}
	q := p.ListParams.values()
	setIf(q, "cpf", p.CPF)
	setIf(q, "external_id", p.ExternalID)
	setIf(q, "status", string(p.Status))
	setIf(q, "order", p.Order)
	setIf(q, "sort", p.Sort)
	return q
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// BankAccountKind is the kind of a bank account.
type BankAccountKind string

// Bank account kinds.
const (
	BankAccountChecking BankAccountKind = "checking"
	BankAccountSaving   BankAccountKind = "saving"
	BankAccountPayment  BankAccountKind = "payment"
)

// BankAccountParams are a customer's disbursement account (contract.md §6.8).
type BankAccountParams struct {
	// BankID is the COMPE code, as "001".
	BankID string          `json:"bank_id"`
	Kind   BankAccountKind `json:"kind"`
	// Branch is without its check digit.
	Branch string `json:"branch"`
	Number string `json:"number"`
	// Digit is the account's check digit, a digit or "X".
	Digit string `json:"digit"`
}

// BankAccount is the customer's linked disbursement account.
type BankAccount struct {
	ID       string          `json:"id"`
	BankID   string          `json:"bank_id"`
	BankName string          `json:"bank_name"`
	Kind     BankAccountKind `json:"kind"`
	Branch   string          `json:"branch"`
	Number   string          `json:"number"`
	Digit    string          `json:"digit"`
	// UpdatedAt is when the account was last linked or replaced.
	UpdatedAt Timestamp `json:"updated_at"`
}

// BiometricsSession is a link for the customer to the hosted KYC flow (contract.md §6.9).
type BiometricsSession struct {
	// SessionURL is where to send the customer; it carries a single-use code.
	SessionURL string    `json:"session_url"`
	ExpiresAt  Timestamp `json:"expires_at"`
}

// Code returns the single-use dinie_bsc_… code in SessionURL, for a KYC app that exchanges it itself
// (see WithSessionCode), or "".
func (s BiometricsSession) Code() string {
	u, err := url.Parse(s.SessionURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("code")
}

// KYCAttachmentParams is one piece of KYC evidence (contract.md §5.14, §10).
type KYCAttachmentParams struct {
	EvidenceType EvidenceType
	// RequirementID is the requirement_id of one of the customer's KYC requirements.
	RequirementID  string
	AttachmentType AttachmentType
	// File is the document (PDF, JPEG or PNG, at most 10 MiB), for every evidence type but email. It is
	// read in full before the first attempt, so that retries resend the same bytes.
	File io.Reader
	// FileName names the file in the upload (default "upload").
	FileName string
	// Value is the data of an email evidence (the co-owner's e-mail address), instead of File.
	Value string
}

// SelfieParams is a selfie, sent with a customer session token (see WithSessionCode).
type SelfieParams struct {
	// RequirementID is the selfie requirement's id, "selfie_{subject_id}".
	RequirementID string
	// File is the photo (JPEG, PNG or PDF, at most 10 MiB).
	File     io.Reader
	FileName string
}

// KYCAttachmentResult confirms an upload. The requirement's state is read from the customer.
type KYCAttachmentResult struct {
	AttachmentType AttachmentType `json:"attachment_type"`
	Submitted      bool           `json:"submitted"`
}

// CustomersService registers customers and drives their onboarding.
type CustomersService struct{ c *Client }

// Create registers a customer. created is true for a new customer (201, in status creating) and false
// when the same CPF and CNPJ were registered before (200, the existing customer); registering them
// again with another ExternalID fails with code customer_already_exists.
func (s *CustomersService) Create(ctx context.Context, params CreateCustomerParams) (customer *Customer, created bool, err error) {
	out := &Customer{}
	resp, err := s.c.post(ctx, "/customers", params, out)
	if err != nil {
		return nil, false, err
	}
	return out, resp.status == http.StatusCreated, nil
}

// Get gets a customer, with its KYC progress.
func (s *CustomersService) Get(ctx context.Context, id string) (*Customer, error) {
	out := &Customer{}
	if err := s.c.get(ctx, "/customers/"+seg(id), nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

func customerID(c Customer) string { return c.ID }

// List walks the partner's customers.
func (s *CustomersService) List(ctx context.Context, params *CustomerListParams) iter.Seq2[Customer, error] {
	return paginate(ctx, s.c, "/customers", params.values(), customerID)
}

// ListPage gets one page of customers.
func (s *CustomersService) ListPage(ctx context.Context, params *CustomerListParams) (*Page[Customer], error) {
	return listPage(ctx, s.c, "/customers", params.values(), customerID)
}

// Update changes a customer's e-mail and phone.
func (s *CustomersService) Update(ctx context.Context, id string, params UpdateCustomerParams) (*Customer, error) {
	out := &Customer{}
	if _, err := s.c.send(ctx, &request{method: http.MethodPatch, path: "/customers/" + seg(id), json: params}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetBankAccount gets the customer's linked bank account (404 bank_account_not_found when none is).
func (s *CustomersService) GetBankAccount(ctx context.Context, customerID string) (*BankAccount, error) {
	out := &BankAccount{}
	if err := s.c.get(ctx, "/customers/"+seg(customerID)+"/bank-account", nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpsertBankAccount links the customer's disbursement account, replacing any earlier one.
func (s *CustomersService) UpsertBankAccount(ctx context.Context, customerID string, params BankAccountParams) (*BankAccount, error) {
	out := &BankAccount{}
	body := struct {
		BankAccount BankAccountParams `json:"bank_account"`
	}{params}
	if _, err := s.c.post(ctx, "/customers/"+seg(customerID)+"/bank-account", body, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateBiometricsSession opens a biometrics session: a link to the hosted KYC flow for the customer.
func (s *CustomersService) CreateBiometricsSession(ctx context.Context, customerID string) (*BiometricsSession, error) {
	out := &BiometricsSession{}
	if _, err := s.c.post(ctx, "/customers/"+seg(customerID)+"/biometrics", struct{}{}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// UploadKYCAttachment sends one piece of KYC evidence, as multipart/form-data.
func (s *CustomersService) UploadKYCAttachment(ctx context.Context, customerID string, params KYCAttachmentParams) (*KYCAttachmentResult, error) {
	fields := [][2]string{
		{"evidence_type", string(params.EvidenceType)},
		{"requirement_id", params.RequirementID},
		{"attachment_type", string(params.AttachmentType)},
	}
	if params.Value != "" {
		fields = append(fields, [2]string{"value", params.Value})
	}
	return s.upload(ctx, "/customers/"+seg(customerID)+"/kyc-attachments", fields, params.File, params.FileName)
}

// UploadSelfie sends the customer's selfie. It needs a customer session token (session mode): a
// partner token gets 403 session_token_required.
func (s *CustomersService) UploadSelfie(ctx context.Context, customerID string, params SelfieParams) (*KYCAttachmentResult, error) {
	fields := [][2]string{{"requirement_id", params.RequirementID}}
	return s.upload(ctx, "/customers/"+seg(customerID)+"/kyc-attachments/selfie", fields, params.File, params.FileName)
}

func (s *CustomersService) upload(ctx context.Context, path string, fields [][2]string, file io.Reader, name string) (*KYCAttachmentResult, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	if file != nil {
		data, err := io.ReadAll(file)
		if err != nil {
			return nil, fmt.Errorf("client: read the file to upload: %w", err)
		}
		if name == "" {
			name = "upload"
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+escapeQuotes(name)+`"`)
		h.Set("Content-Type", http.DetectContentType(data))
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	out := &KYCAttachmentResult{}
	if _, err := s.c.send(ctx, &request{method: http.MethodPost, path: path, body: buf.Bytes(),
		contentType: mw.FormDataContentType()}, out); err != nil {
		return nil, err
	}
	return out, nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }

// StartKYCReview submits the customer's evidence for review (202); the verdict arrives as the
// customer.active, customer.denied or customer.kyc_updated event.
func (s *CustomersService) StartKYCReview(ctx context.Context, customerID string) error {
	_, err := s.c.send(ctx, &request{method: http.MethodPost, path: "/customers/" + seg(customerID) + "/kyc-review"}, nil)
	return err
}

// CreditOffers walks the customer's credit offers.
func (s *CustomersService) CreditOffers(ctx context.Context, customerID string, params *CustomerCreditOfferListParams) iter.Seq2[CreditOffer, error] {
	return paginate(ctx, s.c, "/customers/"+seg(customerID)+"/credit-offers", params.values(), creditOfferID)
}

// CreditOffersPage gets one page of the customer's credit offers.
func (s *CustomersService) CreditOffersPage(ctx context.Context, customerID string, params *CustomerCreditOfferListParams) (*Page[CreditOffer], error) {
	return listPage(ctx, s.c, "/customers/"+seg(customerID)+"/credit-offers", params.values(), creditOfferID)
}
