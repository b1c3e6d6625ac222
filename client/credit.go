package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"iter"
	"net/url"
	"strings"
)

// OfferStatus is the state of a credit offer.
type OfferStatus string

// Credit offer statuses.
const (
	OfferAvailable OfferStatus = "available"
	OfferAccepted  OfferStatus = "accepted"
	OfferExpired   OfferStatus = "expired"
)

// CreditOffer is a credit offer (contract.md §6.2). It comes in two shapes: a fixed number of
// installments (Installments set) or a range (MinInstallments and MaxInstallments set).
type CreditOffer struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	// ExternalID is the customer's external id, when it has one.
	ExternalID     *string     `json:"external_id,omitempty"`
	Status         OfferStatus `json:"status"`
	ApprovedAmount Money       `json:"approved_amount"`
	// MinAmount is the least the customer may take.
	MinAmount           Money   `json:"min_amount"`
	MonthlyInterestRate Rate    `json:"monthly_interest_rate"`
	DueDateRule         *string `json:"due_date_rule"`
	// Installments is set on a fixed offer, MinInstallments and MaxInstallments on a range offer.
	Installments    *int      `json:"installments,omitempty"`
	MinInstallments *int      `json:"min_installments,omitempty"`
	MaxInstallments *int      `json:"max_installments,omitempty"`
	ValidUntil      Timestamp `json:"valid_until"`
	CreatedAt       Timestamp `json:"created_at"`
	UpdatedAt       Timestamp `json:"updated_at"`
}

// IsRange reports whether the offer lets the customer choose the number of installments in a range.
func (o CreditOffer) IsRange() bool { return o.Installments == nil && o.MinInstallments != nil }

// InstallmentRange returns the fewest and most installments the offer allows (equal on a fixed offer).
func (o CreditOffer) InstallmentRange() (lo, hi int) {
	switch {
	case o.Installments != nil:
		return *o.Installments, *o.Installments
	case o.MinInstallments != nil && o.MaxInstallments != nil:
		return *o.MinInstallments, *o.MaxInstallments
	}
	return 0, 0
}

func creditOfferID(o CreditOffer) string { return o.ID }

// CustomerCreditOfferListParams filter one customer's credit offers.
type CustomerCreditOfferListParams struct {
	ListParams
	Status OfferStatus
}

func (p *CustomerCreditOfferListParams) values() url.Values {
	if p == nil {
		return url.Values{}
	}
	q := p.ListParams.values()
	setIf(q, "status", string(p.Status))
	return q
}

// CreditOfferListParams filter the credit offers of every customer.
type CreditOfferListParams struct {
	ListParams
	CustomerID string
	Status     OfferStatus
}

func (p *CreditOfferListParams) values() url.Values {
	if p == nil {
		return url.Values{}
	}
	q := p.ListParams.values()
	setIf(q, "customer_id", p.CustomerID)
	setIf(q, "status", string(p.Status))
	return q
}

// SimulationParams are the loan to simulate.
type SimulationParams struct {
	RequestedAmount  Money `json:"requested_amount"`
	InstallmentCount int   `json:"installment_count"`
}

// Simulation is the full cost of a loan under an offer (contract.md §6.3).
type Simulation struct {
	ID              string `json:"id"`
	CreditOfferID   string `json:"credit_offer_id"`
	RequestedAmount Money  `json:"requested_amount"`
	// PrincipalAmount is the requested amount plus the financed IOF and fee.
	PrincipalAmount Money `json:"principal_amount"`
	InterestAmount  Money `json:"interest_amount"`
	IOFAmount       Money `json:"iof_amount"`
	FeeAmount       Money `json:"fee_amount"`
	// TotalAmount is the sum of the installments.
	TotalAmount         Money     `json:"total_amount"`
	MonthlyInterestRate Rate      `json:"monthly_interest_rate"`
	AnnualInterestRate  Rate      `json:"annual_interest_rate"`
	MonthlyCETRate      Rate      `json:"monthly_cet_rate"`
	AnnualCETRate       Rate      `json:"annual_cet_rate"`
	InstallmentCount    int       `json:"installment_count"`
	InstallmentAmount   Money     `json:"installment_amount"`
	FirstDueDate        Date      `json:"first_due_date"`
	CreatedAt           Timestamp `json:"created_at"`
}

// LoanParams returns the parameters of a loan that accepts this simulation.
func (s Simulation) LoanParams() CreateLoanParams {
	return CreateLoanParams{CreditOfferID: s.CreditOfferID, SimulationID: s.ID, InstallmentCount: s.InstallmentCount,
		InstallmentAmount: s.InstallmentAmount, FirstDueDate: s.FirstDueDate}
}

// CreditOffersService reads credit offers and simulates loans.
type CreditOffersService struct{ c *Client }

// List walks the credit offers of every customer.
func (s *CreditOffersService) List(ctx context.Context, params *CreditOfferListParams) iter.Seq2[CreditOffer, error] {
	return paginate(ctx, s.c, "/credit-offers", params.values(), creditOfferID)
}

// ListPage gets one page of credit offers.
func (s *CreditOffersService) ListPage(ctx context.Context, params *CreditOfferListParams) (*Page[CreditOffer], error) {
	return listPage(ctx, s.c, "/credit-offers", params.values(), creditOfferID)
}

// Get gets a credit offer.
func (s *CreditOffersService) Get(ctx context.Context, id string) (*CreditOffer, error) {
	out := &CreditOffer{}
	if err := s.c.get(ctx, "/credit-offers/"+seg(id), nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateSimulation simulates a loan under the offer.
func (s *CreditOffersService) CreateSimulation(ctx context.Context, offerID string, params SimulationParams) (*Simulation, error) {
	out := &Simulation{}
	if _, err := s.c.post(ctx, "/credit-offers/"+seg(offerID)+"/simulations", params, out); err != nil {
		return nil, err
	}
	return out, nil
}

// LoanStatus is where a loan is in its life (contract.md §7.4).
type LoanStatus string

// Loan statuses.
const (
	LoanAwaitingSignatures LoanStatus = "awaiting_signatures"
	LoanProcessing         LoanStatus = "processing"
	LoanActive             LoanStatus = "active"
	LoanFinished           LoanStatus = "finished"
	LoanCancelled          LoanStatus = "cancelled"
	LoanError              LoanStatus = "error"
)

// Loan is a loan (contract.md §6.4).
type Loan struct {
	ID              string     `json:"id"`
	CreditOfferID   string     `json:"credit_offer_id"`
	CustomerID      string     `json:"customer_id"`
	SimulationID    string     `json:"simulation_id"`
	Status          LoanStatus `json:"status"`
	RequestedAmount Money      `json:"requested_amount"`
	// PrincipalAmount and IOFAmount are nil until the loan is disbursed.
	PrincipalAmount     *Money `json:"principal_amount"`
	IOFAmount           *Money `json:"iof_amount"`
	MonthlyInterestRate Rate   `json:"monthly_interest_rate"`
	AnnualInterestRate  Rate   `json:"annual_interest_rate"`
	MonthlyCETRate      Rate   `json:"monthly_cet_rate"`
	AnnualCETRate       Rate   `json:"annual_cet_rate"`
	TotalAmount         Money  `json:"total_amount"`
	InstallmentCount    int    `json:"installment_count"`
	InstallmentAmount   Money  `json:"installment_amount"`
	FirstDueDate        Date   `json:"first_due_date"`
	// CCBNumber is nil until the CCB exists; DisbursementMethod until the disbursement.
	CCBNumber          *string `json:"ccb_number"`
	DisbursementMethod *string `json:"disbursement_method"`
	// SigningURL is the hosted signing page, only while the loan awaits signatures.
	SigningURL *string   `json:"signing_url"`
	CreatedAt  Timestamp `json:"created_at"`
	UpdatedAt  Timestamp `json:"updated_at"`
}

// CreateLoanParams accept a simulation (build them with Simulation.LoanParams).
type CreateLoanParams struct {
	CreditOfferID     string `json:"credit_offer_id"`
	SimulationID      string `json:"simulation_id"`
	InstallmentCount  int    `json:"installment_count"`
	InstallmentAmount Money  `json:"installment_amount"`
	FirstDueDate      Date   `json:"first_due_date"`
}

// TransactionStatus is the state of an installment.
type TransactionStatus string

// Transaction statuses.
const (
	TransactionPending       TransactionStatus = "pending"
	TransactionPaid          TransactionStatus = "paid"
	TransactionOverdue       TransactionStatus = "overdue"
	TransactionPartiallyPaid TransactionStatus = "partially_paid"
)

// Transaction is one installment of a loan (contract.md §6.5).
type Transaction struct {
	ID     string `json:"id"`
	LoanID string `json:"loan_id"`
	// Type is always "installment".
	Type            string            `json:"type"`
	Status          TransactionStatus `json:"status"`
	DueDate         Date              `json:"due_date"`
	AmountDue       Money             `json:"amount_due"`
	AmountPaid      Money             `json:"amount_paid"`
	AmountRemaining Money             `json:"amount_remaining"`
	Principal       Money             `json:"principal"`
	Interest        Money             `json:"interest"`
	Fees            Money             `json:"fees"`
	DaysOverdue     int               `json:"days_overdue"`
	// PaidAt is nil while the installment is not fully paid.
	PaidAt    *Timestamp `json:"paid_at"`
	CreatedAt Timestamp  `json:"created_at"`
	UpdatedAt Timestamp  `json:"updated_at"`
}

func transactionID(t Transaction) string { return t.ID }

// LoansService creates and follows loans.
type LoansService struct{ c *Client }

// Create accepts a simulation: the loan starts awaiting signatures, with its CCB generated.
func (s *LoansService) Create(ctx context.Context, params CreateLoanParams) (*Loan, error) {
	out := &Loan{}
	if _, err := s.c.post(ctx, "/loans", params, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Get gets a loan.
func (s *LoansService) Get(ctx context.Context, id string) (*Loan, error) {
	out := &Loan{}
	if err := s.c.get(ctx, "/loans/"+seg(id), nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Transactions walks the loan's installments, in order.
func (s *LoansService) Transactions(ctx context.Context, loanID string, params *ListParams) iter.Seq2[Transaction, error] {
	return paginate(ctx, s.c, "/loans/"+seg(loanID)+"/transactions", params.values(), transactionID)
}

// TransactionsPage gets one page of the loan's installments.
func (s *LoansService) TransactionsPage(ctx context.Context, loanID string, params *ListParams) (*Page[Transaction], error) {
	return listPage(ctx, s.c, "/loans/"+seg(loanID)+"/transactions", params.values(), transactionID)
}

// CCB downloads the loan's CCB (its contract) as a PDF, with its SHA-256 in lower-case hex as the server
// announced it in X-Content-SHA256 (the hash every signature of it records). The client checks the
// document against it and fails with ErrChecksumMismatch when they differ; when the header is absent
// it returns the hash of the bytes received.
func (s *LoansService) CCB(ctx context.Context, loanID string) (pdf []byte, sha256Hex string, err error) {
	resp, err := s.c.send(ctx, &request{method: "GET", path: "/loans/" + seg(loanID) + "/ccb",
		accept: "application/pdf, application/problem+json"}, nil)
	if err != nil {
		return nil, "", err
	}
	announced := strings.ToLower(strings.TrimSpace(resp.header.Get("X-Content-SHA256")))
	sum := sha256.Sum256(resp.body)
	if announced != "" && announced != hex.EncodeToString(sum[:]) {
		return nil, "", fmt.Errorf("%w: announced %s", ErrChecksumMismatch, announced)
	}
	if announced == "" {
		announced = hex.EncodeToString(sum[:])
	}
	return resp.body, announced, nil
}
