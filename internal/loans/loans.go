// Package loans runs the money side of the lifecycle: a loan taken on an offer with its CCB generated
// at once, the e-signatures, the one Pix disbursement, the installments, payments, arrears and the end.
// Every change records its events, and queues its follow-up jobs, in the transaction that makes it.
package loans

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/blob"
	"github.com/dinie-oss/dinie/internal/ccb"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/sandboxclock"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/wire"
)

// Config is the lender's side of every contract.
type Config struct {
	// Creditor is the lender of record named in every CCB; Place is where CCBs are issued.
	Creditor ccb.Party
	Place    string
	// ISPB is the lender's Pix participant code, the start of every end-to-end id.
	ISPB string
	// SignFor is how long a loan may wait for its signatures before it is cancelled (default 7 days).
	SignFor time.Duration
	// Late are the late-payment terms stated in the CCB (default 2% fine, 1% a month).
	Late lending.LateTerms
	// PublicURL is where borrowers reach the hosted signing page.
	PublicURL string
}

// Service is the loans' use cases.
type Service struct {
	Config
	Store  *store.Store
	Events *events.Emitter
	Jobs   *jobs.Client
	Clock  sandboxclock.Clock
	Pix    providers.PixRail
	Blobs  blob.Store
	Logger *slog.Logger
}

// emit records a loan event, stamped with the real time (deliveries are scheduled on it).
func (s *Service) emit(ctx context.Context, tx *store.Tx, typ string, l lending.Loan, signer *lending.Signer, p *lending.Payment) error {
	data, err := wire.LoanEventData(typ, l, s.PublicURL, signer, p)
	if err != nil {
		return err
	}
	_, err = s.Events.Emit(ctx, tx, l.Scope, typ, data, s.Clock.Base.Now())
	return err
}

// Create takes a loan for scope as in asks (contract.md §5.20): in one transaction the offer is
// accepted, the CCB is generated and stored, the loan awaits its signatures and loan.created is
// recorded. Concurrent requests on one offer make one loan; the others get CodeOfferAlreadyAccepted.
func (s *Service) Create(ctx context.Context, scope lending.Scope, in lending.NewLoanInput) (lending.Loan, error) {
	var out lending.Loan
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		o, err := tx.CreditOfferForUpdate(ctx, scope, in.CreditOfferID)
		if err != nil {
			return err
		}
		sim, err := tx.Simulation(ctx, scope, in.SimulationID)
		if err != nil {
			return err
		}
		c, err := tx.CustomerForUpdate(ctx, scope, o.CustomerID)
		if err != nil {
			return err
		}
		account, err := tx.BankAccountForUpdate(ctx, scope, c.ID)
		if err != nil {
			return err
		}
		now, err := s.Clock.Within(tx).Now(ctx, scope)
		if err != nil {
			return err
		}
		year := now.In(lending.Brasilia).Year()
		n, err := tx.NextCCBNumber(ctx, year)
		if err != nil {
			return err
		}
		l, err := lending.NewLoan(in, o, sim, c, account, lending.LoanTerms{
			Number: fmt.Sprintf("CCB-%d-%06d", year, n), SignFor: s.SignFor, SigningToken: ids.Secret("", 40),
		}, now)
		if err != nil {
			return err
		}
		pdf, err := ccb.Render(s.ccbInput(l, c, sim, o.IOFRegime, now))
		if err != nil {
			return fmt.Errorf("loans: render CCB: %w", err)
		}
		ref, err := s.Blobs.Put(ctx, pdf)
		if err != nil {
			return fmt.Errorf("loans: store CCB: %w", err)
		}
		l.CCBKey, l.CCBSHA256 = ref.Key, ref.SHA256
		accepted, err := o.Accept(now)
		if err != nil {
			return err
		}
		if err := tx.SaveCreditOffer(ctx, accepted); err != nil {
			return err
		}
		if err := tx.InsertLoan(ctx, l); err != nil {
			return err
		}
		out = l
		return s.emit(ctx, tx, lending.EventLoanCreated, l, nil, nil)
	})
	return out, err
}

func (s *Service) ccbInput(l lending.Loan, c lending.Customer, sim lending.Simulation, regime lending.IOFRegime, now time.Time) ccb.Input {
	in := ccb.Input{Number: l.CCBNumber, IssuedAt: now, Place: s.Place, Creditor: s.Creditor,
		Issuer:     ccb.Party{Name: c.LegalName, Document: c.CNPJ.Format()},
		Simulation: sim, BankAccount: l.Account, IOFRegime: regime,
		LateFinePercent: s.Late.Fine.Percent(), LateInterestMonthlyPercent: s.Late.MoraMonthly.Percent()}
	if in.Issuer.Name == "" && c.Name != nil {
		in.Issuer.Name = *c.Name
	}
	for _, sg := range l.Signers {
		role := "Emitente (representante legal)"
		if sg.Role == lending.SubjectCoOwner {
			role = "Sócio(a) co-titular e avalista"
		}
		in.Signers = append(in.Signers, ccb.Signer{Name: sg.Name, CPF: sg.CPF, Role: role})
	}
	return in
}

// CCB returns loan id's CCB document.
func (s *Service) CCB(ctx context.Context, scope lending.Scope, id string) (lending.Loan, []byte, error) {
	l, err := s.Store.Loan(ctx, scope, id)
	if err != nil {
		return l, nil, err
	}
	b, err := s.read(ctx, l)
	return l, b, err
}

func (s *Service) read(ctx context.Context, l lending.Loan) ([]byte, error) {
	rc, err := s.Blobs.Open(ctx, l.CCBKey)
	if err != nil {
		return nil, fmt.Errorf("loans: open CCB of %s: %w", l.ID, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SigningSession returns the loan whose hosted signing page token opens, with its CCB.
func (s *Service) SigningSession(ctx context.Context, token string) (lending.Loan, error) {
	if token == "" || len(token) > 100 {
		return lending.Loan{}, lending.Errorf(lending.CodeSigningSessionInvalid, "this signing link is not valid")
	}
	l, err := s.Store.LoanBySigningToken(ctx, token)
	if err != nil {
		return l, err
	}
	if l.Status != lending.LoanAwaitingSignatures {
		return l, lending.Errorf(lending.CodeSigningSessionInvalid, "this loan is no longer waiting for signatures")
	}
	return l, nil
}

// Sign records sig on loan id of scope (the hosted page, or the sandbox control). sig must name the
// loan's CCB by its SHA-256: what the signer was shown. The last signature moves the loan to processing
// and queues its disbursement.
func (s *Service) Sign(ctx context.Context, scope lending.Scope, id string, sig lending.Signature) (lending.Loan, error) {
	var out lending.Loan
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		l, err := tx.LoanForUpdate(ctx, scope, id)
		if err != nil {
			return err
		}
		now, err := s.Clock.Within(tx).Now(ctx, scope)
		if err != nil {
			return err
		}
		signed, signer, err := l.Sign(sig, lending.NewE2EID(s.ISPB, s.Clock.Base.Now()), now)
		if err != nil {
			return err
		}
		if err := tx.SaveLoan(ctx, signed); err != nil {
			return err
		}
		out = signed
		if err := s.emit(ctx, tx, lending.EventLoanSignatureReceived, signed, &signer, nil); err != nil {
			return err
		}
		if signed.Status != lending.LoanProcessing {
			return nil
		}
		if err := s.emit(ctx, tx, lending.EventLoanProcessing, signed, nil, nil); err != nil {
			return err
		}
		return s.Jobs.Insert(ctx, tx, jobs.Disburse{LoanID: signed.ID}, nil)
	})
	return out, err
}

// SignAll records the signature of every signer still missing (the sandbox control without a CPF).
func (s *Service) SignAll(ctx context.Context, scope lending.Scope, id string) (lending.Loan, error) {
	l, err := s.Store.Loan(ctx, scope, id)
	if err != nil {
		return l, err
	}
	if l.Status != lending.LoanAwaitingSignatures {
		return l, lending.Errorf(lending.CodeInvalidLoanState, "loan %s is %s, not awaiting signatures", l.ID, l.Status)
	}
	for _, cpf := range l.PendingSigners() {
		if l, err = s.SandboxSign(ctx, scope, id, cpf, "sandbox"); err != nil {
			return l, err
		}
	}
	return l, nil
}

// SandboxSign records cpf's signature of loan id's current CCB, as the hosted page would (the sandbox
// control), from ip.
func (s *Service) SandboxSign(ctx context.Context, scope lending.Scope, id string, cpf lending.CPF, ip string) (lending.Loan, error) {
	l, err := s.Store.Loan(ctx, scope, id)
	if err != nil {
		return l, err
	}
	return s.Sign(ctx, scope, id, lending.Signature{CPF: cpf, IP: ip, UserAgent: "dinie sandbox", DocumentSHA256: l.CCBSHA256})
}

// Disburse asks the Pix rail for loan id's transfer (the same e2e id every time) and applies the
// answer: settled → active with its installments; failed → error; pending → ask again later
// (errPending).
func (s *Service) Disburse(ctx context.Context, id string) error {
	l, err := s.loanAnyScope(ctx, id)
	if err != nil || l.Status != lending.LoanProcessing {
		return err
	}
	r, err := s.Pix.Send(ctx, providers.PixTransfer{E2EID: l.DisbursementE2E, LoanID: l.ID, Amount: l.Requested, To: l.Account})
	if err != nil {
		return fmt.Errorf("loans: Pix for %s: %w", l.ID, err)
	}
	return s.applyTransfer(ctx, l.ID, r)
}

// errPending says the transfer has not settled yet.
var errPending = errors.New("loans: transfer pending")

func (s *Service) loanAnyScope(ctx context.Context, id string) (lending.Loan, error) {
	var l lending.Loan
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		l, err = tx.LoanByIDForUpdate(ctx, id)
		return err
	})
	return l, err
}

func (s *Service) applyTransfer(ctx context.Context, id string, r providers.PixResult) error {
	if r.Status == providers.PixPending {
		return errPending
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		l, err := tx.LoanByIDForUpdate(ctx, id)
		if err != nil || l.Status != lending.LoanProcessing {
			return err
		}
		now, err := s.Clock.Within(tx).Now(ctx, l.Scope)
		if err != nil {
			return err
		}
		if r.Status == providers.PixFailed {
			failed, err := l.DisbursementFailed(r.Reason, now)
			if err != nil {
				return err
			}
			if err := tx.SaveLoan(ctx, failed); err != nil {
				return err
			}
			return s.emit(ctx, tx, lending.EventLoanError, failed, nil, nil)
		}
		sim, err := tx.Simulation(ctx, l.Scope, l.SimulationID)
		if err != nil {
			return err
		}
		active, ins, err := l.Disbursed(sim, now)
		if err != nil {
			return err
		}
		if err := tx.SaveLoan(ctx, active); err != nil {
			return err
		}
		if err := tx.InsertInstallments(ctx, ins); err != nil {
			return err
		}
		return s.emit(ctx, tx, lending.EventLoanActive, active, nil, nil)
	})
}

// Ledger is the sandbox rail's ledger, for the sandbox control that decides a held transfer.
type Ledger interface {
	SettlePixTransfer(ctx context.Context, e2e string, r providers.PixResult, now time.Time) (providers.PixResult, error)
}

// SandboxDisbursement settles or fails loan id's pending transfer now (the sandbox control) and applies
// the outcome. The loan must be processing.
func (s *Service) SandboxDisbursement(ctx context.Context, scope lending.Scope, id string, settle bool, ledger Ledger) (lending.Loan, error) {
	l, err := s.Store.Loan(ctx, scope, id)
	if err != nil {
		return l, err
	}
	if l.Status != lending.LoanProcessing {
		return l, lending.Errorf(lending.CodeInvalidLoanState, "loan %s is %s; only a processing loan has a transfer to decide", l.ID, l.Status)
	}
	if _, err := s.Pix.Send(ctx, providers.PixTransfer{E2EID: l.DisbursementE2E, LoanID: l.ID, Amount: l.Requested, To: l.Account}); err != nil {
		return l, err
	}
	want := providers.PixResult{Status: providers.PixSettled}
	if !settle {
		want = providers.PixResult{Status: providers.PixFailed, Reason: "A instituição recebedora rejeitou a transferência (sandbox)."}
	}
	r, err := ledger.SettlePixTransfer(ctx, l.DisbursementE2E, want, s.Clock.Base.Now())
	if err != nil {
		return l, err
	}
	if err := s.applyTransfer(ctx, l.ID, r); err != nil {
		return l, err
	}
	return s.Store.Loan(ctx, scope, id)
}

// Pay receives amount for loan id of scope: arrears are brought up to date, then the money goes to the
// oldest open installment first (late charges, interest, principal); loan.payment_received is recorded,
// and loan.finished when nothing is left to pay.
func (s *Service) Pay(ctx context.Context, scope lending.Scope, id string, amount finmath.Cents) (lending.Loan, error) {
	var out lending.Loan
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		l, err := tx.LoanForUpdate(ctx, scope, id)
		if err != nil {
			return err
		}
		ins, err := tx.InstallmentsForUpdate(ctx, l.ID)
		if err != nil {
			return err
		}
		now, err := s.Clock.Within(tx).Now(ctx, scope)
		if err != nil {
			return err
		}
		today := finmath.DateOf(now.In(lending.Brasilia))
		for k := range ins {
			if ins[k], _, err = ins[k].Accrue(today, s.Late, now); err != nil {
				return err
			}
		}
		paid, p, done, err := l.ApplyPayment(ins, amount, now)
		if err != nil {
			return err
		}
		for _, in := range paid {
			if err := tx.SaveInstallment(ctx, in); err != nil {
				return err
			}
		}
		if err := tx.InsertPayment(ctx, p); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, lending.EventLoanPaymentReceived, l, nil, &p); err != nil {
			return err
		}
		out = l
		if !done {
			return nil
		}
		if out, err = l.Finish(now); err != nil {
			return err
		}
		if err := tx.SaveLoan(ctx, out); err != nil {
			return err
		}
		return s.emit(ctx, tx, lending.EventLoanFinished, out, nil, nil)
	})
	return out, err
}

// sweepBatch bounds the work of one sweep transaction.
const sweepBatch = 100

// CancelUnsigned cancels every loan whose time to sign has run out (each scope on its own clock); their
// offers become usable again if still valid, else expire (with credit_offer.expired). It returns how many
// it cancelled.
func (s *Service) CancelUnsigned(ctx context.Context) (int, error) {
	return s.Store.InBatches(ctx, sweepBatch, func(tx *store.Tx) (int, error) {
		due, err := tx.DueUnsignedLoans(ctx, s.Clock.Base.Now(), sweepBatch)
		if err != nil {
			return 0, err
		}
		for _, l := range due {
			if err := s.cancel(ctx, tx, l); err != nil {
				return 0, err
			}
		}
		return len(due), nil
	})
}

// cancel cancels unsigned loan l in tx and releases its offer (which expires, with its event, if its
// time ran out while the loan held it).
func (s *Service) cancel(ctx context.Context, tx *store.Tx, l lending.Loan) error {
	now, err := s.Clock.Within(tx).Now(ctx, l.Scope)
	if err != nil {
		return err
	}
	cancelled, err := l.Cancel(now, false)
	if err != nil {
		return err
	}
	if err := tx.SaveLoan(ctx, cancelled); err != nil {
		return err
	}
	o, err := tx.CreditOfferForUpdate(ctx, l.Scope, l.CreditOfferID)
	if err != nil {
		return err
	}
	released := o.Release(now)
	if err := tx.SaveCreditOffer(ctx, released); err != nil {
		return err
	}
	if released.Status == lending.OfferExpired && o.Status != lending.OfferExpired {
		// The expiry the sweep skipped while the loan held the offer happens now.
		if _, err := s.Events.Emit(ctx, tx, o.Scope, lending.EventCreditOfferExpired,
			wire.CreditOfferEventData(released), s.Clock.Base.Now()); err != nil {
			return err
		}
	}
	return s.emit(ctx, tx, lending.EventLoanCancelled, cancelled, nil, nil)
}

// AccrueArrears brings every overdue installment's late charges up to today, each scope by its own
// clock, and returns how many installments changed.
func (s *Service) AccrueArrears(ctx context.Context) (int, error) {
	offsets, err := s.Store.SandboxClockOffsets(ctx)
	if err != nil {
		return 0, err
	}
	real := s.Clock.Base.Now()
	var moved []string
	for p := range offsets {
		moved = append(moved, p)
	}
	scopes := []store.AccrualScope{{Today: finmath.DateOf(real.In(lending.Brasilia)).String(), ExceptTestOf: moved}}
	nows := []time.Time{real}
	for p, off := range offsets {
		scopes = append(scopes, store.AccrualScope{Today: finmath.DateOf(real.Add(off).In(lending.Brasilia)).String(), PartnerID: p})
		nows = append(nows, real.Add(off))
	}
	total := 0
	for i, a := range scopes {
		today, err := lending.ParseDate(a.Today)
		if err != nil {
			return total, err
		}
		n, err := s.Store.InBatches(ctx, sweepBatch, func(tx *store.Tx) (int, error) {
			ins, err := tx.InstallmentsToAccrue(ctx, a, sweepBatch)
			if err != nil {
				return 0, err
			}
			for _, in := range ins {
				next, changed, err := in.Accrue(today, s.Late, nows[i])
				if err != nil {
					return 0, err
				}
				if !changed {
					continue
				}
				if err := tx.SaveInstallment(ctx, next); err != nil {
					return 0, err
				}
			}
			return len(ins), nil
		})
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// DisburseWorker runs disbursements.
type DisburseWorker struct {
	river.WorkerDefaults[jobs.Disburse]
	Service *Service
}

// Work makes (or checks) one loan's transfer; a pending one is looked at again shortly.
func (w *DisburseWorker) Work(ctx context.Context, job *river.Job[jobs.Disburse]) error {
	err := w.Service.Disburse(ctx, job.Args.LoanID)
	if errors.Is(err, errPending) {
		return river.JobSnooze(time.Second)
	}
	return err
}

// Sweep does the loans' time-based work: cancel unsigned loans, accrue arrears.
func (s *Service) Sweep(ctx context.Context) error {
	n, err := s.CancelUnsigned(ctx)
	if n > 0 {
		s.Logger.Info("cancelled unsigned loans", "count", n)
	}
	if err != nil {
		return err
	}
	_, err = s.AccrueArrears(ctx)
	return err
}

// AddWorkers registers the loans' job workers.
func AddWorkers(ws *river.Workers, s *Service) {
	river.AddWorker(ws, &DisburseWorker{Service: s})
}

// RequeueDisbursements queues, at start, the disbursement of every loan left in processing. The job that
// was running when a process died is rescued by the job engine only after its rescue delay; a second
// job for the same loan gets the loan going at once, and is harmless: the rail answers the same e2e id
// with the same transfer, and the loan's row lock applies the answer once.
func (s *Service) RequeueDisbursements(ctx context.Context) (int, error) {
	n := 0
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		ids, err := tx.ProcessingLoans(ctx, 1000)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.Jobs.Insert(ctx, tx, jobs.Disburse{LoanID: id}, nil); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}
