package platform

import (
	"context"
	"time"

	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/store"
)

// pixLedger keeps the sandbox Pix rail's transfers in the store.
type pixLedger struct{ st *store.Store }

func fromStore(t store.PixTransfer) (providers.PixTransfer, providers.PixResult, time.Time) {
	return providers.PixTransfer{E2EID: t.E2EID, LoanID: t.LoanID, Amount: t.Amount, To: t.Account},
		providers.PixResult{Status: providers.PixStatus(t.Status), Reason: t.FailureReason}, t.CreatedAt
}

func (l pixLedger) RecordPixTransfer(ctx context.Context, t providers.PixTransfer, now time.Time) (providers.PixTransfer, providers.PixResult, time.Time, error) {
	stored, err := l.st.RecordPixTransfer(ctx, store.PixTransfer{E2EID: t.E2EID, LoanID: t.LoanID, Amount: t.Amount,
		Account: t.To, Status: store.PixTransferPending, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return providers.PixTransfer{}, providers.PixResult{}, time.Time{}, err
	}
	a, b, c := fromStore(stored)
	return a, b, c, nil
}

func (l pixLedger) LookupPixTransfer(ctx context.Context, e2e string) (providers.PixTransfer, providers.PixResult, time.Time, error) {
	stored, err := l.st.PixTransfer(ctx, e2e)
	if err != nil {
		return providers.PixTransfer{}, providers.PixResult{}, time.Time{}, err
	}
	a, b, c := fromStore(stored)
	return a, b, c, nil
}

func (l pixLedger) SettlePixTransfer(ctx context.Context, e2e string, r providers.PixResult, now time.Time) (providers.PixResult, error) {
	stored, err := l.st.SetPixTransferStatus(ctx, e2e, string(r.Status), r.Reason, now)
	if err != nil {
		return providers.PixResult{}, err
	}
	_, res, _ := fromStore(stored)
	return res, nil
}
