// Package customers runs the borrower side of the lifecycle: registration, enrichment from the company
// registry, KYC evidence, review by the KYC verifier, bank account and biometrics sessions. Every change
// loads the customer under a row lock, applies a domain rule, saves, and records the events and follow-up
// jobs it causes, all in one transaction.
package customers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/blob"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/wire"
)

// Service is the customers' use cases.
type Service struct {
	Store  *store.Store
	Events *events.Emitter
	Jobs   *jobs.Client
	Clock  clock.Clock
	Blobs  blob.Store
	// BankName resolves a zero-padded COMPE code in the bank directory.
	BankName func(id string) (string, bool)
	Logger   *slog.Logger
	// OnActive runs in the transaction that makes a customer active (the credit service issues its offer
	// there).
	OnActive func(ctx context.Context, tx *store.Tx, c lending.Customer) error
}

// Register creates a customer of scope from in, or returns the existing one with the same CPF and CNPJ
// (created = false) when the request is the same registration (spec/README.md decision 4). A new
// customer starts in creating, with its enrichment job queued in the same transaction.
func (s *Service) Register(ctx context.Context, scope lending.Scope, in lending.NewCustomerInput) (c lending.Customer, created bool, err error) {
	c, err = lending.NewCustomer(scope, in, s.Clock.Now())
	if err != nil {
		return c, false, err
	}
	externalID := c.ExternalID
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		existing, err := tx.InsertCustomer(ctx, c)
		if err != nil {
			return err
		}
		if existing != nil {
			c = *existing
			return existing.SameRegistration(externalID)
		}
		created = true
		// Enrichment leads to KYC; credit analysis runs beside it.
		return s.Jobs.InsertMany(ctx, tx, jobs.EnrichCustomer{CustomerID: c.ID}, jobs.AnalyzeCredit{CustomerID: c.ID})
	})
	return c, created, err
}

// Change is a change to one customer: given the transaction and the customer as stored, it returns the
// customer as it should be.
type Change func(tx *store.Tx, c lending.Customer) (lending.Customer, error)

// Update applies change to customer id of scope and returns the result. The events the change causes
// (lending.CustomerEvents) are recorded with it, a customer that went under review gets its review job,
// and one that became active is handed to OnActive.
func (s *Service) Update(ctx context.Context, scope lending.Scope, id string, change Change) (lending.Customer, error) {
	return s.update(ctx, func(tx *store.Tx) (lending.Customer, error) { return tx.CustomerForUpdate(ctx, scope, id) }, change)
}

// UpdateAnyScope is Update for background work and operators, which know a customer by id alone.
func (s *Service) UpdateAnyScope(ctx context.Context, id string, change Change) (lending.Customer, error) {
	return s.update(ctx, func(tx *store.Tx) (lending.Customer, error) { return tx.CustomerByIDForUpdate(ctx, id) }, change)
}

func (s *Service) update(ctx context.Context, load func(*store.Tx) (lending.Customer, error), change Change) (lending.Customer, error) {
	var out lending.Customer
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		before, err := load(tx)
		if err != nil {
			return err
		}
		after, err := change(tx, before)
		if err != nil {
			return err
		}
		out = after
		evs := lending.CustomerEvents(before, after)
		if len(evs) == 0 && after.UpdatedAt.Equal(before.UpdatedAt) {
			return nil
		}
		if err := tx.SaveCustomer(ctx, after); err != nil {
			return err
		}
		now := s.Clock.Now()
		for _, typ := range evs {
			data, err := wire.CustomerEventData(typ, after)
			if err != nil {
				return err
			}
			if _, err := s.Events.Emit(ctx, tx, after.Scope, typ, data, now); err != nil {
				return err
			}
		}
		if before.Status != lending.CustomerUnderReview && after.Status == lending.CustomerUnderReview {
			return s.Jobs.Insert(ctx, tx, jobs.ReviewKYC{CustomerID: after.ID}, nil)
		}
		if before.Status != lending.CustomerActive && after.Status == lending.CustomerActive && s.OnActive != nil {
			return s.OnActive(ctx, tx, after)
		}
		return nil
	})
	return out, err
}

// Upload is one KYC upload: evidence for a slot, with the file's bytes (already inspected) or a value.
type Upload struct {
	Evidence    lending.Evidence
	File        []byte
	ContentType string
}

// Submit stores an upload's file durably in the blob store, then records it against customer id of scope:
// the file's record, the requirement's new state, the files the upload superseded, and
// customer.kyc_updated. The blob is written before the transaction so a committed upload never points at
// missing bytes.
func (s *Service) Submit(ctx context.Context, scope lending.Scope, id string, up Upload) (lending.Customer, error) {
	ev := up.Evidence
	var file *lending.KYCFile
	if up.File != nil {
		// Check the upload against the customer as it is now, so bytes are stored only for an upload that
		// can be taken; the transaction below checks again under the row lock.
		c, err := s.Store.Customer(ctx, scope, id)
		if err != nil {
			return lending.Customer{}, err
		}
		probe := ev
		probe.FileID = "kf_pending"
		if _, _, err := c.Submit(probe, s.Clock.Now()); err != nil {
			return c, err
		}
		ref, err := s.Blobs.Put(ctx, up.File)
		if err != nil {
			return lending.Customer{}, fmt.Errorf("customers: store upload: %w", err)
		}
		file = &lending.KYCFile{ID: ids.New("kf_"), Scope: scope, CustomerID: id, RequirementID: ev.RequirementID,
			EvidenceType: ev.EvidenceType, AttachmentType: ev.AttachmentType, BlobKey: ref.Key, SHA256: ref.SHA256,
			Size: ref.Size, ContentType: up.ContentType, UploadedAt: s.Clock.Now().UTC().Truncate(time.Microsecond)}
		ev.FileID = file.ID
	}
	return s.Update(ctx, scope, id, func(tx *store.Tx, c lending.Customer) (lending.Customer, error) {
		after, _, err := c.Submit(ev, s.Clock.Now())
		if err != nil {
			return c, err
		}
		if file != nil {
			if err := tx.InsertKYCFile(ctx, *file); err != nil {
				return c, err
			}
		}
		// A file the customer no longer points at (its slot was sent again, or its requirement started
		// over) is kept, marked superseded.
		still := fileIDs(after)
		for id := range fileIDs(c) {
			if !still[id] {
				if err := tx.SupersedeKYCFile(ctx, id, s.Clock.Now()); err != nil {
					return c, err
				}
			}
		}
		return after, nil
	})
}

// LinkBankAccount validates in and makes it customer id's disbursement account, replacing any other.
func (s *Service) LinkBankAccount(ctx context.Context, scope lending.Scope, id string, in lending.BankAccountInput) (lending.BankAccount, error) {
	var out lending.BankAccount
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.CustomerForUpdate(ctx, scope, id)
		if err != nil {
			return err
		}
		prev, err := tx.BankAccountForUpdate(ctx, scope, id)
		if err != nil {
			return err
		}
		if out, err = lending.NewBankAccount(c, in, s.BankName, prev, s.Clock.Now()); err != nil {
			return err
		}
		if prev != nil && prev.ID == out.ID {
			return nil
		}
		return tx.UpsertBankAccount(ctx, out)
	})
	return out, err
}

// OpenBiometricsSession opens a biometrics session for customer id of scope and returns it with its
// single-use code; hash is how codes are kept.
func (s *Service) OpenBiometricsSession(ctx context.Context, scope lending.Scope, id string, hash func(string) string) (lending.BiometricsSession, string, error) {
	var out lending.BiometricsSession
	var code string
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.CustomerForUpdate(ctx, scope, id)
		if err != nil {
			return err
		}
		latest, err := tx.LatestBiometricsSession(ctx, scope, id)
		if err != nil {
			return err
		}
		if out, code, err = lending.NewBiometricsSession(c, latest, hash, s.Clock.Now()); err != nil {
			return err
		}
		return tx.InsertBiometricsSession(ctx, out)
	})
	return out, code, err
}

// fileIDs returns the stored files c's KYC points at.
func fileIDs(c lending.Customer) map[string]bool {
	out := map[string]bool{}
	for _, r := range c.KYC {
		if r.Submitted == nil {
			continue
		}
		for _, a := range r.Submitted.Attachments {
			if a.FileID != "" {
				out[a.FileID] = true
			}
		}
	}
	return out
}

// Verdict is an operator's or the sandbox control's decision about a customer.
type Verdict struct {
	// Approve accepts everything (sandbox only).
	Approve bool
	// Deny denies the customer for good, for Reason.
	Deny bool
	// Reject rejects RejectRequirement, or every requirement waiting for review when it is empty, for
	// Reason.
	Reject            bool
	RejectRequirement string
	// Items are per-requirement verdicts.
	Items  []lending.ItemDecision
	Reason string
}

// decide applies verdict v to c at the service's now.
func (s *Service) decide(c lending.Customer, v Verdict) (lending.Customer, error) {
	now := s.Clock.Now()
	switch {
	case v.Deny:
		return c.Deny(v.Reason, now)
	case v.Approve:
		return c.ApproveAll(now)
	case v.Reject:
		targets := c.PendingReview()
		if v.RejectRequirement != "" {
			targets = []string{v.RejectRequirement}
		}
		items := make([]lending.ItemDecision, len(targets))
		for i, id := range targets {
			items[i] = lending.ItemDecision{RequirementID: id, Verdict: lending.VerdictReject, Reason: v.Reason}
		}
		return c.Decide(items, now)
	}
	return c.Decide(v.Items, now)
}

// Decide applies an operator's or sandbox verdict to customer id of scope.
func (s *Service) Decide(ctx context.Context, scope lending.Scope, id string, v Verdict) (lending.Customer, error) {
	return s.Update(ctx, scope, id, func(_ *store.Tx, c lending.Customer) (lending.Customer, error) { return s.decide(c, v) })
}

// DecideAnyScope is Decide for the operator CLI, which knows customers by id alone.
func (s *Service) DecideAnyScope(ctx context.Context, id string, v Verdict) (lending.Customer, error) {
	return s.UpdateAnyScope(ctx, id, func(_ *store.Tx, c lending.Customer) (lending.Customer, error) { return s.decide(c, v) })
}

// workers, below, run enrichment and review.

// EnrichWorker looks new customers up in the company registry.
type EnrichWorker struct {
	river.WorkerDefaults[jobs.EnrichCustomer]
	Service  *Service
	Registry providers.Registry
}

// Work enriches one customer. A customer no longer creating is left alone (the job ran before); an
// unknown company is denied; registry failures are retried by the job engine.
func (w *EnrichWorker) Work(ctx context.Context, job *river.Job[jobs.EnrichCustomer]) error {
	_, err := w.Service.UpdateAnyScope(ctx, job.Args.CustomerID, func(_ *store.Tx, c lending.Customer) (lending.Customer, error) {
		if c.Status != lending.CustomerCreating {
			return c, nil
		}
		now := w.Service.Clock.Now()
		company, err := w.Registry.Company(ctx, c.CNPJ)
		if errors.Is(err, providers.ErrNotFound) {
			return c.Deny("the company registry does not know CNPJ "+c.CNPJ.Format(), now)
		}
		if err != nil {
			return c, fmt.Errorf("customers: registry lookup of %s: %w", c.ID, err)
		}
		applicantName := ""
		if c.Name == nil {
			if applicantName, err = w.Registry.PersonName(ctx, c.CPF); err != nil && !errors.Is(err, providers.ErrNotFound) {
				return c, fmt.Errorf("customers: name lookup of %s: %w", c.ID, err)
			}
		}
		e := lending.Enrichment{LegalName: company.LegalName, TradingName: company.TradingName,
			LegalNature: company.LegalNature, ApplicantName: applicantName, CoOwners: company.Partners}
		if company.Status != "" && company.Status != "ativa" {
			e.Closed, e.ClosedReason = true, company.Status
		}
		return c.Enrich(e, now)
	})
	return err
}

// ReviewWorker asks the KYC verifier of the customer's environment about a customer under review.
type ReviewWorker struct {
	river.WorkerDefaults[jobs.ReviewKYC]
	Service *Service
	// Verifiers maps each environment to its verifier: the sandbox decides test customers at once; live
	// customers wait for an operator unless a real verifier is plugged in.
	Verifiers map[lending.Environment]providers.KYCVerifier
}

// Work reviews one customer, if it still waits for review.
func (w *ReviewWorker) Work(ctx context.Context, job *river.Job[jobs.ReviewKYC]) error {
	_, err := w.Service.UpdateAnyScope(ctx, job.Args.CustomerID, func(_ *store.Tx, c lending.Customer) (lending.Customer, error) {
		if c.Status != lending.CustomerUnderReview {
			return c, nil
		}
		v, ok := w.Verifiers[c.Scope.Environment]
		if !ok {
			return c, nil
		}
		r, err := v.Review(ctx, c)
		if err != nil {
			return c, fmt.Errorf("customers: KYC review of %s: %w", c.ID, err)
		}
		switch {
		case r.Deferred:
			return c, nil
		case r.Deny:
			return c.Deny(r.DenyReason, w.Service.Clock.Now())
		case len(r.Decisions) == 0:
			return c, nil
		}
		return c.Decide(r.Decisions, w.Service.Clock.Now())
	})
	return err
}

// AddWorkers registers the customers' job workers.
func AddWorkers(ws *river.Workers, s *Service, registry providers.Registry, verifiers map[lending.Environment]providers.KYCVerifier) {
	river.AddWorker(ws, &EnrichWorker{Service: s, Registry: registry})
	river.AddWorker(ws, &ReviewWorker{Service: s, Verifiers: verifiers})
}
