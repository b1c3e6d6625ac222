package storetest

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var creditTests = []namedTest{
	{"AnalysisRoundTrip", testCreditAnalysisRoundTrip},
	{"AnalysisReplace", testCreditAnalysisReplace},
	{"OfferRoundTrip", testCreditOfferRoundTrip},
	{"OfferOutsideScope", testCreditOfferOutsideScope},
	{"OfferInsertErrors", testInsertCreditOfferErrors},
	{"SaveOffer", testSaveCreditOffer},
	{"ListOffers", testListCreditOffers},
	{"ListOffersCursorOutsideList", testListCreditOffersCursorOutsideList},
	{"DueOffers", testDueCreditOffers},
	{"AcceptConcurrent", testAcceptCreditOfferConcurrent},
	{"SimulationRoundTrip", testSimulationRoundTrip},
	{"SimulationOutsideScope", testSimulationOutsideScope},
	{"SandboxClock", testSandboxClock},
}

// exactDiff is cmp.Diff without the suite's options: a nil slice differs from an empty one, so the JSON
// columns are seen to keep the difference.
func exactDiff(want, got any) string { return gocmp.Diff(want, got) }

// activeCustomer stores a new customer of scope driven by the domain to active at now: enriched as an
// MEI, then approved in full.
func activeCustomer(t *testing.T, s *store.Store, scope lending.Scope, externalID *string, now time.Time) lending.Customer {
	t.Helper()
	cpf, cnpj := nextTaxIDs()
	c, err := newCustomer(t, scope, cpf, cnpj, externalID, now).Enrich(lending.Enrichment{LegalName: "Padaria Pão e Mel ME",
		TradingName: "Pão & Mel", LegalNature: lending.LegalNatureMEI, ApplicantName: "Maria D'Ávila"}, now)
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if c, err = c.ApproveAll(now); err != nil {
		t.Fatalf("ApproveAll: %v", err)
	}
	return storeCustomer(t, s, c)
}

// Profiles the default policy turns into a fixed offer (12 installments, PJ IOF) and a range offer (3 to
// 24 installments, Simples IOF).
var (
	fixedProfile = lending.CreditProfile{Score: 600, MonthlyRevenue: 5_000_000}
	rangeProfile = lending.CreditProfile{Score: 900, MonthlyRevenue: 2_345_678, Restrictions: []string{}, SimplesNacional: true}
)

// decide is the default policy's decision on prof.
func decide(t *testing.T, prof lending.CreditProfile) lending.CreditDecision {
	t.Helper()
	p := lending.DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("DefaultPolicy: %v", err)
	}
	return p.Decide(prof)
}

// termsOf returns the terms the default policy gives prof, failing t unless it approves.
func termsOf(t *testing.T, prof lending.CreditProfile) lending.CreditTerms {
	t.Helper()
	d := decide(t, prof)
	if !d.Approved {
		t.Fatalf("fixture: the default policy declines %+v: %s", prof, d.Reason)
	}
	return d.Terms
}

// newOffer builds (without storing) an offer with terms to customer c at now, through the domain.
func newOffer(t *testing.T, c lending.Customer, terms lending.CreditTerms, now time.Time) lending.CreditOffer {
	t.Helper()
	o, err := lending.NewCreditOffer(c, terms, lending.DefaultPolicy().ValidFor, now)
	if err != nil {
		t.Fatalf("NewCreditOffer: %v", err)
	}
	return o
}

func insertOffer(t *testing.T, s *store.Store, o lending.CreditOffer) lending.CreditOffer {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "InsertCreditOffer("+o.ID+")", func(tx *store.Tx) error { return tx.InsertCreditOffer(ctx, o) })
	return o
}

func mustGetOffer(t *testing.T, s *store.Store, scope lending.Scope, id string) lending.CreditOffer {
	t.Helper()
	o, err := s.CreditOffer(testCtx(t), scope, id)
	if err != nil {
		t.Fatalf("CreditOffer(%s): %v", id, err)
	}
	return o
}

func saveOffer(t *testing.T, s *store.Store, o lending.CreditOffer) {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "SaveCreditOffer("+o.ID+")", func(tx *store.Tx) error { return tx.SaveCreditOffer(ctx, o) })
}

func saveAnalysis(t *testing.T, s *store.Store, a lending.CreditAnalysis) {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "SaveCreditAnalysis("+a.CustomerID+")", func(tx *store.Tx) error { return tx.SaveCreditAnalysis(ctx, a) })
}

// expectAnalysis checks both reads of customerID's analysis against want (nil: none).
func expectAnalysis(t *testing.T, s *store.Store, what, customerID string, want *lending.CreditAnalysis) {
	t.Helper()
	ctx := testCtx(t)
	got, err := s.CreditAnalysis(ctx, customerID)
	if err != nil {
		t.Errorf("%s: CreditAnalysis: %v", what, err)
	} else if diff := exactDiff(want, got); diff != "" {
		t.Errorf("%s: CreditAnalysis (-want +got):\n%s", what, diff)
	}
	mustTx(t, s, what+": CreditAnalysisForUpdate", func(tx *store.Tx) error {
		got, err := tx.CreditAnalysisForUpdate(ctx, customerID)
		if err != nil {
			return err
		}
		if diff := exactDiff(want, got); diff != "" {
			t.Errorf("%s: CreditAnalysisForUpdate (-want +got):\n%s", what, diff)
		}
		return nil
	})
	if got != nil {
		assertUTC(t, what+": CreatedAt", &got.CreatedAt)
		assertUTC(t, what+": UpdatedAt", &got.UpdatedAt)
	}
}

// analysisOf is the analysis of customer c with the default policy's decision on prof, at now.
func analysisOf(t *testing.T, c lending.Customer, prof lending.CreditProfile, now time.Time) lending.CreditAnalysis {
	t.Helper()
	a := lending.CreditAnalysis{CustomerID: c.ID, Scope: c.Scope, Status: lending.AnalysisDeclined, Profile: prof,
		Decision: decide(t, prof), CreatedAt: now, UpdatedAt: now}
	if a.Decision.Approved {
		a.Status = lending.AnalysisApproved
	}
	return a
}

// testCreditAnalysisRoundTrip stores an approved analysis with terms and a declined one with a reason,
// and reads each back unchanged; a customer without an analysis has none.
func testCreditAnalysisRoundTrip(t *testing.T, e Engine) {
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	now := t0.Add(subSecond)
	cases := []struct {
		name    string
		prof    lending.CreditProfile
		approve bool
		offer   bool
	}{
		{"approved, fixed terms, PJ", fixedProfile, true, false},
		{"approved, range terms, Simples, with offer", rangeProfile, true, true},
		{"declined: restrictions", lending.CreditProfile{Score: 820, MonthlyRevenue: 9_999_999_99,
			Restrictions: []string{"protesto: R$ 1.234,56 em 'cartório' ?", "cheque sem fundo"}}, false, false},
		{"declined: low score", lending.CreditProfile{Score: 120, MonthlyRevenue: 1}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := activeCustomer(t, s, scope, nil, now)
			expectAnalysis(t, s, "before any", c.ID, nil)
			a := analysisOf(t, c, tc.prof, now)
			if a.Decision.Approved != tc.approve {
				t.Fatalf("fixture: the policy approves %+v: %v, want %v (%s)", tc.prof, a.Decision.Approved, tc.approve, a.Decision.Reason)
			}
			if !tc.approve && a.Decision.Reason == "" {
				t.Fatalf("fixture: a declined decision without a reason")
			}
			if tc.offer {
				a.OfferID = insertOffer(t, s, newOffer(t, c, a.Decision.Terms, now)).ID
			}
			saveAnalysis(t, s, a)
			expectAnalysis(t, s, "stored", c.ID, &a)
		})
	}
	expectAnalysis(t, s, "unknown customer", ids.New("cust_"), nil)
	expectAnalysis(t, s, "quote", "'", nil)
}

// testCreditAnalysisReplace: saving a customer's analysis again replaces every column of it, and leaves
// other customers' analyses alone; the customer must exist.
func testCreditAnalysisReplace(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	c1, c2 := activeCustomer(t, s, scope, nil, t0), activeCustomer(t, s, scope, nil, t0)

	declined := analysisOf(t, c1, lending.CreditProfile{Score: 100, MonthlyRevenue: 1_000_00}, t0.Add(subSecond))
	saveAnalysis(t, s, declined)
	other := analysisOf(t, c2, fixedProfile, t0)
	saveAnalysis(t, s, other)

	approved := analysisOf(t, c1, rangeProfile, t0.Add(time.Hour+subSecond))
	approved.CreatedAt = t0.Add(time.Minute)
	saveAnalysis(t, s, approved)
	expectAnalysis(t, s, "replaced by an approval", c1.ID, &approved)

	withOffer := approved
	withOffer.OfferID = insertOffer(t, s, newOffer(t, c1, approved.Decision.Terms, t0.Add(2*time.Hour))).ID
	withOffer.UpdatedAt = t0.Add(2*time.Hour + subSecond)
	saveAnalysis(t, s, withOffer)
	expectAnalysis(t, s, "offer issued", c1.ID, &withOffer)

	saveAnalysis(t, s, declined)
	expectAnalysis(t, s, "back to declined, offer cleared", c1.ID, &declined)
	expectAnalysis(t, s, "another customer's", c2.ID, &other)

	unknown := analysisOf(t, lending.Customer{ID: ids.New("cust_"), Scope: scope}, fixedProfile, t0)
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveCreditAnalysis(ctx, unknown) }); err == nil {
		t.Errorf("SaveCreditAnalysis of an unknown customer succeeded, want an error")
	}
	expectAnalysis(t, s, "unknown customer after a failed save", unknown.CustomerID, nil)
}

// testCreditOfferRoundTrip stores a fixed offer and a range offer, with and without external_id, and
// reads each back unchanged through every read.
func testCreditOfferRoundTrip(t *testing.T, e Engine) {
	s, _ := open(t, e)
	cases := []struct {
		name  string
		ext   *string
		prof  lending.CreditProfile
		shift time.Duration
	}{
		{"fixed, external id", ptr("ext-'?-1"), fixedProfile, 0},
		{"range, no external id, sub-second instants", nil, rangeProfile, subSecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			scope := mustScope(t, s, lending.EnvLive)
			c := activeCustomer(t, s, scope, tc.ext, t0)
			want := newOffer(t, c, termsOf(t, tc.prof), t0)
			want.CreatedAt, want.UpdatedAt = want.CreatedAt.Add(tc.shift), want.UpdatedAt.Add(2*tc.shift)
			want.ValidUntil = want.ValidUntil.Add(3 * tc.shift)
			if (want.Installments > 0) != (tc.prof.Score < lending.DefaultPolicy().RangeMinScore) {
				t.Fatalf("fixture: offer terms %+v are not the intended variant", want.CreditTerms)
			}
			insertOffer(t, s, want)

			got := mustGetOffer(t, s, scope, want.ID)
			if diff := exactDiff(want, got); diff != "" {
				t.Errorf("CreditOffer (-want +got):\n%s", diff)
			}
			for what, v := range map[string]*time.Time{"ValidUntil": &got.ValidUntil, "CreatedAt": &got.CreatedAt, "UpdatedAt": &got.UpdatedAt} {
				assertUTC(t, what, v)
			}
			mustTx(t, s, "read for update", func(tx *store.Tx) error {
				got, err := tx.CreditOfferForUpdate(ctx, scope, want.ID)
				if err != nil {
					return fmt.Errorf("CreditOfferForUpdate: %w", err)
				}
				if diff := exactDiff(want, got); diff != "" {
					t.Errorf("CreditOfferForUpdate (-want +got):\n%s", diff)
				}
				return nil
			})
			list, hasMore, err := s.ListCreditOffers(ctx, scope, store.CreditOfferFilter{CustomerID: c.ID}, store.Page{Limit: 10})
			if err != nil || hasMore || len(list) != 1 {
				t.Fatalf("ListCreditOffers = %d items, has_more %v, %v; want 1, false, nil", len(list), hasMore, err)
			}
			if diff := exactDiff(want, list[0]); diff != "" {
				t.Errorf("ListCreditOffers (-want +got):\n%s", diff)
			}
		})
	}
}

// testCreditOfferOutsideScope: an offer exists only in its own partner's environment: every read, save,
// list and sweep of another scope misses it, and leaves it unchanged.
func testCreditOfferOutsideScope(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	c := activeCustomer(t, s, scope, nil, t0)
	o := insertOffer(t, s, newOffer(t, c, termsOf(t, fixedProfile), t0))
	live := lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}
	other := mustScope(t, s, lending.EnvTest)

	for _, tc := range []struct {
		name  string
		scope lending.Scope
		id    string
	}{
		{"same partner's other environment", live, o.ID},
		{"other partner", other, o.ID},
		{"unknown id", scope, ids.New("co_")},
		{"quote", scope, "'"},
	} {
		_, err := s.CreditOffer(ctx, tc.scope, tc.id)
		wantCode(t, tc.name+": CreditOffer", err, lending.CodeCreditOfferNotFound)
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.CreditOfferForUpdate(ctx, tc.scope, tc.id)
			return err
		})
		wantCode(t, tc.name+": CreditOfferForUpdate", err, lending.CodeCreditOfferNotFound)
		moved := o
		moved.ID, moved.Scope, moved.Status, moved.UpdatedAt = tc.id, tc.scope, lending.OfferAccepted, t0.Add(time.Hour)
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveCreditOffer(ctx, moved) })
		wantCode(t, tc.name+": SaveCreditOffer", err, lending.CodeCreditOfferNotFound)
	}
	for _, sc := range []lending.Scope{live, other} {
		for _, f := range []store.CreditOfferFilter{{}, {CustomerID: c.ID}, {Status: o.Status}, {CustomerID: c.ID, Status: o.Status}} {
			list, hasMore, err := s.ListCreditOffers(ctx, sc, f, store.Page{Limit: 10})
			if err != nil || len(list) != 0 || hasMore {
				t.Errorf("ListCreditOffers(%v, %+v) = %d items, has_more %v, %v; want none", sc, f, len(list), hasMore, err)
			}
		}
		mustTx(t, s, "DueCreditOffers", func(tx *store.Tx) error {
			due, err := tx.DueCreditOffers(ctx, sc, o.ValidUntil.Add(time.Hour), 10)
			if err == nil && len(due) != 0 {
				t.Errorf("DueCreditOffers(%v) = %d offers, want none", sc, len(due))
			}
			return err
		})
	}
	if diff := exactDiff(o, mustGetOffer(t, s, scope, o.ID)); diff != "" {
		t.Errorf("offer after saves in other scopes (-want +got):\n%s", diff)
	}
}

// testInsertCreditOfferErrors: an offer needs an existing customer, a new id and a known status.
func testInsertCreditOfferErrors(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	c := activeCustomer(t, s, scope, nil, t0)
	o := insertOffer(t, s, newOffer(t, c, termsOf(t, fixedProfile), t0))
	sameID := newOffer(t, c, termsOf(t, rangeProfile), t0)
	sameID.ID = o.ID
	noCustomer := newOffer(t, c, termsOf(t, rangeProfile), t0)
	noCustomer.CustomerID = ids.New("cust_")
	badStatus := newOffer(t, c, termsOf(t, rangeProfile), t0)
	badStatus.Status = "withdrawn"
	for name, bad := range map[string]lending.CreditOffer{"taken id": sameID, "unknown customer": noCustomer, "unknown status": badStatus} {
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertCreditOffer(ctx, bad) }); err == nil {
			t.Errorf("InsertCreditOffer(%s) succeeded, want an error", name)
		}
	}
	list, _, err := s.ListCreditOffers(ctx, scope, store.CreditOfferFilter{}, store.Page{Limit: 10})
	if err != nil {
		t.Fatalf("ListCreditOffers: %v", err)
	}
	if diff := exactDiff([]lending.CreditOffer{o}, list); diff != "" {
		t.Errorf("scope's offers after failed inserts (-want +got):\n%s", diff)
	}
}

// testSaveCreditOffer: SaveCreditOffer writes status, valid_until and updated_at, and never the terms or
// the other immutable columns.
func testSaveCreditOffer(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	c := activeCustomer(t, s, scope, ptr("ext-1"), t0)
	o := insertOffer(t, s, newOffer(t, c, termsOf(t, rangeProfile), t0))

	accepted, err := o.Accept(t0.Add(time.Hour + subSecond))
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	released := accepted.Release(t0.Add(2 * time.Hour))
	expired, err := released.Expire(t0.Add(3*time.Hour), true) // forced: valid_until moves to now
	if err != nil {
		t.Fatalf("Expire: %v", err)
	}
	if expired.ValidUntil.Equal(o.ValidUntil) {
		t.Fatalf("fixture: a forced expiry should move valid_until")
	}
	immutable := expired
	immutable.CustomerID, immutable.ExternalID = activeCustomer(t, s, scope, nil, t0).ID, ptr("ext-other")
	immutable.CreditTerms = termsOf(t, fixedProfile)
	immutable.CreatedAt = t0.Add(time.Hour)
	immutable.Status, immutable.ValidUntil, immutable.UpdatedAt = lending.OfferAvailable, t0.Add(time.Minute+subSecond), t0.Add(4*time.Hour+subSecond)
	wantImmutable := expired
	wantImmutable.Status, wantImmutable.ValidUntil, wantImmutable.UpdatedAt = immutable.Status, immutable.ValidUntil, immutable.UpdatedAt

	for _, tc := range []struct {
		name       string
		save, want lending.CreditOffer
	}{
		{"accepted", accepted, accepted},
		{"released", released, released},
		{"expired at once, valid_until moved", expired, expired},
		{"terms and other immutable columns stay", immutable, wantImmutable},
	} {
		saveOffer(t, s, tc.save)
		if diff := exactDiff(tc.want, mustGetOffer(t, s, scope, o.ID)); diff != "" {
			t.Errorf("%s: offer read back (-want +got):\n%s", tc.name, diff)
		}
	}

	bad := wantImmutable
	bad.Status = "withdrawn"
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveCreditOffer(ctx, bad) }); err == nil {
		t.Errorf("SaveCreditOffer with an unknown status succeeded, want an error")
	}
	unknown := accepted
	unknown.ID = ids.New("co_")
	err = s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveCreditOffer(ctx, unknown) })
	wantCode(t, "SaveCreditOffer(unknown id)", err, lending.CodeCreditOfferNotFound)
	if diff := exactDiff(wantImmutable, mustGetOffer(t, s, scope, o.ID)); diff != "" {
		t.Errorf("offer after failed saves (-want +got):\n%s", diff)
	}
}

// compareOffers orders offers as ListCreditOffers does: by created_at, then id.
func compareOffers(a, b lending.CreditOffer) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}

func offerIDs(os []lending.CreditOffer) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

// offerListFixture is a scope of 8 offers of two customers with ties in created_at and every status, and
// offers of the same statuses in the same partner's other environment and in another partner.
type offerListFixture struct {
	s             *store.Store
	scope         lending.Scope
	others        []lending.Scope
	c1, c2        lending.Customer
	otherCustomer lending.Customer // of others[1]
	// all is the scope's offers in list order; otherOffer is one of another scope.
	all        []lending.CreditOffer
	otherOffer lending.CreditOffer
}

func newOfferListFixture(t *testing.T, e Engine) offerListFixture {
	t.Helper()
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	f := offerListFixture{s: s, scope: scope,
		others: []lending.Scope{{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, mustScope(t, s, lending.EnvTest)}}
	f.c1, f.c2 = activeCustomer(t, s, scope, nil, t0), activeCustomer(t, s, scope, ptr("ext-2"), t0)
	created := []int{0, 1, 1, 1, 2, 3, 3, 4}
	statuses := []lending.OfferStatus{lending.OfferAvailable, lending.OfferAccepted, lending.OfferAvailable, lending.OfferExpired,
		lending.OfferAvailable, lending.OfferAccepted, lending.OfferAvailable, lending.OfferExpired}
	for i := range created {
		c, prof := f.c1, fixedProfile
		if i%3 == 0 {
			c, prof = f.c2, rangeProfile
		}
		o := newOffer(t, c, termsOf(t, prof), t0)
		o.CreatedAt = t0.Add(time.Duration(created[i])*time.Second + subSecond)
		o.UpdatedAt, o.Status = o.CreatedAt, statuses[i]
		f.all = append(f.all, insertOffer(t, s, o))
	}
	slices.SortFunc(f.all, compareOffers)
	for i, sc := range f.others {
		c := activeCustomer(t, s, sc, nil, t0)
		if i == 1 {
			f.otherCustomer = c
		}
		for _, st := range []lending.OfferStatus{lending.OfferAvailable, lending.OfferAccepted, lending.OfferExpired} {
			o := newOffer(t, c, termsOf(t, fixedProfile), t0)
			o.Status = st
			f.otherOffer = insertOffer(t, s, o)
		}
	}
	return f
}

// walk pages through the scope's offers matching filter with limit (see walkPages).
func (f offerListFixture) walk(t *testing.T, filter store.CreditOfferFilter, limit int, desc bool) []lending.CreditOffer {
	t.Helper()
	all, _ := walkPages(t, fmt.Sprintf("ListCreditOffers(%+v)", filter), limit, desc, func(page store.Page) ([]lending.CreditOffer, bool, error) {
		return f.s.ListCreditOffers(testCtx(t), f.scope, filter, page)
	}, func(o lending.CreditOffer) string { return o.ID })
	return all
}

// testListCreditOffers walks every filter with every page size, both ways, through the created_at ties:
// each walk yields exactly the scope's matching offers in order.
func testListCreditOffers(t *testing.T, e Engine) {
	f := newOfferListFixture(t, e)
	filters := []store.CreditOfferFilter{
		{},
		{CustomerID: f.c1.ID},
		{CustomerID: f.c2.ID},
		{Status: lending.OfferAvailable},
		{Status: lending.OfferAccepted},
		{Status: lending.OfferExpired},
		{CustomerID: f.c1.ID, Status: lending.OfferAccepted},
		{CustomerID: f.c2.ID, Status: lending.OfferExpired},
		{CustomerID: f.c2.ID, Status: lending.OfferAccepted}, // none
		{CustomerID: f.otherCustomer.ID},                     // another scope's customer: none
		{CustomerID: ids.New("cust_")},
	}
	for _, filter := range filters {
		var want []lending.CreditOffer
		for _, o := range f.all {
			if (filter.CustomerID == "" || o.CustomerID == filter.CustomerID) && (filter.Status == "" || o.Status == filter.Status) {
				want = append(want, o)
			}
		}
		for _, desc := range []bool{false, true} {
			w := want
			if desc {
				w = slices.Clone(want)
				slices.Reverse(w)
			}
			for _, limit := range []int{1, 2, 3, 100} {
				got := f.walk(t, filter, limit, desc)
				if diff := cmpDiff(offerIDs(w), offerIDs(got)); diff != "" {
					t.Errorf("filter %+v, limit %d, descending %v: ids (-want +got):\n%s", filter, limit, desc, diff)
				} else if diff := exactDiff(w, got); len(w) > 0 && diff != "" {
					t.Errorf("filter %+v, limit %d, descending %v: offers (-want +got):\n%s", filter, limit, desc, diff)
				}
			}
		}
	}
	if n := len(f.walk(t, store.CreditOfferFilter{}, 100, false)); n != 8 {
		t.Errorf("the scope lists %d offers, want 8", n)
	}
}

// testListCreditOffersCursorOutsideList: a cursor must name an offer of the filtered list.
func testListCreditOffersCursorOutsideList(t *testing.T, e Engine) {
	ctx := testCtx(t)
	f := newOfferListFixture(t, e)
	var available, accepted lending.CreditOffer
	for _, o := range f.all {
		switch o.Status {
		case lending.OfferAvailable:
			available = o
		case lending.OfferAccepted:
			accepted = o
		}
	}
	for _, tc := range []struct {
		name   string
		filter store.CreditOfferFilter
		cursor string
	}{
		{"unknown id", store.CreditOfferFilter{}, ids.New("co_")},
		{"quote", store.CreditOfferFilter{}, "'"},
		{"another scope's offer", store.CreditOfferFilter{}, f.otherOffer.ID},
		{"an offer the status filter leaves out", store.CreditOfferFilter{Status: lending.OfferAccepted}, available.ID},
		{"an offer the customer filter leaves out", store.CreditOfferFilter{CustomerID: otherCustomerOf(f, accepted).ID}, accepted.ID},
	} {
		for _, desc := range []bool{false, true} {
			_, _, err := f.s.ListCreditOffers(ctx, f.scope, tc.filter, store.Page{Limit: 2, StartingAfter: tc.cursor, Descending: desc})
			if le := wantCode(t, tc.name+": ListCreditOffers", err, lending.CodeInvalidParameter); le != nil {
				if len(le.Fields) != 1 || le.Fields[0].Param != "starting_after" {
					t.Errorf("%s: error fields = %+v, want starting_after", tc.name, le.Fields)
				}
			}
		}
	}
}

// otherCustomerOf returns the fixture's customer that o does not belong to.
func otherCustomerOf(f offerListFixture, o lending.CreditOffer) lending.Customer {
	if o.CustomerID == f.c1.ID {
		return f.c2
	}
	return f.c1
}

// testDueCreditOffers: the sweep gets the scope's available offers whose valid_until is at or before now,
// the oldest valid_until first, at most limit of them; an expiry loop over it expires each once.
func testDueCreditOffers(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	c := activeCustomer(t, s, scope, nil, t0)
	now := t0.Add(40*24*time.Hour + subSecond)
	offer := func(c lending.Customer, status lending.OfferStatus, validUntil time.Time) lending.CreditOffer {
		o := newOffer(t, c, termsOf(t, fixedProfile), t0)
		o.Status, o.ValidUntil = status, validUntil
		return insertOffer(t, s, o)
	}
	a := offer(c, lending.OfferAvailable, now.Add(-2*time.Hour))
	b1 := offer(c, lending.OfferAvailable, now.Add(-time.Hour))
	b2 := offer(c, lending.OfferAvailable, now.Add(-time.Hour)) // ties with b1
	atNow := offer(c, lending.OfferAvailable, now)
	offer(c, lending.OfferAvailable, now.Add(time.Microsecond))
	offer(c, lending.OfferAccepted, now.Add(-3*time.Hour))
	offer(c, lending.OfferExpired, now.Add(-3*time.Hour))
	for _, sc := range []lending.Scope{{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, mustScope(t, s, lending.EnvTest)} {
		offer(activeCustomer(t, s, sc, nil, t0), lending.OfferAvailable, now.Add(-5*time.Hour))
	}
	bs := []lending.CreditOffer{b1, b2}
	slices.SortFunc(bs, func(x, y lending.CreditOffer) int { return cmp.Compare(x.ID, y.ID) })
	due := []lending.CreditOffer{a, bs[0], bs[1], atNow}

	for _, tc := range []struct {
		now   time.Time
		limit int
		want  []lending.CreditOffer
	}{
		{now, 100, due},
		{now, 4, due},
		{now, 2, due[:2]},
		{now, 1, due[:1]},
		{now.Add(-time.Microsecond), 100, due[:3]},
		{a.ValidUntil, 100, due[:1]},
		{a.ValidUntil.Add(-time.Microsecond), 100, nil},
	} {
		mustTx(t, s, "DueCreditOffers", func(tx *store.Tx) error {
			got, err := tx.DueCreditOffers(ctx, scope, tc.now, tc.limit)
			if err != nil {
				return err
			}
			if diff := cmpDiff(tc.want, got); diff != "" {
				t.Errorf("DueCreditOffers(%s, %d) (-want +got):\n%s", tc.now, tc.limit, diff)
			}
			return nil
		})
	}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.DueCreditOffers(ctx, scope, now, 0)
		return err
	})
	if err == nil {
		t.Errorf("DueCreditOffers with limit 0 succeeded, want an error")
	}

	// The sweep: take a batch, expire it, until none is due. Each due offer is expired once.
	var swept []string
	for round := 0; ; round++ {
		if round > 10 {
			t.Fatalf("the sweep did not end")
		}
		var batch []lending.CreditOffer
		mustTx(t, s, "sweep", func(tx *store.Tx) (err error) {
			if batch, err = tx.DueCreditOffers(ctx, scope, now, 3); err != nil {
				return err
			}
			for _, o := range batch {
				exp, err := o.Expire(now, false)
				if err != nil {
					return err
				}
				if err := tx.SaveCreditOffer(ctx, exp); err != nil {
					return err
				}
			}
			return nil
		})
		if len(batch) == 0 {
			break
		}
		swept = append(swept, offerIDs(batch)...)
	}
	if diff := cmpDiff(offerIDs(due), swept); diff != "" {
		t.Errorf("swept offers (-want +got):\n%s", diff)
	}
	for _, o := range due {
		if got := mustGetOffer(t, s, scope, o.ID); got.Status != lending.OfferExpired {
			t.Errorf("offer %s after the sweep is %s, want expired", o.ID, got.Status)
		}
	}
}

// testAcceptCreditOfferConcurrent is "one loan per offer": 10 transactions at once each read one offer
// for update, accept it and save it. The row lock serializes them, so exactly one accepts it and every
// other one then reads it accepted and gets CodeOfferAlreadyAccepted.
func testAcceptCreditOfferConcurrent(t *testing.T, e Engine) {
	const n = 10
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	o := insertOffer(t, s, newOffer(t, activeCustomer(t, s, scope, nil, t0), termsOf(t, rangeProfile), t0))
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.InTx(ctx, func(tx *store.Tx) error {
				cur, err := tx.CreditOfferForUpdate(ctx, scope, o.ID)
				if err != nil {
					return err
				}
				// Hold the row a moment: without the lock, every transaction would read it available.
				time.Sleep(50 * time.Millisecond)
				accepted, err := cur.Accept(t0.Add(time.Duration(i+1) * time.Second))
				if err != nil {
					return err
				}
				return tx.SaveCreditOffer(ctx, accepted)
			})
		})
	}
	close(start)
	wg.Wait()
	var winners []int
	for i, err := range errs {
		if err == nil {
			winners = append(winners, i)
		} else {
			wantCode(t, fmt.Sprintf("transaction #%d", i), err, lending.CodeOfferAlreadyAccepted)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("transactions %v of %d accepted the offer, want exactly one: an offer is accepted once", winners, n)
	}
	want := o
	want.Status, want.UpdatedAt = lending.OfferAccepted, t0.Add(time.Duration(winners[0]+1)*time.Second)
	if diff := exactDiff(want, mustGetOffer(t, s, scope, o.ID)); diff != "" {
		t.Errorf("offer after the race (-want +got):\n%s", diff)
	}
}

// simulate prices requested in count installments on o at now with the default IOF table.
func simulate(t *testing.T, o lending.CreditOffer, requested finmath.Cents, count int, now time.Time) lending.Simulation {
	t.Helper()
	m, err := lending.Simulate(o, requested, count, now, finmath.DefaultIOFTable())
	if err != nil {
		t.Fatalf("Simulate(%s, %d): %v", requested, count, err)
	}
	return m
}

func insertSimulation(t *testing.T, s *store.Store, m lending.Simulation) lending.Simulation {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "InsertSimulation("+m.ID+")", func(tx *store.Tx) error { return tx.InsertSimulation(ctx, m) })
	return m
}

// testSimulationRoundTrip prices simulations on a fixed and a range offer of an active customer (PJ and
// Simples IOF, before and after the 2025-06 IOF change) and reads each back unchanged, schedule included.
func testSimulationRoundTrip(t *testing.T, e Engine) {
	s, _ := open(t, e)
	cases := []struct {
		name      string
		prof      lending.CreditProfile
		requested finmath.Cents
		count     int
		now       time.Time
	}{
		{"fixed offer, PJ", fixedProfile, 1_000_000, 12, t0.Add(subSecond)},
		{"range offer, Simples, longest term", rangeProfile, 3_518_500, 24, time.Date(2025, 7, 31, 23, 30, 0, 0, time.UTC)},
		{"range offer, Simples, shortest term, min amount", rangeProfile, 100_000, 3, t0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scope := mustScope(t, s, lending.EnvTest)
			c := activeCustomer(t, s, scope, ptr("ext-9"), tc.now)
			o := insertOffer(t, s, newOffer(t, c, termsOf(t, tc.prof), tc.now))
			want := insertSimulation(t, s, simulate(t, o, tc.requested, tc.count, tc.now))
			if len(want.Schedule) != tc.count || want.IOF <= 0 || want.Fee <= 0 || want.Interest <= 0 {
				t.Fatalf("fixture: simulation %+v is not fully priced", want)
			}
			got, err := s.Simulation(testCtx(t), scope, want.ID)
			if err != nil {
				t.Fatalf("Simulation: %v", err)
			}
			if diff := exactDiff(want, got); diff != "" {
				t.Errorf("Simulation (-want +got):\n%s", diff)
			}
			assertUTC(t, "CreatedAt", &got.CreatedAt)
		})
	}
}

// testSimulationOutsideScope: a simulation exists only in its own partner's environment, and needs an
// existing offer and a new id.
func testSimulationOutsideScope(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	o := insertOffer(t, s, newOffer(t, activeCustomer(t, s, scope, nil, t0), termsOf(t, fixedProfile), t0))
	m := insertSimulation(t, s, simulate(t, o, 500_000, 12, t0))
	for _, tc := range []struct {
		name  string
		scope lending.Scope
		id    string
	}{
		{"same partner's other environment", lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvTest}, m.ID},
		{"other partner", mustScope(t, s, lending.EnvLive), m.ID},
		{"unknown id", scope, ids.New("sim_")},
		{"quote", scope, "'"},
	} {
		_, err := s.Simulation(ctx, tc.scope, tc.id)
		wantCode(t, tc.name+": Simulation", err, lending.CodeSimulationNotFound)
	}
	sameID := simulate(t, o, 600_000, 12, t0)
	sameID.ID = m.ID
	noOffer := simulate(t, o, 600_000, 12, t0)
	noOffer.CreditOfferID = ids.New("co_")
	for name, bad := range map[string]lending.Simulation{"taken id": sameID, "unknown offer": noOffer} {
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertSimulation(ctx, bad) }); err == nil {
			t.Errorf("InsertSimulation(%s) succeeded, want an error", name)
		}
	}
	got, err := s.Simulation(ctx, scope, m.ID)
	if err != nil {
		t.Fatalf("Simulation: %v", err)
	}
	if diff := exactDiff(m, got); diff != "" {
		t.Errorf("simulation after failed inserts (-want +got):\n%s", diff)
	}
}

// testSandboxClock: a partner's sandbox clock runs at real time until set; it can be set, replaced and
// put back, and SandboxClockOffsets lists the partners whose clock is off real time.
func testSandboxClock(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	p1, p2, p3 := mustPartner(t, s, "P1", t0), mustPartner(t, s, "P2", t0), mustPartner(t, s, "P3", t0)
	set := func(partnerID string, offset time.Duration, now time.Time) {
		t.Helper()
		mustTx(t, s, "SetSandboxClockOffset", func(tx *store.Tx) error { return tx.SetSandboxClockOffset(ctx, partnerID, offset, now) })
	}
	expect := func(what string, want map[string]time.Duration) {
		t.Helper()
		for _, id := range []string{p1.ID, p2.ID, p3.ID, ids.New("partner_")} {
			got, err := s.SandboxClockOffset(ctx, id)
			if err != nil || got != want[id] {
				t.Errorf("%s: SandboxClockOffset(%s) = %v, %v; want %v", what, id, got, err, want[id])
			}
		}
		got, err := s.SandboxClockOffsets(ctx)
		if err != nil {
			t.Fatalf("%s: SandboxClockOffsets: %v", what, err)
		}
		if got == nil {
			t.Errorf("%s: SandboxClockOffsets = nil, want a map", what)
		}
		if !maps.Equal(want, got) {
			t.Errorf("%s: SandboxClockOffsets = %v, want %v", what, got, want)
		}
	}

	expect("none set", map[string]time.Duration{})
	month := 30*24*time.Hour + subSecond
	set(p1.ID, month, t0)
	set(p2.ID, 90*time.Minute, t0)
	expect("two set", map[string]time.Duration{p1.ID: month, p2.ID: 90 * time.Minute})
	set(p1.ID, 400*24*time.Hour, t0.Add(time.Hour))
	set(p2.ID, 0, t0.Add(time.Hour))
	set(p3.ID, -time.Hour, t0.Add(time.Hour))
	expect("replaced, one back to real time, one behind", map[string]time.Duration{p1.ID: 400 * 24 * time.Hour, p3.ID: -time.Hour})
	set(p3.ID, 1500*time.Nanosecond, t0.Add(2*time.Hour))
	expect("kept to the microsecond", map[string]time.Duration{p1.ID: 400 * 24 * time.Hour, p3.ID: time.Microsecond})

	err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SetSandboxClockOffset(ctx, ids.New("partner_"), time.Hour, t0) })
	if err == nil {
		t.Errorf("SetSandboxClockOffset of an unknown partner succeeded, want an error")
	}
}
