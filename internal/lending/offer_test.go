package lending_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Shared by the offer and simulation tests.

var (
	// offerNow is 12:00 in Brasília on 2026-03-04.
	offerNow   = time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	offerScope = lending.Scope{PartnerID: "prt_offer", Environment: lending.EnvTest}
	offerIDRE  = regexp.MustCompile(`^co_[0-9a-f]{32}$`)
)

func newRand(a, b uint64) *rand.Rand { return rand.New(rand.NewPCG(a, b)) }

func activeCustomer() lending.Customer {
	return lending.Customer{ID: "cust_offer", Scope: offerScope, ExternalID: ptr("erp-42"), Status: lending.CustomerActive}
}

// fixedTerms are the terms of a fixed offer of n installments: R$ 1,000 to R$ 50,000 at 2.49% a.m., the
// default policy's fee, PJ.
func fixedTerms(n int) lending.CreditTerms {
	return lending.CreditTerms{ApprovedAmount: 50_000_00, MinAmount: 1_000_00, MonthlyRate: "2.49", Installments: n,
		FeeRate: "2", FeeMin: 50_00, FeeMax: 1_500_00, IOFRegime: lending.IOFRegimePJ}
}

// rangeTerms are fixedTerms with a range of installments instead.
func rangeTerms(lo, hi int) lending.CreditTerms {
	t := fixedTerms(0)
	t.MinInstallments, t.MaxInstallments = lo, hi
	return t
}

// mustOffer issues an offer with terms at now, valid for 30 days.
func mustOffer(t testing.TB, terms lending.CreditTerms, now time.Time) lending.CreditOffer {
	t.Helper()
	o, err := lending.NewCreditOffer(activeCustomer(), terms, 30*24*time.Hour, now)
	if err != nil {
		t.Fatalf("NewCreditOffer(%+v): %v", terms, err)
	}
	return o
}

func TestNewCreditOffer(t *testing.T) {
	t.Parallel()
	// A Brasília wall clock with a fraction of a second: stored in UTC, whole seconds.
	now := time.Date(2026, 3, 4, 12, 0, 0, 750_000_000, lending.Brasilia)
	o, err := lending.NewCreditOffer(activeCustomer(), fixedTerms(12), 72*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if !offerIDRE.MatchString(o.ID) {
		t.Errorf("ID %q does not match %s", o.ID, offerIDRE)
	}
	at := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	want := lending.CreditOffer{ID: o.ID, Scope: offerScope, CustomerID: "cust_offer", ExternalID: ptr("erp-42"),
		Status: lending.OfferAvailable, CreditTerms: fixedTerms(12), ValidUntil: at.Add(72 * time.Hour), CreatedAt: at, UpdatedAt: at}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("offer (-want +got):\n%s", diff)
	}
	if o.CreatedAt.Location() != time.UTC || o.ValidUntil.Location() != time.UTC {
		t.Errorf("times not in UTC: %v %v", o.CreatedAt, o.ValidUntil)
	}
	other, err := lending.NewCreditOffer(activeCustomer(), rangeTerms(3, 24), time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == o.ID {
		t.Errorf("two offers share the ID %s", o.ID)
	}
	if c := activeCustomer(); c.ExternalID != nil {
		c.ExternalID = nil
		o, err := lending.NewCreditOffer(c, fixedTerms(12), time.Hour, now)
		if err != nil || o.ExternalID != nil {
			t.Errorf("customer without external_id: %v %v", o.ExternalID, err)
		}
	}
}

func TestNewCreditOfferCustomerState(t *testing.T) {
	t.Parallel()
	for _, st := range []lending.CustomerStatus{lending.CustomerCreating, lending.CustomerPendingKYC, lending.CustomerUnderReview, lending.CustomerDenied, ""} {
		c := activeCustomer()
		c.Status = st
		_, err := lending.NewCreditOffer(c, fixedTerms(12), time.Hour, offerNow)
		checkCode(t, fmt.Sprintf("customer %q", st), err, lending.CodeInvalidCustomerState)
		// The customer is checked before the terms.
		bad := fixedTerms(12)
		bad.MonthlyRate = "abc"
		_, err = lending.NewCreditOffer(c, bad, time.Hour, offerNow)
		checkCode(t, fmt.Sprintf("customer %q, bad terms", st), err, lending.CodeInvalidCustomerState)
	}
}

func TestNewCreditOfferTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*lending.CreditTerms)
		param  string // "" = valid
	}{
		{"fixed", func(*lending.CreditTerms) {}, ""},
		{"range", func(t *lending.CreditTerms) { *t = rangeTerms(3, 24) }, ""},
		{"range of one", func(t *lending.CreditTerms) { *t = rangeTerms(6, 6) }, ""},
		{"one installment", func(t *lending.CreditTerms) { t.Installments = 1 }, ""},
		{"MaxInstallments", func(t *lending.CreditTerms) { t.Installments = lending.MaxTermInstallments }, ""},
		{"range to MaxInstallments", func(t *lending.CreditTerms) { *t = rangeTerms(1, lending.MaxTermInstallments) }, ""},
		{"approved = min", func(t *lending.CreditTerms) { t.ApprovedAmount = t.MinAmount }, ""},
		{"approved = MaxAmount", func(t *lending.CreditTerms) { t.ApprovedAmount = lending.MaxAmount }, ""},
		{"min 1 centavo", func(t *lending.CreditTerms) { t.MinAmount = 1 }, ""},
		{"rate 20", func(t *lending.CreditTerms) { t.MonthlyRate = "20" }, ""},
		{"rate 0.0001", func(t *lending.CreditTerms) { t.MonthlyRate = "0.0001" }, ""},

		{"rate empty", func(t *lending.CreditTerms) { t.MonthlyRate = "" }, "monthly_interest_rate"},
		{"rate 0", func(t *lending.CreditTerms) { t.MonthlyRate = "0" }, "monthly_interest_rate"},
		{"rate above 20", func(t *lending.CreditTerms) { t.MonthlyRate = "20.01" }, "monthly_interest_rate"},
		{"rate 5 decimals", func(t *lending.CreditTerms) { t.MonthlyRate = "2.12345" }, "monthly_interest_rate"},
		{"rate exponent", func(t *lending.CreditTerms) { t.MonthlyRate = "1e1" }, "monthly_interest_rate"},
		{"min 0", func(t *lending.CreditTerms) { t.MinAmount = 0 }, "min_amount"},
		{"min negative", func(t *lending.CreditTerms) { t.MinAmount = -1 }, "min_amount"},
		{"approved below min", func(t *lending.CreditTerms) { t.ApprovedAmount = t.MinAmount - 1 }, "approved_amount"},
		{"approved above MaxAmount", func(t *lending.CreditTerms) { t.ApprovedAmount = lending.MaxAmount + 1 }, "approved_amount"},
		{"neither fixed nor range", func(t *lending.CreditTerms) { t.Installments = 0 }, "min_installments"},
		{"range min 0", func(t *lending.CreditTerms) { *t = rangeTerms(0, 24) }, "min_installments"},
		{"range min negative", func(t *lending.CreditTerms) { *t = rangeTerms(-3, 24) }, "min_installments"},
		{"range inverted", func(t *lending.CreditTerms) { *t = rangeTerms(13, 12) }, "min_installments"},
		{"range max above MaxInstallments", func(t *lending.CreditTerms) { *t = rangeTerms(3, lending.MaxTermInstallments+1) }, "installments"},
		{"installments negative", func(t *lending.CreditTerms) { t.Installments = -12 }, "installments"},
		{"installments above MaxInstallments", func(t *lending.CreditTerms) { t.Installments = lending.MaxTermInstallments + 1 }, "installments"},
		{"fixed and range", func(t *lending.CreditTerms) { t.MinInstallments, t.MaxInstallments = 3, 24 }, "installments"},
		{"fixed and range min", func(t *lending.CreditTerms) { t.MinInstallments = 3 }, "installments"},
		{"fixed and range max", func(t *lending.CreditTerms) { t.MaxInstallments = 24 }, "installments"},
		{"fixed and range max equal", func(t *lending.CreditTerms) { t.MinInstallments, t.MaxInstallments = 12, 12 }, "installments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			terms := fixedTerms(12)
			tc.change(&terms)
			o, err := lending.NewCreditOffer(activeCustomer(), terms, time.Hour, offerNow)
			if tc.param == "" {
				if err != nil {
					t.Fatalf("NewCreditOffer(%+v): %v", terms, err)
				}
				if o.CreditTerms != terms {
					t.Errorf("terms %+v, want %+v", o.CreditTerms, terms)
				}
				return
			}
			checkFieldError(t, tc.name, err, lending.CodeInvalidField, tc.param)
			if o.ID != "" {
				t.Errorf("an offer came back with the error: %+v", o)
			}
		})
	}
}

func TestOfferStatusAtAndUsable(t *testing.T) {
	t.Parallel()
	base := mustOffer(t, fixedTerms(12), offerNow)
	vu := base.ValidUntil
	with := func(st lending.OfferStatus) lending.CreditOffer { o := base; o.Status = st; return o }
	tests := []struct {
		name   string
		status lending.OfferStatus
		at     time.Time
		want   lending.OfferStatus
		code   lending.Code // of Usable; "" = usable
	}{
		{"available, just issued", lending.OfferAvailable, offerNow, lending.OfferAvailable, ""},
		{"available, before", lending.OfferAvailable, vu.Add(-time.Nanosecond), lending.OfferAvailable, ""},
		{"available, at valid_until", lending.OfferAvailable, vu, lending.OfferExpired, lending.CodeOfferExpired},
		{"available, after", lending.OfferAvailable, vu.Add(time.Second), lending.OfferExpired, lending.CodeOfferExpired},
		{"available, at valid_until in Brasília", lending.OfferAvailable, vu.In(lending.Brasilia), lending.OfferExpired, lending.CodeOfferExpired},
		{"accepted, before", lending.OfferAccepted, offerNow, lending.OfferAccepted, lending.CodeOfferAlreadyAccepted},
		{"accepted, at", lending.OfferAccepted, vu, lending.OfferAccepted, lending.CodeOfferAlreadyAccepted},
		{"accepted, after", lending.OfferAccepted, vu.Add(365 * 24 * time.Hour), lending.OfferAccepted, lending.CodeOfferAlreadyAccepted},
		{"expired, before", lending.OfferExpired, offerNow, lending.OfferExpired, lending.CodeOfferExpired},
		{"expired, after", lending.OfferExpired, vu.Add(time.Hour), lending.OfferExpired, lending.CodeOfferExpired},
	}
	for _, tc := range tests {
		o := with(tc.status)
		if got := o.StatusAt(tc.at); got != tc.want {
			t.Errorf("%s: StatusAt = %s, want %s", tc.name, got, tc.want)
		}
		err := o.Usable(tc.at)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: Usable = %v, want nil", tc.name, err)
			}
			continue
		}
		checkCode(t, tc.name, err, tc.code)
	}
}

func TestOfferExpire(t *testing.T) {
	t.Parallel()
	o := mustOffer(t, fixedTerms(12), offerNow)
	vu := o.ValidUntil
	t.Run("due", func(t *testing.T) {
		t.Parallel()
		for _, at := range []time.Time{vu, vu.Add(time.Second), vu.Add(40 * 24 * time.Hour)} {
			got, err := o.Expire(at.Add(123*time.Millisecond), false)
			if err != nil {
				t.Fatalf("Expire(%v): %v", at, err)
			}
			want := o
			want.Status, want.UpdatedAt = lending.OfferExpired, at.UTC()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Expire(%v) (-want +got):\n%s", at, diff)
			}
		}
	})
	t.Run("not due", func(t *testing.T) {
		t.Parallel()
		for _, at := range []time.Time{offerNow, vu.Add(-time.Nanosecond)} {
			got, err := o.Expire(at, false)
			checkCode(t, "Expire before valid_until", err, lending.CodeInvalidOfferState)
			if diff := cmp.Diff(o, got); diff != "" {
				t.Errorf("offer changed on error (-want +got):\n%s", diff)
			}
		}
	})
	t.Run("force before valid_until", func(t *testing.T) {
		t.Parallel()
		at := offerNow.Add(time.Hour + 500*time.Millisecond)
		got, err := o.Expire(at, true)
		if err != nil {
			t.Fatal(err)
		}
		want := o
		want.Status, want.UpdatedAt, want.ValidUntil = lending.OfferExpired, at.Truncate(time.Second), at.Truncate(time.Second)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if got.StatusAt(at) != lending.OfferExpired {
			t.Errorf("StatusAt = %s", got.StatusAt(at))
		}
	})
	t.Run("force after valid_until keeps valid_until", func(t *testing.T) {
		t.Parallel()
		at := vu.Add(time.Hour)
		got, err := o.Expire(at, true)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != lending.OfferExpired || !got.ValidUntil.Equal(vu) || !got.UpdatedAt.Equal(at) {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		accepted, err := o.Accept(offerNow.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		expired, err := o.Expire(vu, false)
		if err != nil {
			t.Fatal(err)
		}
		for name, from := range map[string]lending.CreditOffer{"accepted": accepted, "expired": expired} {
			for _, force := range []bool{false, true} {
				for _, at := range []time.Time{offerNow, vu.Add(time.Hour)} {
					got, err := from.Expire(at, force)
					checkCode(t, fmt.Sprintf("Expire %s force=%v", name, force), err, lending.CodeInvalidOfferState)
					if diff := cmp.Diff(from, got); diff != "" {
						t.Errorf("%s offer changed on error (-want +got):\n%s", name, diff)
					}
				}
			}
		}
	})
}

func TestOfferAccept(t *testing.T) {
	t.Parallel()
	o := mustOffer(t, rangeTerms(3, 24), offerNow)
	at := offerNow.Add(90*time.Minute + 250*time.Millisecond)
	acc, err := o.Accept(at)
	if err != nil {
		t.Fatal(err)
	}
	want := o
	want.Status, want.UpdatedAt = lending.OfferAccepted, at.Truncate(time.Second)
	if diff := cmp.Diff(want, acc); diff != "" {
		t.Errorf("accepted (-want +got):\n%s", diff)
	}
	for _, again := range []time.Time{at, at.Add(time.Hour), o.ValidUntil.Add(time.Hour)} {
		got, err := acc.Accept(again)
		checkCode(t, "second Accept", err, lending.CodeOfferAlreadyAccepted)
		if diff := cmp.Diff(acc, got); diff != "" {
			t.Errorf("second Accept changed the offer (-want +got):\n%s", diff)
		}
	}
	for _, late := range []time.Time{o.ValidUntil, o.ValidUntil.Add(time.Second)} {
		got, err := o.Accept(late)
		checkCode(t, "Accept at/after valid_until", err, lending.CodeOfferExpired)
		if got.Status != lending.OfferAvailable {
			t.Errorf("Accept of an unmarked expired offer changed its status to %s", got.Status)
		}
	}
	exp, err := o.Expire(offerNow, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = exp.Accept(offerNow)
	checkCode(t, "Accept of a marked expired offer", err, lending.CodeOfferExpired)
}

func TestOfferRelease(t *testing.T) {
	t.Parallel()
	o := mustOffer(t, fixedTerms(12), offerNow)
	acc, err := o.Accept(offerNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("before valid_until", func(t *testing.T) {
		t.Parallel()
		at := o.ValidUntil.Add(-time.Second)
		got := acc.Release(at)
		want := acc
		want.Status, want.UpdatedAt = lending.OfferAvailable, at
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if _, err := got.Accept(at); err != nil {
			t.Errorf("a released offer cannot be accepted again: %v", err)
		}
	})
	for _, at := range []time.Time{o.ValidUntil, o.ValidUntil.Add(24 * time.Hour)} {
		got := acc.Release(at)
		want := acc
		want.Status, want.UpdatedAt = lending.OfferExpired, at
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Release at %v (-want +got):\n%s", at, diff)
		}
	}
	exp, err := o.Expire(o.ValidUntil, false)
	if err != nil {
		t.Fatal(err)
	}
	for name, from := range map[string]lending.CreditOffer{"available": o, "expired": exp} {
		if got := from.Release(o.ValidUntil.Add(time.Hour)); !cmp.Equal(from, got) {
			t.Errorf("Release of an %s offer changed it: %+v", name, got)
		}
	}
}

func TestOfferInstallments(t *testing.T) {
	t.Parallel()
	fixed := mustOffer(t, fixedTerms(12), offerNow)
	ranged := mustOffer(t, rangeTerms(3, 24), offerNow)
	one := mustOffer(t, rangeTerms(6, 6), offerNow)
	for _, tc := range []struct {
		o    lending.CreditOffer
		n    int
		want bool
	}{
		{fixed, 12, true}, {fixed, 11, false}, {fixed, 13, false}, {fixed, 0, false}, {fixed, -12, false},
		{ranged, 2, false}, {ranged, 3, true}, {ranged, 12, true}, {ranged, 24, true}, {ranged, 25, false}, {ranged, 0, false}, {ranged, -1, false},
		{one, 5, false}, {one, 6, true}, {one, 7, false},
	} {
		if got := tc.o.AllowsInstallments(tc.n); got != tc.want {
			t.Errorf("offer %d/%d..%d AllowsInstallments(%d) = %v, want %v", tc.o.Installments, tc.o.MinInstallments, tc.o.MaxInstallments, tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		o    lending.CreditOffer
		want int
	}{{fixed, 12}, {ranged, 24}, {one, 6}, {mustOffer(t, fixedTerms(1), offerNow), 1}} {
		if got := tc.o.InstallmentsForEvent(); got != tc.want {
			t.Errorf("InstallmentsForEvent = %d, want %d", got, tc.want)
		}
	}
}

func TestParseOfferStatus(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"available", "accepted", "expired"} {
		if st, ok := lending.ParseOfferStatus(s); !ok || string(st) != s {
			t.Errorf("ParseOfferStatus(%q) = %q, %v", s, st, ok)
		}
	}
	for _, s := range []string{"", "Available", "pending", "expired "} {
		if st, ok := lending.ParseOfferStatus(s); ok {
			t.Errorf("ParseOfferStatus(%q) = %q, want false", s, st)
		}
	}
}

// offerModel is the offer state machine of contract.md §7.3 written out plainly: the reference the
// property test holds the implementation to.
type offerModel struct {
	status     lending.OfferStatus
	validUntil time.Time
}

func (m *offerModel) accept(now time.Time) lending.Code {
	switch {
	case m.status == lending.OfferAccepted:
		return lending.CodeOfferAlreadyAccepted
	case m.status == lending.OfferExpired || !now.Before(m.validUntil):
		return lending.CodeOfferExpired
	}
	m.status = lending.OfferAccepted
	return ""
}

func (m *offerModel) expire(now time.Time, force bool) lending.Code {
	if m.status != lending.OfferAvailable || (!force && now.Before(m.validUntil)) {
		return lending.CodeInvalidOfferState
	}
	if now.Before(m.validUntil) {
		m.validUntil = now.UTC().Truncate(time.Second)
	}
	m.status = lending.OfferExpired
	return ""
}

func (m *offerModel) release(now time.Time) {
	if m.status != lending.OfferAccepted {
		return
	}
	m.status = lending.OfferAvailable
	if !now.Before(m.validUntil) {
		m.status = lending.OfferExpired
	}
}

// TestOfferStateMachineProperty drives offers through random sequences of Accept, Expire (due or
// forced) and Release at random, mostly advancing, times, and checks them against offerModel and the
// invariants: an accepted offer is never expired by Expire, never accepted twice without a release in
// between, an expired offer never comes back, and the status is always one of the three.
func TestOfferStateMachineProperty(t *testing.T) {
	t.Parallel()
	rng := newRand(73, 2026)
	valid := []lending.OfferStatus{lending.OfferAvailable, lending.OfferAccepted, lending.OfferExpired}
	for run := range 1000 {
		issued := offerNow.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
		validFor := time.Duration(1+rng.Int64N(72)) * time.Hour
		o, err := lending.NewCreditOffer(activeCustomer(), fixedTerms(12), validFor, issued)
		if err != nil {
			t.Fatal(err)
		}
		m := offerModel{status: o.Status, validUntil: o.ValidUntil}
		now := issued
		var log opLog
		held := false // a successful Accept not yet undone by Release
		for step := range 40 {
			// Mostly forward in small steps (crossing valid_until in about half the runs); sometimes a
			// clock that jumps back.
			switch r := rng.IntN(20); {
			case r == 0:
				now = now.Add(-time.Duration(rng.Int64N(int64(6 * time.Hour))))
			case r < 3:
				now = o.ValidUntil.Add(time.Duration(rng.Int64N(3)-1) * time.Nanosecond)
			default:
				now = now.Add(time.Duration(rng.Int64N(int64(4 * time.Hour))))
			}
			prev := o
			var got, want lending.Code
			switch op := rng.IntN(4); op {
			case 0:
				var err error
				o, err = o.Accept(now)
				got, want = codeOf(err), m.accept(now)
				log = append(log, offerOp{"Accept", now, false, got, o.Status})
				if err == nil {
					if held {
						t.Fatalf("run %d: accepted twice with no release: %v", run, log)
					}
					held = true
				}
			case 1, 2:
				force := op == 2
				var err error
				o, err = o.Expire(now, force)
				got, want = codeOf(err), m.expire(now, force)
				log = append(log, offerOp{"Expire", now, force, got, o.Status})
				if prev.Status == lending.OfferAccepted && (err == nil || o.Status != lending.OfferAccepted) {
					t.Fatalf("run %d: Expire touched an accepted offer: %v", run, log)
				}
			case 3:
				o = o.Release(now)
				m.release(now)
				if prev.Status == lending.OfferAccepted {
					held = false
				}
				log = append(log, offerOp{"Release", now, false, "", o.Status})
			}
			if got != want || o.Status != m.status || !o.ValidUntil.Equal(m.validUntil) {
				t.Fatalf("run %d step %d: got %s/%s/%v, model %s/%s/%v\n%v", run, step, got, o.Status, o.ValidUntil, want, m.status, m.validUntil, log)
			}
			if got != "" && prev != o {
				t.Fatalf("run %d step %d: a refused operation changed the offer: %v", run, step, log)
			}
			if !slices.Contains(valid, o.Status) || !slices.Contains(valid, o.StatusAt(now)) {
				t.Fatalf("run %d: status %q / %q: %v", run, o.Status, o.StatusAt(now), log)
			}
			if prev.Status == lending.OfferExpired && o.Status != lending.OfferExpired {
				t.Fatalf("run %d: an expired offer came back as %s: %v", run, o.Status, log)
			}
			if o.ValidUntil.After(prev.ValidUntil) {
				t.Fatalf("run %d: valid_until moved later: %v", run, log)
			}
			if o.ID != prev.ID || o.CreditTerms != prev.CreditTerms || !o.CreatedAt.Equal(prev.CreatedAt) {
				t.Fatalf("run %d: identity or terms changed: %v", run, log)
			}
		}
	}
}

// offerOp is one step of TestOfferStateMachineProperty, for its failure messages.
type offerOp struct {
	name  string
	at    time.Time
	force bool
	code  lending.Code
	after lending.OfferStatus
}

type opLog []offerOp

func (l opLog) String() string {
	var b strings.Builder
	for _, op := range l {
		fmt.Fprintf(&b, "\n  %s(%s, force=%v) = %q → %s", op.name, op.at.Format(time.RFC3339Nano), op.force, op.code, op.after)
	}
	return b.String()
}

// codeOf is the domain code of err, or "" for nil.
func codeOf(err error) lending.Code {
	if err == nil {
		return ""
	}
	return lending.ErrorCode(err)
}
