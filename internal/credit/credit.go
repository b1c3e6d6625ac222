// Package credit is the lender's brain: it analyses customers (bureau profile → policy → terms), issues
// credit offers once a customer is both analysed and active, prices simulations on them, and expires
// offers when their time comes. Every change records its events in the same transaction.
package credit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/sandboxclock"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/wire"
)

// Service is the credit use cases.
type Service struct {
	Store  *store.Store
	Events *events.Emitter
	Jobs   *jobs.Client
	Clock  sandboxclock.Clock
	Bureau providers.Bureau
	Policy lending.Policy
	IOF    finmath.IOFTable
	Logger *slog.Logger
}

// emitOffer records an event about o. Events are stamped with the real time, not the sandbox's: their
// deliveries are scheduled on it.
func (s *Service) emitOffer(ctx context.Context, tx *store.Tx, typ string, o lending.CreditOffer) error {
	_, err := s.Events.Emit(ctx, tx, o.Scope, typ, wire.CreditOfferEventData(o), s.Clock.Base.Now())
	return err
}

// IssueIfReady issues, in tx, the offer of an approved analysis of customer c once c is active, unless it
// was issued already. The customers service calls it when a customer becomes active; the analysis job
// calls it when the analysis finishes.
func (s *Service) IssueIfReady(ctx context.Context, tx *store.Tx, c lending.Customer) error {
	if c.Status != lending.CustomerActive {
		return nil
	}
	a, err := tx.CreditAnalysisForUpdate(ctx, c.ID)
	if err != nil || a == nil || a.Status != lending.AnalysisApproved || a.OfferID != "" {
		return err
	}
	now, err := s.Clock.Within(tx).Now(ctx, c.Scope)
	if err != nil {
		return err
	}
	o, err := lending.NewCreditOffer(c, a.Decision.Terms, s.Policy.ValidFor, now)
	if err != nil {
		return err
	}
	if err := tx.InsertCreditOffer(ctx, o); err != nil {
		return err
	}
	a.OfferID, a.UpdatedAt = o.ID, now.UTC().Truncate(time.Microsecond)
	if err := tx.SaveCreditAnalysis(ctx, *a); err != nil {
		return err
	}
	return s.emitOffer(ctx, tx, lending.EventCreditOfferAvailable, o)
}

// Simulate prices a loan of requested in count installments on offer id of scope and stores the
// simulation. Errors: CodeCreditOfferNotFound and those of lending.Simulate.
func (s *Service) Simulate(ctx context.Context, scope lending.Scope, offerID string, requested finmath.Cents, count int) (lending.Simulation, error) {
	o, err := s.Store.CreditOffer(ctx, scope, offerID)
	if err != nil {
		return lending.Simulation{}, err
	}
	now, err := s.Clock.Now(ctx, scope)
	if err != nil {
		return lending.Simulation{}, err
	}
	sim, err := lending.Simulate(o, requested, count, now, s.IOF)
	if err != nil {
		return sim, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.InsertSimulation(ctx, sim) })
	return sim, err
}

// IssueSandboxOffer issues an offer with terms to customer id of scope at once (the sandbox's offer
// control), valid for validFor.
func (s *Service) IssueSandboxOffer(ctx context.Context, scope lending.Scope, customerID string, terms lending.CreditTerms, validFor time.Duration) (lending.CreditOffer, error) {
	var o lending.CreditOffer
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.CustomerForUpdate(ctx, scope, customerID)
		if err != nil {
			return err
		}
		now, err := s.Clock.Within(tx).Now(ctx, scope)
		if err != nil {
			return err
		}
		if o, err = lending.NewCreditOffer(c, terms, validFor, now); err != nil {
			return err
		}
		if err := tx.InsertCreditOffer(ctx, o); err != nil {
			return err
		}
		return s.emitOffer(ctx, tx, lending.EventCreditOfferAvailable, o)
	})
	return o, err
}

// ExpireNow expires available offer id of scope at once (the sandbox's expire control).
func (s *Service) ExpireNow(ctx context.Context, scope lending.Scope, id string) (lending.CreditOffer, error) {
	var out lending.CreditOffer
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		o, err := tx.CreditOfferForUpdate(ctx, scope, id)
		if err != nil {
			return err
		}
		now, err := s.Clock.Within(tx).Now(ctx, scope)
		if err != nil {
			return err
		}
		if out, err = o.Expire(now, true); err != nil {
			return err
		}
		if err := tx.SaveCreditOffer(ctx, out); err != nil {
			return err
		}
		return s.emitOffer(ctx, tx, lending.EventCreditOfferExpired, out)
	})
	return out, err
}

// sweepBatch bounds how many offers one sweep transaction expires.
const sweepBatch = 100

// ExpireDue expires every available offer past valid_until, in every scope (each scope's own clock), and
// returns how many it expired.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	return s.Store.InBatches(ctx, sweepBatch, func(tx *store.Tx) (int, error) {
		due, err := tx.DueCreditOffersAnyScope(ctx, s.Clock.Base.Now(), sweepBatch)
		if err != nil {
			return 0, err
		}
		for _, o := range due {
			now, err := s.Clock.Within(tx).Now(ctx, o.Scope)
			if err != nil {
				return 0, err
			}
			out, err := o.Expire(now, false)
			if err != nil {
				return 0, err
			}
			if err := tx.SaveCreditOffer(ctx, out); err != nil {
				return 0, err
			}
			if err := s.emitOffer(ctx, tx, lending.EventCreditOfferExpired, out); err != nil {
				return 0, err
			}
		}
		return len(due), nil
	})
}

// AnalyzeWorker runs credit analyses.
type AnalyzeWorker struct {
	river.WorkerDefaults[jobs.AnalyzeCredit]
	Service *Service
}

// waitForEnrichment is how long an analysis waits for a customer still being enriched (the bureau query
// needs the company's legal nature).
const waitForEnrichment = time.Second

// Work analyses one customer: the bureau's profile through the policy, stored; and the offer issued if the
// customer is already active. A customer still creating is retried shortly; a denied one is not analysed.
func (w *AnalyzeWorker) Work(ctx context.Context, job *river.Job[jobs.AnalyzeCredit]) error {
	s := w.Service
	var snooze bool
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.CustomerByIDForUpdate(ctx, job.Args.CustomerID)
		if err != nil {
			return err
		}
		switch c.Status {
		case lending.CustomerCreating:
			snooze = true
			return nil
		case lending.CustomerDenied:
			return nil
		}
		existing, err := tx.CreditAnalysisForUpdate(ctx, c.ID)
		if err != nil || existing != nil {
			return err
		}
		prof, err := s.Bureau.Profile(ctx, providers.BureauQuery{CNPJ: c.CNPJ, CPF: c.CPF, LegalNature: c.LegalNature})
		if err != nil {
			return fmt.Errorf("credit: bureau profile of %s: %w", c.ID, err)
		}
		now, err := s.Clock.Within(tx).Now(ctx, c.Scope)
		if err != nil {
			return err
		}
		now = now.UTC().Truncate(time.Microsecond)
		d := s.Policy.Decide(prof)
		a := lending.CreditAnalysis{CustomerID: c.ID, Scope: c.Scope, Status: lending.AnalysisDeclined, Profile: prof,
			Decision: d, CreatedAt: now, UpdatedAt: now}
		if d.Approved {
			a.Status = lending.AnalysisApproved
		}
		if err := tx.SaveCreditAnalysis(ctx, a); err != nil {
			return err
		}
		return s.IssueIfReady(ctx, tx, c)
	})
	if err == nil && snooze {
		return river.JobSnooze(waitForEnrichment)
	}
	if errors.Is(err, providers.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}

// Sweep expires due offers.
func (s *Service) Sweep(ctx context.Context) error {
	n, err := s.ExpireDue(ctx)
	if n > 0 {
		s.Logger.Info("expired credit offers", "count", n)
	}
	return err
}

// AdvanceClock moves partner's sandbox clock (by, or to when to is not zero) and queues a sweep so the
// work that came due runs at once. It returns the partner's new sandbox time.
func (s *Service) AdvanceClock(ctx context.Context, partnerID string, by time.Duration, to time.Time) (time.Time, error) {
	var now time.Time
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Serialize(ctx); err != nil {
			return err
		}
		current, err := tx.SandboxClockOffset(ctx, partnerID)
		if err != nil {
			return err
		}
		real := s.Clock.Base.Now()
		next, err := sandboxclock.Advance(current, real, by, to)
		if err != nil {
			return err
		}
		if err := tx.SetSandboxClockOffset(ctx, partnerID, next, real); err != nil {
			return err
		}
		now = real.Add(next)
		return s.Jobs.Insert(ctx, tx, jobs.Sweep{}, nil)
	})
	return now, err
}

// AddWorkers registers the credit job workers.
func AddWorkers(ws *river.Workers, s *Service) {
	river.AddWorker(ws, &AnalyzeWorker{Service: s})
}
