package providers

import (
	"context"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
)

// PixStatus is where a Pix transfer is.
type PixStatus string

// Pix transfer states: pending until the rail settles or rejects it.
const (
	PixPending PixStatus = "pending"
	PixSettled PixStatus = "settled"
	PixFailed  PixStatus = "failed"
)

// PixTransfer is one outgoing Pix: a loan's disbursement.
type PixTransfer struct {
	// E2EID is the end-to-end id: the rail treats a repeat of it as the same transfer.
	E2EID  string
	LoanID string
	Amount finmath.Cents
	To     lending.BankAccount
}

// PixResult is a transfer's state on the rail.
type PixResult struct {
	Status PixStatus
	// Reason says why a failed transfer failed.
	Reason string
}

// PixRail sends money by Pix. Both calls are idempotent on the end-to-end id: sending a transfer the rail
// already has moves no money again and answers its current state. Errors are transient (the caller
// retries with the same id).
type PixRail interface {
	Send(ctx context.Context, t PixTransfer) (PixResult, error)
	Status(ctx context.Context, e2e string) (PixResult, error)
}

// PixLedger is where the sandbox rail keeps its transfers, so it survives restarts like a real rail.
type PixLedger interface {
	// RecordPixTransfer stores t if its e2e id is new and returns the transfer as stored, its state and
	// when it was first sent; it refuses a second transfer for the same loan under another id.
	RecordPixTransfer(ctx context.Context, t PixTransfer, now time.Time) (PixTransfer, PixResult, time.Time, error)
	// LookupPixTransfer returns a stored transfer, its state and when it was sent.
	LookupPixTransfer(ctx context.Context, e2e string) (PixTransfer, PixResult, time.Time, error)
	// SettlePixTransfer moves a pending transfer to r (a settled or failed one never changes) and returns
	// its state.
	SettlePixTransfer(ctx context.Context, e2e string, r PixResult, now time.Time) (PixResult, error)
}

// Magic account numbers of the sandbox rail (docs/sandbox.md): the account number's last four digits.
const (
	// SandboxPixFailSuffix: the receiving bank rejects the transfer.
	SandboxPixFailSuffix = "0000"
	// SandboxPixHoldSuffix: the transfer stays pending until POST /sandbox/loans/{id}/disbursement decides.
	SandboxPixHoldSuffix = "9999"
)

// SandboxPix is the sandbox Pix rail: it settles a transfer SettleAfter after it was sent, unless the
// account number says otherwise (the magic suffixes above).
type SandboxPix struct {
	Ledger      PixLedger
	Now         func() time.Time
	SettleAfter time.Duration
}

// Send records the transfer (once per e2e id) and answers its state.
func (p SandboxPix) Send(ctx context.Context, t PixTransfer) (PixResult, error) {
	stored, r, sent, err := p.Ledger.RecordPixTransfer(ctx, t, p.Now())
	if err != nil {
		return PixResult{}, err
	}
	return p.decide(ctx, stored, r, sent)
}

// Status answers a transfer's state, settling it when its time has come.
func (p SandboxPix) Status(ctx context.Context, e2e string) (PixResult, error) {
	stored, r, sent, err := p.Ledger.LookupPixTransfer(ctx, e2e)
	if err != nil {
		return PixResult{}, err
	}
	return p.decide(ctx, stored, r, sent)
}

func (p SandboxPix) decide(ctx context.Context, t PixTransfer, r PixResult, sent time.Time) (PixResult, error) {
	if r.Status != PixPending {
		return r, nil
	}
	switch {
	case strings.HasSuffix(t.To.Number, SandboxPixFailSuffix):
		return p.Ledger.SettlePixTransfer(ctx, t.E2EID, PixResult{Status: PixFailed,
			Reason: "A instituição recebedora rejeitou a transferência: conta inexistente ou encerrada."}, p.Now())
	case strings.HasSuffix(t.To.Number, SandboxPixHoldSuffix):
		return r, nil
	case p.Now().Sub(sent) >= p.SettleAfter:
		return p.Ledger.SettlePixTransfer(ctx, t.E2EID, PixResult{Status: PixSettled}, p.Now())
	}
	return r, nil
}
