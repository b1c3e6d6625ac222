package lending

import (
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
)

// OfferStatus is where a credit offer is (contract.md §7.3).
type OfferStatus string

// Offer states: available → accepted (a loan took it) | expired (valid_until passed).
const (
	OfferAvailable OfferStatus = "available"
	OfferAccepted  OfferStatus = "accepted"
	OfferExpired   OfferStatus = "expired"
)

// ParseOfferStatus returns the status named s, or false.
func ParseOfferStatus(s string) (OfferStatus, bool) {
	switch st := OfferStatus(s); st {
	case OfferAvailable, OfferAccepted, OfferExpired:
		return st, true
	}
	return "", false
}

// Credit offer event types.
const (
	EventCreditOfferAvailable = "credit_offer.available"
	EventCreditOfferExpired   = "credit_offer.expired"
)

// CreditOffer is credit pre-approved for a customer, which the partner simulates on and turns into a loan.
type CreditOffer struct {
	ID         string
	Scope      Scope
	CustomerID string
	// ExternalID is the customer's external_id when the offer was issued.
	ExternalID *string
	Status     OfferStatus
	CreditTerms
	ValidUntil time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// NewCreditOffer issues an offer with terms to customer c at now, valid for validFor. The customer must be
// active (CodeInvalidCustomerState) and the terms coherent (CodeInvalidField).
func NewCreditOffer(c Customer, t CreditTerms, validFor time.Duration, now time.Time) (CreditOffer, error) {
	if err := c.requireStatus("issue a credit offer", CustomerActive); err != nil {
		return CreditOffer{}, err
	}
	if err := t.validate(); err != nil {
		return CreditOffer{}, err
	}
	now = now.UTC().Truncate(time.Second)
	return CreditOffer{ID: ids.New("co_"), Scope: c.Scope, CustomerID: c.ID, ExternalID: c.ExternalID,
		Status: OfferAvailable, CreditTerms: t, ValidUntil: now.Add(validFor), CreatedAt: now, UpdatedAt: now}, nil
}

// validate checks terms that may come from a partner (the sandbox offer route).
func (t CreditTerms) validate() error {
	field := func(param, format string, args ...any) error {
		return FieldErrorf(CodeInvalidField, param, format, args...)
	}
	if _, err := ParseMonthlyRate(t.MonthlyRate); err != nil {
		return err
	}
	switch {
	case t.MinAmount <= 0:
		return field("min_amount", "min_amount must be positive")
	case t.ApprovedAmount < t.MinAmount:
		return field("approved_amount", "approved_amount must be at least min_amount")
	case t.ApprovedAmount > 1_000_000_000_00:
		return field("approved_amount", "approved_amount may be at most 1,000,000,000.00")
	case t.Installments == 0 && (t.MinInstallments < 1 || t.MaxInstallments < t.MinInstallments):
		return field("min_installments", "min_installments must be at least 1 and at most max_installments")
	case t.Installments < 0 || t.Installments > MaxTermInstallments || t.MaxInstallments > MaxTermInstallments:
		return field("installments", "installments must be from 1 to %d", MaxTermInstallments)
	case t.Installments > 0 && (t.MinInstallments != 0 || t.MaxInstallments != 0):
		return field("installments", "send installments, or min_installments and max_installments, not both")
	}
	return priceable(t.MonthlyRate, max(t.Installments, t.MaxInstallments))
}

// StatusAt is the offer's status at now: an available offer past valid_until is expired even before the
// expiry job has marked it.
func (o CreditOffer) StatusAt(now time.Time) OfferStatus {
	if o.Status == OfferAvailable && !now.Before(o.ValidUntil) {
		return OfferExpired
	}
	return o.Status
}

// Usable returns nil if a simulation or loan may use the offer at now, or CodeOfferExpired /
// CodeOfferAlreadyAccepted.
func (o CreditOffer) Usable(now time.Time) error {
	switch o.StatusAt(now) {
	case OfferExpired:
		return Errorf(CodeOfferExpired, "credit offer %s expired at %d", o.ID, o.ValidUntil.Unix())
	case OfferAccepted:
		return Errorf(CodeOfferAlreadyAccepted, "credit offer %s was already accepted by a loan; each offer is accepted once", o.ID)
	}
	return nil
}

// Expire marks an available offer expired at now (when its time has come, or at once for the sandbox's
// expire control, force). It refuses an accepted or already expired offer with CodeInvalidOfferState.
func (o CreditOffer) Expire(now time.Time, force bool) (CreditOffer, error) {
	if o.Status != OfferAvailable {
		return o, Errorf(CodeInvalidOfferState, "credit offer %s is %s, not available", o.ID, o.Status)
	}
	if !force && now.Before(o.ValidUntil) {
		return o, Errorf(CodeInvalidOfferState, "credit offer %s is valid until %d", o.ID, o.ValidUntil.Unix())
	}
	o.Status = OfferExpired
	o.UpdatedAt = now.UTC().Truncate(time.Second)
	if force && now.Before(o.ValidUntil) {
		o.ValidUntil = o.UpdatedAt
	}
	return o, nil
}

// Accept marks the offer accepted by a loan at now.
func (o CreditOffer) Accept(now time.Time) (CreditOffer, error) {
	if err := o.Usable(now); err != nil {
		return o, err
	}
	o.Status = OfferAccepted
	o.UpdatedAt = now.UTC().Truncate(time.Second)
	return o, nil
}

// Release makes an accepted offer available again (its loan was cancelled); past valid_until it expires.
func (o CreditOffer) Release(now time.Time) CreditOffer {
	if o.Status != OfferAccepted {
		return o
	}
	o.Status = OfferAvailable
	if !now.Before(o.ValidUntil) {
		o.Status = OfferExpired
	}
	o.UpdatedAt = now.UTC().Truncate(time.Second)
	return o
}

// AllowsInstallments reports whether a loan of n installments fits the offer.
func (o CreditOffer) AllowsInstallments(n int) bool {
	if o.Installments > 0 {
		return n == o.Installments
	}
	return n >= o.MinInstallments && n <= o.MaxInstallments
}

// InstallmentsForEvent is the installments count sent in credit_offer events, which always carry one
// number (contract.md §8.1): the fixed term, or the longest term of a range.
func (o CreditOffer) InstallmentsForEvent() int {
	if o.Installments > 0 {
		return o.Installments
	}
	return o.MaxInstallments
}
