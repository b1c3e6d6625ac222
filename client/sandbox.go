package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// KYCDecision is a sandbox KYC verdict.
type KYCDecision string

// Sandbox KYC verdicts.
const (
	// KYCApprove accepts every mandatory requirement (one not sent yet counts as sent): the customer
	// becomes active.
	KYCApprove KYCDecision = "approve"
	// KYCReject rejects a requirement (or every one waiting for review): the customer goes back to
	// pending_kyc.
	KYCReject KYCDecision = "reject"
	// KYCDeny denies the customer for good.
	KYCDeny KYCDecision = "deny"
)

// KYCDecisionParams are a sandbox KYC verdict.
type KYCDecisionParams struct {
	Decision KYCDecision `json:"decision"`
	// RequirementID is the requirement to reject (with KYCReject only; "": every one waiting).
	RequirementID string `json:"requirement_id,omitempty"`
	// Reason is the review_reason of rejected items, or why the customer is denied.
	Reason string `json:"reason,omitempty"`
}

// IssueOfferParams are the terms of a sandbox offer: Installments, or MinInstallments and
// MaxInstallments.
type IssueOfferParams struct {
	ApprovedAmount      Money `json:"approved_amount"`
	MinAmount           Money `json:"min_amount"`
	MonthlyInterestRate Rate  `json:"monthly_interest_rate"`
	Installments        *int  `json:"installments,omitempty"`
	MinInstallments     *int  `json:"min_installments,omitempty"`
	MaxInstallments     *int  `json:"max_installments,omitempty"`
	// ValidForDays is how long the offer stays available (nil: 30 days).
	ValidForDays *int `json:"valid_for_days,omitempty"`
}

// AdvanceClockParams say how far to move the sandbox clock: By, or To (not both).
type AdvanceClockParams struct {
	// By moves the clock forward by whole seconds.
	By time.Duration
	// To moves the clock to this instant (never backwards).
	To time.Time
}

// MarshalJSON writes {"seconds": …} or {"to": …}.
func (p AdvanceClockParams) MarshalJSON() ([]byte, error) {
	switch {
	case !p.To.IsZero() && p.By != 0:
		return nil, errors.New("client: advance the clock By or To, not both")
	case !p.To.IsZero():
		return json.Marshal(map[string]int64{"to": p.To.Unix()})
	}
	return json.Marshal(map[string]int64{"seconds": int64(p.By / time.Second)})
}

// SignLoanParams say whose signature to record; nil or an empty SignerCPF signs for every signer still
// missing.
type SignLoanParams struct {
	SignerCPF string `json:"signer_cpf,omitempty"`
}

// DisbursementOutcome is how a held sandbox Pix disbursement ends.
type DisbursementOutcome string

// Disbursement outcomes.
const (
	DisbursementSettled DisbursementOutcome = "settled"
	DisbursementFailed  DisbursementOutcome = "failed"
)

// TestEvent is a sample event the sandbox created and is delivering.
type TestEvent struct {
	DeliveryID string `json:"delivery_id"`
	EventID    string `json:"event_id"`
}

// SandboxService drives the test environment (sandbox.md). A live credential gets 403 sandbox_only.
type SandboxService struct{ c *Client }

// KYCDecision gives a KYC verdict now, with the same events as the real path.
func (s *SandboxService) KYCDecision(ctx context.Context, customerID string, params KYCDecisionParams) (*Customer, error) {
	out := &Customer{}
	if _, err := s.c.post(ctx, "/sandbox/customers/"+seg(customerID)+"/kyc-decision", params, out); err != nil {
		return nil, err
	}
	return out, nil
}

// IssueOffer issues an offer with the given terms to an active customer.
func (s *SandboxService) IssueOffer(ctx context.Context, customerID string, params IssueOfferParams) (*CreditOffer, error) {
	out := &CreditOffer{}
	if _, err := s.c.post(ctx, "/sandbox/customers/"+seg(customerID)+"/credit-offers", params, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ExpireOffer expires an available offer now.
func (s *SandboxService) ExpireOffer(ctx context.Context, offerID string) (*CreditOffer, error) {
	out := &CreditOffer{}
	if _, err := s.c.send(ctx, &request{method: http.MethodPost, path: "/sandbox/credit-offers/" + seg(offerID) + "/expire"}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// AdvanceClock moves the partner's test clock forward and returns its new time; due work (offer
// expiry, arrears, cancellations) runs as if the time had passed.
func (s *SandboxService) AdvanceClock(ctx context.Context, params AdvanceClockParams) (time.Time, error) {
	var out struct {
		Now Timestamp `json:"now"`
	}
	if _, err := s.c.post(ctx, "/sandbox/clock/advance", params, &out); err != nil {
		return time.Time{}, err
	}
	return out.Now.Time, nil
}

// SignLoan records signatures as the hosted signing page would; params may be nil (every signer).
func (s *SandboxService) SignLoan(ctx context.Context, loanID string, params *SignLoanParams) (*Loan, error) {
	if params == nil {
		params = &SignLoanParams{}
	}
	out := &Loan{}
	if _, err := s.c.post(ctx, "/sandbox/loans/"+seg(loanID)+"/sign", params, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Disbursement settles or fails a processing loan's held Pix transfer now.
func (s *SandboxService) Disbursement(ctx context.Context, loanID string, outcome DisbursementOutcome) (*Loan, error) {
	out := &Loan{}
	if _, err := s.c.post(ctx, "/sandbox/loans/"+seg(loanID)+"/disbursement",
		map[string]DisbursementOutcome{"outcome": outcome}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Pay makes a payment of amount arrive for the loan, allocated as a real one would be.
func (s *SandboxService) Pay(ctx context.Context, loanID string, amount Money) (*Loan, error) {
	out := &Loan{}
	if _, err := s.c.post(ctx, "/sandbox/loans/"+seg(loanID)+"/payments", map[string]Money{"amount": amount}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// TestEvent sends a sample event of type typ to one endpoint.
func (s *SandboxService) TestEvent(ctx context.Context, endpointID string, typ EventType) (*TestEvent, error) {
	out := &TestEvent{}
	if _, err := s.c.post(ctx, "/sandbox/webhooks/endpoints/"+seg(endpointID)+"/test-events",
		map[string]EventType{"type": typ}, out); err != nil {
		return nil, err
	}
	return out, nil
}
