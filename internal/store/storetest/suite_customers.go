package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var customerTests = []namedTest{
	{"RoundTrip", testCustomerRoundTrip},
	{"OutsideScope", testCustomerOutsideScope},
	{"InsertDedupe", testInsertCustomerDedupe},
	{"InsertConcurrent", testInsertCustomerConcurrent},
	{"InsertErrors", testInsertCustomerErrors},
	{"Save", testSaveCustomer},
	{"ForUpdateSerializes", testCustomerForUpdateSerializes},
	{"List", testListCustomers},
	{"ListCursorOutsideList", testListCustomersCursorOutsideList},
	{"InStatus", testCustomersInStatus},
	{"KYCFiles", testKYCFiles},
	{"BankAccount", testBankAccount},
	{"LatestBiometricsSession", testLatestBiometricsSession},
	{"ConsumeBiometricsSession", testConsumeBiometricsSession},
	{"ConsumeBiometricsSessionConcurrent", testConsumeBiometricsSessionConcurrent},
}

var taxIDSeq atomic.Int64

// nextTaxIDs returns a valid CPF and CNPJ that no other call returned.
func nextTaxIDs() (lending.CPF, lending.CNPJ) {
	n := taxIDSeq.Add(1)
	return lending.CPFWithCheckDigits(fmt.Sprintf("%09d", 100000000+n)),
		lending.CNPJWithCheckDigits(fmt.Sprintf("%012d", 100000000000+n))
}

// newCustomer builds (without storing) a creating customer of scope with cpf and cnpj at now, through the
// domain's validation.
func newCustomer(t *testing.T, scope lending.Scope, cpf lending.CPF, cnpj lending.CNPJ, externalID *string, now time.Time) lending.Customer {
	t.Helper()
	c, err := lending.NewCustomer(scope, lending.NewCustomerInput{CPF: string(cpf), CNPJ: string(cnpj),
		Email: "financeiro@empresa.com.br", Phone: "+5511987654321", ExternalID: externalID}, now)
	if err != nil {
		t.Fatalf("NewCustomer(%s, %s): %v", cpf, cnpj, err)
	}
	return c
}

// mustTx runs fn in a transaction of s, failing t on error.
func mustTx(t *testing.T, s *store.Store, what string, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := s.InTx(testCtx(t), fn); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// insertCustomer stores c in a transaction of its own and returns InsertCustomer's existing customer.
func insertCustomer(t *testing.T, s *store.Store, c lending.Customer) *lending.Customer {
	t.Helper()
	ctx := testCtx(t)
	var existing *lending.Customer
	mustTx(t, s, "InsertCustomer("+c.ID+")", func(tx *store.Tx) (err error) {
		existing, err = tx.InsertCustomer(ctx, c)
		return err
	})
	return existing
}

// storeCustomer stores c, failing t unless it is inserted (not deduplicated).
func storeCustomer(t *testing.T, s *store.Store, c lending.Customer) lending.Customer {
	t.Helper()
	if existing := insertCustomer(t, s, c); existing != nil {
		t.Fatalf("InsertCustomer(%s) found existing customer %s, want an insert", c.ID, existing.ID)
	}
	return c
}

// mustCustomer stores a new creating customer of scope, with fresh tax ids, at now.
func mustCustomer(t *testing.T, s *store.Store, scope lending.Scope, now time.Time) lending.Customer {
	t.Helper()
	cpf, cnpj := nextTaxIDs()
	return storeCustomer(t, s, newCustomer(t, scope, cpf, cnpj, nil, now))
}

func mustGetCustomer(t *testing.T, s *store.Store, scope lending.Scope, id string) lending.Customer {
	t.Helper()
	c, err := s.Customer(testCtx(t), scope, id)
	if err != nil {
		t.Fatalf("Customer(%s): %v", id, err)
	}
	return c
}

func saveCustomer(t *testing.T, s *store.Store, c lending.Customer) {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "SaveCustomer("+c.ID+")", func(tx *store.Tx) error { return tx.SaveCustomer(ctx, c) })
}

// enriched returns c as enrichment leaves it at now, with KYC built by the domain for an LTDA with a
// co-owner, and evidence sent: a rejected CNH (front and back, with a reason) and a pending e-mail value.
func enriched(c lending.Customer, now time.Time) lending.Customer {
	c.Name, c.TradingName = ptr("Maria D'Ávila ?"), ptr("Padaria Pão & Mel")
	c.LegalName, c.LegalNature = "Padaria Pão e Mel Ltda", lending.LegalNatureLTDA
	coOwnerCPF, _ := nextTaxIDs()
	c.KYC = lending.BuildRequirements(lending.LegalNatureLTDA, []lending.Subject{
		{ID: ids.Secret("003", 15), Name: *c.Name, Type: lending.SubjectApplicant, CPF: c.CPF},
		{ID: ids.Secret("003", 15), Name: "José O'Neil", Type: lending.SubjectCoOwner, CPF: coOwnerCPF},
	})
	for i := range c.KYC {
		switch r := &c.KYC[i]; {
		case r.Type == lending.ReqIdentity && r.Subject.Type == lending.SubjectApplicant:
			r.Submitted = &lending.Submission{EvidenceType: "cnh", ReviewStatus: lending.ReviewRejected,
				ReviewReason: ptr("Foto ilegível: envie de novo, sem reflexo."),
				Attachments: []lending.Slot{
					{Type: "front", Submitted: true, FileID: ids.New("kf_")},
					{Type: "back", Submitted: true, FileID: ids.New("kf_")},
				}}
		case r.Type == lending.ReqEmail:
			r.Submitted = &lending.Submission{EvidenceType: "email", ReviewStatus: lending.ReviewPending,
				Attachments: []lending.Slot{{Type: "email", Submitted: true, Value: "jose@empresa.com.br"}}}
		}
	}
	c.Status, c.UpdatedAt = lending.CustomerPendingKYC, now
	return c
}

// diffCustomer compares customers, telling a nil KYC (stored as NULL) from an empty one, which the suite's
// options would equate.
func diffCustomer(want, got lending.Customer) string {
	if (want.KYC == nil) != (got.KYC == nil) {
		return fmt.Sprintf("KYC nil = %v, want %v", got.KYC == nil, want.KYC == nil)
	}
	return cmpDiff(want, got)
}

// testCustomerRoundTrip stores customers with and without KYC and optional fields and reads each back
// unchanged through every read.
func testCustomerRoundTrip(t *testing.T, e Engine) {
	s, _ := open(t, e)
	now := t0.Add(subSecond)
	cases := []struct {
		name  string
		build func(scope lending.Scope) lending.Customer
	}{
		{"creating, no optional field", func(scope lending.Scope) lending.Customer {
			cpf, cnpj := nextTaxIDs()
			return newCustomer(t, scope, cpf, cnpj, nil, now)
		}},
		{"creating, external id and name", func(scope lending.Scope) lending.Customer {
			cpf, cnpj := nextTaxIDs()
			c := newCustomer(t, scope, cpf, cnpj, ptr("ext-'?-1"), now)
			c.Name = ptr("Ana ? 'Souza' ação")
			return c
		}},
		{"enriched, with KYC", func(scope lending.Scope) lending.Customer {
			cpf, cnpj := nextTaxIDs()
			return enriched(newCustomer(t, scope, cpf, cnpj, ptr("ext-2"), now), now.Add(time.Minute))
		}},
		{"denied, alphanumeric CNPJ, empty KYC", func(scope lending.Scope) lending.Customer {
			cpf, _ := nextTaxIDs()
			c := newCustomer(t, scope, cpf, lending.CNPJWithCheckDigits("12ABC34501DE"), nil, now)
			c.KYC, c.Status, c.DenialReason = []lending.Requirement{}, lending.CustomerDenied, "company is closed: baixada"
			c.TradingName, c.LegalName, c.LegalNature = ptr(""), "Empresa Baixada S.A.", lending.LegalNatureSA
			return c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			scope := mustScope(t, s, lending.EnvLive)
			want := storeCustomer(t, s, tc.build(scope))
			got := mustGetCustomer(t, s, scope, want.ID)
			if diff := diffCustomer(want, got); diff != "" {
				t.Errorf("Customer (-want +got):\n%s", diff)
			}
			assertUTC(t, "CreatedAt", &got.CreatedAt)
			assertUTC(t, "UpdatedAt", &got.UpdatedAt)
			mustTx(t, s, "read for update", func(tx *store.Tx) error {
				got, err := tx.CustomerForUpdate(ctx, scope, want.ID)
				if err != nil {
					return fmt.Errorf("CustomerForUpdate: %w", err)
				}
				if diff := diffCustomer(want, got); diff != "" {
					t.Errorf("CustomerForUpdate (-want +got):\n%s", diff)
				}
				if got, err = tx.CustomerByIDForUpdate(ctx, want.ID); err != nil {
					return fmt.Errorf("CustomerByIDForUpdate: %w", err)
				}
				if diff := diffCustomer(want, got); diff != "" {
					t.Errorf("CustomerByIDForUpdate (-want +got):\n%s", diff)
				}
				return nil
			})
			list, hasMore, err := s.ListCustomers(ctx, scope, store.CustomerFilter{}, store.Page{Limit: 10})
			if err != nil || hasMore || len(list) != 1 {
				t.Fatalf("ListCustomers = %d items, has_more %v, %v; want 1, false, nil", len(list), hasMore, err)
			}
			if diff := diffCustomer(want, list[0]); diff != "" {
				t.Errorf("ListCustomers (-want +got):\n%s", diff)
			}
		})
	}
}

// testCustomerOutsideScope: a customer exists only in its own partner's environment, and the CPF and
// CNPJ pair is unique per scope, not globally.
func testCustomerOutsideScope(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	c := enriched(mustCustomer(t, s, scope, t0), t0)
	saveCustomer(t, s, c)
	live := lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}
	other := mustScope(t, s, lending.EnvTest)
	unknown := ids.New("cust_")

	for _, tc := range []struct {
		name  string
		scope lending.Scope
		id    string
	}{
		{"same partner's other environment", live, c.ID},
		{"other partner", other, c.ID},
		{"unknown id", scope, unknown},
		{"quote", scope, "'"},
	} {
		_, err := s.Customer(ctx, tc.scope, tc.id)
		wantCode(t, tc.name+": Customer", err, lending.CodeCustomerNotFound)
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.CustomerForUpdate(ctx, tc.scope, tc.id)
			return err
		})
		wantCode(t, tc.name+": CustomerForUpdate", err, lending.CodeCustomerNotFound)
		moved := c
		moved.ID, moved.Scope, moved.Status = tc.id, tc.scope, lending.CustomerDenied
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveCustomer(ctx, moved) })
		wantCode(t, tc.name+": SaveCustomer", err, lending.CodeCustomerNotFound)
	}
	for _, sc := range []lending.Scope{live, other} {
		for _, f := range []store.CustomerFilter{{}, {CPF: c.CPF}, {Status: c.Status}, {SortByUpdatedAt: true}} {
			list, hasMore, err := s.ListCustomers(ctx, sc, f, store.Page{Limit: 10})
			if err != nil || len(list) != 0 || hasMore {
				t.Errorf("ListCustomers(%v, %+v) = %d items, has_more %v, %v; want none", sc, f, len(list), hasMore, err)
			}
		}
	}
	// Background jobs find the customer by id alone; an unknown id is still not found.
	err := s.InTx(ctx, func(tx *store.Tx) error {
		got, err := tx.CustomerByIDForUpdate(ctx, c.ID)
		if err != nil {
			return err
		}
		if diff := diffCustomer(c, got); diff != "" {
			t.Errorf("CustomerByIDForUpdate (-want +got):\n%s", diff)
		}
		_, err = tx.CustomerByIDForUpdate(ctx, unknown)
		wantCode(t, "CustomerByIDForUpdate(unknown)", err, lending.CodeCustomerNotFound)
		return nil
	})
	if err != nil {
		t.Fatalf("CustomerByIDForUpdate: %v", err)
	}
	if diff := diffCustomer(c, mustGetCustomer(t, s, scope, c.ID)); diff != "" {
		t.Errorf("customer after saves in other scopes (-want +got):\n%s", diff)
	}
	// The same pair registers separately in every other scope.
	for _, sc := range []lending.Scope{live, other} {
		twin := storeCustomer(t, s, newCustomer(t, sc, c.CPF, c.CNPJ, nil, t0))
		if diff := diffCustomer(twin, mustGetCustomer(t, s, sc, twin.ID)); diff != "" {
			t.Errorf("same pair in %v (-want +got):\n%s", sc, diff)
		}
	}
}

// testInsertCustomerDedupe: a second registration of a scope's CPF and CNPJ pair inserts nothing and
// returns the first; any other pair is a new customer.
func testInsertCustomerDedupe(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	cpf, cnpj := nextTaxIDs()
	otherCPF, otherCNPJ := nextTaxIDs()
	first := storeCustomer(t, s, enriched(newCustomer(t, scope, cpf, cnpj, ptr("ext-1"), t0), t0.Add(subSecond)))
	stored := []lending.Customer{first}

	for _, tc := range []struct {
		name      string
		cpf       lending.CPF
		cnpj      lending.CNPJ
		ext       *string
		duplicate bool
	}{
		{"same pair, other external_id", cpf, cnpj, ptr("ext-2"), true},
		{"same pair, no external_id", cpf, cnpj, nil, true},
		{"same pair, same external_id", cpf, cnpj, ptr("ext-1"), true},
		{"same CPF, other CNPJ", cpf, otherCNPJ, ptr("ext-1"), false},
		{"same CNPJ, other CPF", otherCPF, cnpj, nil, false},
	} {
		c := newCustomer(t, scope, tc.cpf, tc.cnpj, tc.ext, t0.Add(time.Hour))
		existing := insertCustomer(t, s, c)
		switch {
		case tc.duplicate && existing == nil:
			t.Errorf("%s: inserted, want the existing customer %s", tc.name, first.ID)
		case tc.duplicate:
			if diff := diffCustomer(first, *existing); diff != "" {
				t.Errorf("%s: existing customer (-want +got):\n%s", tc.name, diff)
			}
			_, err := s.Customer(ctx, scope, c.ID)
			wantCode(t, tc.name+": the deduplicated customer", err, lending.CodeCustomerNotFound)
		case existing != nil:
			t.Errorf("%s: found existing customer %s, want an insert", tc.name, existing.ID)
		default:
			stored = append(stored, c)
		}
	}

	// Within one transaction, the second insert finds the first, not yet committed.
	cpf, cnpj = nextTaxIDs()
	a, b := newCustomer(t, scope, cpf, cnpj, nil, t0), newCustomer(t, scope, cpf, cnpj, nil, t0)
	mustTx(t, s, "two inserts in one transaction", func(tx *store.Tx) error {
		if existing, err := tx.InsertCustomer(ctx, a); err != nil || existing != nil {
			return fmt.Errorf("first insert = %v, %v; want nil, nil", existing, err)
		}
		existing, err := tx.InsertCustomer(ctx, b)
		if err != nil {
			return err
		}
		if existing == nil {
			t.Errorf("second insert of a pair in one transaction inserted, want the first")
		} else if diff := diffCustomer(a, *existing); diff != "" {
			t.Errorf("second insert in one transaction: existing (-want +got):\n%s", diff)
		}
		return nil
	})
	stored = append(stored, a)

	list, _, err := s.ListCustomers(ctx, scope, store.CustomerFilter{}, store.Page{Limit: 100})
	if err != nil {
		t.Fatalf("ListCustomers: %v", err)
	}
	slices.SortFunc(stored, compareCustomers(false))
	if diff := cmpDiff(stored, list); diff != "" {
		t.Errorf("scope's customers (-want +got):\n%s", diff)
	}
}

// testInsertCustomerConcurrent registers one pair from 20 goroutines at once: exactly one row results,
// and every other caller gets that customer back.
func testInsertCustomerConcurrent(t *testing.T, e Engine) {
	const n = 20
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	cpf, cnpj := nextTaxIDs()
	attempts := make([]lending.Customer, n)
	for i := range attempts {
		attempts[i] = newCustomer(t, scope, cpf, cnpj, ptr(fmt.Sprintf("ext-%d", i)), t0.Add(time.Duration(i)*time.Microsecond))
	}
	existing := make([]*lending.Customer, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.InTx(ctx, func(tx *store.Tx) (err error) {
				existing[i], err = tx.InsertCustomer(ctx, attempts[i])
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent InsertCustomer: %v", err)
	}
	var winners []lending.Customer
	for i, ex := range existing {
		if ex == nil {
			winners = append(winners, attempts[i])
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d of %d concurrent inserts of one pair inserted, want exactly 1", len(winners), n)
	}
	for i, ex := range existing {
		if ex != nil {
			if diff := diffCustomer(winners[0], *ex); diff != "" {
				t.Errorf("insert #%d: existing customer (-want +got):\n%s", i, diff)
			}
		}
	}
	list, _, err := s.ListCustomers(ctx, scope, store.CustomerFilter{}, store.Page{Limit: 100})
	if err != nil {
		t.Fatalf("ListCustomers: %v", err)
	}
	if diff := cmpDiff(winners, list); diff != "" {
		t.Errorf("scope's customers (-want +got):\n%s", diff)
	}
}

// testInsertCustomerErrors: only a repeated pair is deduplicated; a taken id or an unknown partner fails.
func testInsertCustomerErrors(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	c := mustCustomer(t, s, scope, t0)
	cpf, cnpj := nextTaxIDs()
	sameID := newCustomer(t, scope, cpf, cnpj, nil, t0)
	sameID.ID = c.ID
	cpf, cnpj = nextTaxIDs()
	noPartner := newCustomer(t, lending.Scope{PartnerID: ids.New("partner_"), Environment: lending.EnvTest}, cpf, cnpj, nil, t0)
	cpf, cnpj = nextTaxIDs()
	badStatus := newCustomer(t, scope, cpf, cnpj, nil, t0)
	badStatus.Status = "frozen"
	for name, bad := range map[string]lending.Customer{"taken id": sameID, "unknown partner": noPartner, "unknown status": badStatus} {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			existing, err := tx.InsertCustomer(ctx, bad)
			if err == nil && existing != nil {
				return fmt.Errorf("found existing customer %s", existing.ID)
			}
			return err
		})
		if err == nil {
			t.Errorf("InsertCustomer(%s) succeeded, want an error", name)
		}
	}
	if diff := diffCustomer(c, mustGetCustomer(t, s, scope, c.ID)); diff != "" {
		t.Errorf("customer after a failed insert of its id (-want +got):\n%s", diff)
	}
}

// testSaveCustomer: SaveCustomer writes every mutable column, back to NULL too, and never the immutable
// ones.
func testSaveCustomer(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	c := mustCustomer(t, s, scope, t0.Add(subSecond))

	full := enriched(c, t0.Add(time.Minute+subSecond))
	full.ExternalID, full.Email, full.Phone = ptr("ext-new"), "contato@outra.com.br", "+5521999998888"
	full.Status, full.DenialReason = lending.CustomerUnderReview, "reason kept for the operator"
	cleared := full
	cleared.ExternalID, cleared.Name, cleared.TradingName, cleared.KYC = nil, nil, nil, nil
	cleared.Status, cleared.LegalName, cleared.LegalNature = lending.CustomerDenied, "", ""
	cleared.UpdatedAt = t0.Add(2*time.Minute + subSecond)
	immutable := cleared
	immutable.CPF, immutable.CNPJ = nextTaxIDs()
	immutable.CreatedAt = t0.Add(time.Hour)
	immutable.UpdatedAt = t0.Add(3 * time.Minute)
	wantImmutable := cleared
	wantImmutable.UpdatedAt = immutable.UpdatedAt

	for _, tc := range []struct {
		name       string
		save, want lending.Customer
	}{
		{"every mutable column", full, full},
		{"back to NULL", cleared, cleared},
		{"immutable columns stay", immutable, wantImmutable},
	} {
		saveCustomer(t, s, tc.save)
		if diff := diffCustomer(tc.want, mustGetCustomer(t, s, scope, c.ID)); diff != "" {
			t.Errorf("%s: customer read back (-want +got):\n%s", tc.name, diff)
		}
	}

	unknown := full
	unknown.ID = ids.New("cust_")
	err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveCustomer(ctx, unknown) })
	wantCode(t, "SaveCustomer(unknown id)", err, lending.CodeCustomerNotFound)
}

// testCustomerForUpdateSerializes changes one customer from 10 goroutines, each reading it for update
// (by scope or by id alone) and saving it: the lock loses no change.
func testCustomerForUpdateSerializes(t *testing.T, e Engine) {
	const n = 10
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	c := mustCustomer(t, s, scope, t0)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.InTx(ctx, func(tx *store.Tx) error {
				var cur lending.Customer
				var err error
				if i%2 == 0 {
					cur, err = tx.CustomerForUpdate(ctx, scope, c.ID)
				} else {
					cur, err = tx.CustomerByIDForUpdate(ctx, c.ID)
				}
				if err != nil {
					return err
				}
				cur.DenialReason += "x"
				cur.UpdatedAt = cur.UpdatedAt.Add(time.Second)
				return tx.SaveCustomer(ctx, cur)
			})
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent updates: %v", err)
	}
	got := mustGetCustomer(t, s, scope, c.ID)
	if len(got.DenialReason) != n || !got.UpdatedAt.Equal(c.UpdatedAt.Add(n*time.Second)) {
		t.Errorf("after %d locked updates: %d changes kept, updated_at %s; want %d, %s", n, len(got.DenialReason),
			got.UpdatedAt, n, c.UpdatedAt.Add(n*time.Second))
	}
}

// compareCustomers orders customers as ListCustomers does: by created_at (or updated_at), then id.
func compareCustomers(byUpdatedAt bool) func(a, b lending.Customer) int {
	return func(a, b lending.Customer) int {
		ka, kb := a.CreatedAt, b.CreatedAt
		if byUpdatedAt {
			ka, kb = a.UpdatedAt, b.UpdatedAt
		}
		return cmp.Or(ka.Compare(kb), cmp.Compare(a.ID, b.ID))
	}
}

func customerIDs(cs []lending.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// customerListFixture is a scope of 8 customers with ties in created_at and in updated_at, two sharing a
// CPF and two an external_id, and customers of other scopes that every filter would match.
type customerListFixture struct {
	s      *store.Store
	scope  lending.Scope
	others []lending.Scope
	all    []lending.Customer
	cpf    lending.CPF
	ext    string
}

func newCustomerListFixture(t *testing.T, e Engine) customerListFixture {
	t.Helper()
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	f := customerListFixture{s: s, scope: scope, ext: "ext-shared",
		others: []lending.Scope{{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, mustScope(t, s, lending.EnvTest)}}
	f.cpf, _ = nextTaxIDs()
	created := []int{0, 1, 1, 1, 2, 3, 3, 4}
	updated := []int{10, 9, 9, 12, 9, 11, 11, 10}
	statuses := []lending.CustomerStatus{lending.CustomerCreating, lending.CustomerPendingKYC, lending.CustomerActive}
	for i := range created {
		cpf, cnpj := nextTaxIDs()
		if i == 2 || i == 4 {
			cpf = f.cpf
		}
		var ext *string
		switch i {
		case 1, 6:
			ext = ptr(f.ext)
		case 3:
			ext = ptr("ext-3")
		}
		c := newCustomer(t, scope, cpf, cnpj, ext, t0)
		c.CreatedAt = t0.Add(time.Duration(created[i])*time.Second + subSecond)
		c.UpdatedAt = t0.Add(time.Duration(updated[i])*time.Second + subSecond)
		c.Status = statuses[i%3]
		f.all = append(f.all, storeCustomer(t, s, c))
	}
	for _, sc := range f.others {
		_, cnpj := nextTaxIDs()
		c := newCustomer(t, sc, f.cpf, cnpj, ptr(f.ext), t0)
		c.Status = lending.CustomerPendingKYC
		storeCustomer(t, s, c)
	}
	return f
}

// walk pages through the scope's customers matching filter with limit (see walkPages).
func (f customerListFixture) walk(t *testing.T, filter store.CustomerFilter, limit int, desc bool) []lending.Customer {
	t.Helper()
	all, _ := walkPages(t, fmt.Sprintf("ListCustomers(%+v)", filter), limit, desc, func(page store.Page) ([]lending.Customer, bool, error) {
		return f.s.ListCustomers(testCtx(t), f.scope, filter, page)
	}, func(c lending.Customer) string { return c.ID })
	return all
}

// testListCustomers walks the list under each filter, in both orders and directions, at every page size:
// the pages hold the filtered customers in order, also through ties.
func testListCustomers(t *testing.T, e Engine) {
	f := newCustomerListFixture(t, e)
	cases := []struct {
		name   string
		filter store.CustomerFilter
		want   func(lending.Customer) bool
		count  int
	}{
		{"no filter", store.CustomerFilter{}, func(lending.Customer) bool { return true }, 8},
		{"cpf", store.CustomerFilter{CPF: f.cpf}, func(c lending.Customer) bool { return c.CPF == f.cpf }, 2},
		{"external_id", store.CustomerFilter{ExternalID: f.ext}, func(c lending.Customer) bool {
			return c.ExternalID != nil && *c.ExternalID == f.ext
		}, 2},
		{"status", store.CustomerFilter{Status: lending.CustomerPendingKYC}, func(c lending.Customer) bool {
			return c.Status == lending.CustomerPendingKYC
		}, 3},
		{"cpf and status", store.CustomerFilter{CPF: f.cpf, Status: lending.CustomerActive}, func(c lending.Customer) bool {
			return c.CPF == f.cpf && c.Status == lending.CustomerActive
		}, 1},
		{"no match", store.CustomerFilter{ExternalID: "ext-none"}, func(lending.Customer) bool { return false }, 0},
	}
	for _, tc := range cases {
		for _, byUpdated := range []bool{false, true} {
			for _, desc := range []bool{false, true} {
				filter := tc.filter
				filter.SortByUpdatedAt = byUpdated
				want := slices.DeleteFunc(slices.Clone(f.all), func(c lending.Customer) bool { return !tc.want(c) })
				if len(want) != tc.count {
					t.Fatalf("fixture: %s matches %d customers, want %d", tc.name, len(want), tc.count)
				}
				slices.SortFunc(want, compareCustomers(byUpdated))
				if desc {
					slices.Reverse(want)
				}
				for limit := 1; limit <= len(want)+1; limit++ {
					t.Run(fmt.Sprintf("%s/updated=%v/desc=%v/limit=%d", tc.name, byUpdated, desc, limit), func(t *testing.T) {
						t.Parallel()
						got := f.walk(t, filter, limit, desc)
						if diff := cmpDiff(customerIDs(want), customerIDs(got)); diff != "" {
							t.Errorf("order of ids across pages (-want +got):\n%s", diff)
						}
						if diff := cmpDiff(want, got); diff != "" {
							t.Errorf("customers across pages (-want +got):\n%s", diff)
						}
					})
				}
			}
		}
	}
}

// testListCustomersCursorOutsideList: starting_after must name a customer of the very (filtered) list.
func testListCustomersCursorOutsideList(t *testing.T, e Engine) {
	f := newCustomerListFixture(t, e)
	outside := mustCustomer(t, f.s, f.others[1], t0)
	cases := []struct {
		name   string
		filter store.CustomerFilter
		cursor string
	}{
		{"unknown id", store.CustomerFilter{}, ids.New("cust_")},
		{"other partner's customer", store.CustomerFilter{}, outside.ID},
		{"filtered out by status", store.CustomerFilter{Status: lending.CustomerActive}, f.all[0].ID},
		{"filtered out by cpf", store.CustomerFilter{CPF: f.cpf}, f.all[0].ID},
	}
	for _, tc := range cases {
		for _, byUpdated := range []bool{false, true} {
			filter := tc.filter
			filter.SortByUpdatedAt = byUpdated
			items, hasMore, err := f.s.ListCustomers(testCtx(t), f.scope, filter, store.Page{Limit: 3, StartingAfter: tc.cursor})
			what := fmt.Sprintf("%s (updated=%v)", tc.name, byUpdated)
			if le := wantCode(t, what, err, lending.CodeInvalidParameter); le != nil {
				if len(le.Fields) != 1 || le.Fields[0].Param != "starting_after" {
					t.Errorf("%s: error fields = %+v, want one about starting_after", what, le.Fields)
				}
			}
			if len(items) != 0 || hasMore {
				t.Errorf("%s: got %d items, has_more %v along with the error", what, len(items), hasMore)
			}
		}
	}
}

// testCustomersInStatus: the operator's queue spans partners, in one environment or both, longest
// unchanged first.
func testCustomersInStatus(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	a := mustScope(t, s, lending.EnvTest)
	b := mustScope(t, s, lending.EnvTest)
	scopes := []lending.Scope{a, b, {PartnerID: a.PartnerID, Environment: lending.EnvLive}, {PartnerID: b.PartnerID, Environment: lending.EnvLive}}
	var review, active []lending.Customer
	for i := range 12 {
		cpf, cnpj := nextTaxIDs()
		c := newCustomer(t, scopes[i%4], cpf, cnpj, nil, t0)
		// updated_at runs against insertion order, with ties.
		c.UpdatedAt = t0.Add(time.Duration(10-i/3)*time.Minute + subSecond)
		c.Status = lending.CustomerUnderReview
		if i%5 == 4 {
			c.Status = lending.CustomerActive
			active = append(active, c)
		} else {
			review = append(review, c)
		}
		storeCustomer(t, s, c)
	}
	inEnv := func(cs []lending.Customer, env lending.Environment) []lending.Customer {
		out := slices.DeleteFunc(slices.Clone(cs), func(c lending.Customer) bool { return env != "" && c.Scope.Environment != env })
		slices.SortFunc(out, compareCustomers(true))
		return out
	}
	cases := []struct {
		env    lending.Environment
		status lending.CustomerStatus
		limit  int
		want   []lending.Customer
	}{
		{"", lending.CustomerUnderReview, 100, inEnv(review, "")},
		{"", lending.CustomerUnderReview, 3, inEnv(review, "")[:3]},
		{lending.EnvTest, lending.CustomerUnderReview, 100, inEnv(review, lending.EnvTest)},
		{lending.EnvLive, lending.CustomerUnderReview, 100, inEnv(review, lending.EnvLive)},
		{lending.EnvLive, lending.CustomerUnderReview, 1, inEnv(review, lending.EnvLive)[:1]},
		{"", lending.CustomerActive, 100, inEnv(active, "")},
		{lending.EnvTest, lending.CustomerDenied, 100, nil},
	}
	for _, tc := range cases {
		got, err := s.CustomersInStatus(ctx, tc.env, tc.status, tc.limit)
		if err != nil {
			t.Errorf("CustomersInStatus(%q, %s, %d): %v", tc.env, tc.status, tc.limit, err)
			continue
		}
		if diff := cmpDiff(tc.want, got); diff != "" {
			t.Errorf("CustomersInStatus(%q, %s, %d) (-want +got):\n%s", tc.env, tc.status, tc.limit, diff)
		}
	}
	if _, err := s.CustomersInStatus(ctx, "", lending.CustomerUnderReview, 0); err == nil {
		t.Errorf("CustomersInStatus with limit 0 succeeded, want an error")
	}
}

// newKYCFile builds a file of customer c uploaded at at.
func newKYCFile(c lending.Customer, attachment string, at time.Time) lending.KYCFile {
	id := ids.New("kf_")
	return lending.KYCFile{ID: id, Scope: c.Scope, CustomerID: c.ID, RequirementID: "identity_003abc", EvidenceType: "cnh",
		AttachmentType: attachment, BlobKey: "kyc/" + c.ID + "/" + id, SHA256: hashSecret(id), Size: 1<<33 + 7,
		ContentType: "image/jpeg", UploadedAt: at}
}

func testKYCFiles(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	other := mustScope(t, s, lending.EnvTest)
	live := lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}
	c1, c2 := mustCustomer(t, s, scope, t0), mustCustomer(t, s, scope, t0)
	c3 := mustCustomer(t, s, other, t0)

	f1 := newKYCFile(c1, "front", t0.Add(2*time.Second+subSecond))
	f2 := newKYCFile(c1, "back", t0.Add(subSecond))
	f3 := newKYCFile(c1, "front", t0.Add(subSecond)) // ties with f2
	f4 := newKYCFile(c2, "file", t0)
	f4.SupersededAt = ptr(t0.Add(time.Minute + subSecond))
	f5 := newKYCFile(c3, "file", t0)
	mustTx(t, s, "InsertKYCFile", func(tx *store.Tx) error {
		for _, f := range []lending.KYCFile{f1, f2, f3, f4, f5} {
			if err := tx.InsertKYCFile(ctx, f); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertKYCFile(ctx, newKYCFile(lending.Customer{ID: ids.New("cust_"), Scope: scope}, "file", t0))
	})
	if err == nil {
		t.Errorf("InsertKYCFile of an unknown customer succeeded, want an error")
	}

	c1Files := []lending.KYCFile{f2, f3}
	slices.SortFunc(c1Files, func(a, b lending.KYCFile) int { return cmp.Compare(a.ID, b.ID) })
	c1Files = append(c1Files, f1)
	listCases := []struct {
		name     string
		scope    lending.Scope
		customer string
		want     []lending.KYCFile
	}{
		{"upload order, ties by id", scope, c1.ID, c1Files},
		{"superseded included", scope, c2.ID, []lending.KYCFile{f4}},
		{"other partner's customer", scope, c3.ID, nil},
		{"customer asked in other partner", other, c1.ID, nil},
		{"customer asked in other environment", live, c1.ID, nil},
		{"unknown customer", scope, ids.New("cust_"), nil},
	}
	for _, tc := range listCases {
		got, err := s.KYCFiles(ctx, tc.scope, tc.customer)
		if err != nil {
			t.Errorf("%s: KYCFiles: %v", tc.name, err)
		} else if diff := cmpDiff(tc.want, got); diff != "" {
			t.Errorf("%s: KYCFiles (-want +got):\n%s", tc.name, diff)
		}
	}

	for _, f := range []lending.KYCFile{f1, f4, f5} {
		got, err := s.KYCFile(ctx, f.Scope, f.ID)
		if err != nil {
			t.Errorf("KYCFile(%s): %v", f.ID, err)
		} else if diff := cmpDiff(f, got); diff != "" {
			t.Errorf("KYCFile(%s) (-want +got):\n%s", f.ID, diff)
		}
	}
	for _, tc := range []struct {
		name  string
		scope lending.Scope
		id    string
	}{{"other partner", other, f1.ID}, {"other environment", live, f1.ID}, {"unknown", scope, ids.New("kf_")}, {"quote", scope, "'"}} {
		if _, err := s.KYCFile(ctx, tc.scope, tc.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("KYCFile (%s) error = %v, want ErrNotFound", tc.name, err)
		}
	}

	// Superseding sets superseded_at once: the first instant stays.
	first := t0.Add(time.Hour + subSecond)
	for i, at := range []time.Time{first, first.Add(time.Hour)} {
		mustTx(t, s, fmt.Sprintf("SupersedeKYCFile #%d", i+1), func(tx *store.Tx) error { return tx.SupersedeKYCFile(ctx, f2.ID, at) })
		want := f2
		want.SupersededAt = &first
		got, err := s.KYCFile(ctx, scope, f2.ID)
		if err != nil {
			t.Fatalf("KYCFile: %v", err)
		}
		if diff := cmpDiff(want, got); diff != "" {
			t.Errorf("after SupersedeKYCFile #%d (-want +got):\n%s", i+1, diff)
		}
	}
	if got, err := s.KYCFile(ctx, scope, f3.ID); err != nil || got.SupersededAt != nil {
		t.Errorf("another file after superseding f2: superseded_at %v, %v; want nil", got.SupersededAt, err)
	}
	err = s.InTx(ctx, func(tx *store.Tx) error { return tx.SupersedeKYCFile(ctx, ids.New("kf_"), first) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SupersedeKYCFile(unknown) error = %v, want ErrNotFound", err)
	}
}

func bankName(id string) (string, bool) {
	names := map[string]string{"001": "Banco do Brasil S.A.", "260": "Nu Pagamentos S.A. – Instituição de Pagamento"}
	n, ok := names[id]
	return n, ok
}

// newBankAccount builds c's account through the domain's validation.
func newBankAccount(t *testing.T, c lending.Customer, bank, kind, branch, number, digit string, previous *lending.BankAccount, now time.Time) lending.BankAccount {
	t.Helper()
	a, err := lending.NewBankAccount(c, lending.BankAccountInput{BankID: &bank, Kind: &kind, Branch: &branch, Number: &number, Digit: &digit},
		bankName, previous, now)
	if err != nil {
		t.Fatalf("NewBankAccount: %v", err)
	}
	return a
}

func upsertBankAccount(t *testing.T, s *store.Store, a lending.BankAccount) {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "UpsertBankAccount", func(tx *store.Tx) error { return tx.UpsertBankAccount(ctx, a) })
}

// bankAccountForUpdate reads customerID's account of scope for update in a transaction of its own.
func bankAccountForUpdate(t *testing.T, s *store.Store, scope lending.Scope, customerID string) *lending.BankAccount {
	t.Helper()
	ctx := testCtx(t)
	var a *lending.BankAccount
	mustTx(t, s, "BankAccountForUpdate", func(tx *store.Tx) (err error) {
		a, err = tx.BankAccountForUpdate(ctx, scope, customerID)
		return err
	})
	return a
}

func testBankAccount(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	c1, c2 := mustCustomer(t, s, scope, t0), mustCustomer(t, s, scope, t0)
	other := mustScope(t, s, lending.EnvLive)
	test := lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvTest}

	// expect checks both reads of customerID's account in sc against want (nil: none).
	expect := func(what string, sc lending.Scope, customerID string, want *lending.BankAccount) {
		t.Helper()
		got, err := s.BankAccount(ctx, sc, customerID)
		if want == nil {
			wantCode(t, what+": BankAccount", err, lending.CodeBankAccountNotFound)
		} else if err != nil {
			t.Errorf("%s: BankAccount: %v", what, err)
		} else if diff := cmpDiff(*want, got); diff != "" {
			t.Errorf("%s: BankAccount (-want +got):\n%s", what, diff)
		}
		if diff := cmpDiff(want, bankAccountForUpdate(t, s, sc, customerID)); diff != "" {
			t.Errorf("%s: BankAccountForUpdate (-want +got):\n%s", what, diff)
		}
	}

	expect("before any", scope, c1.ID, nil)
	a1 := newBankAccount(t, c1, "1", string(lending.AccountChecking), "12", "0012345", "x", nil, t0.Add(subSecond))
	upsertBankAccount(t, s, a1)
	expect("inserted", scope, c1.ID, &a1)

	a2 := newBankAccount(t, c1, "260", string(lending.AccountPayment), "0001", "987654321", "0", &a1, t0.Add(time.Minute+subSecond))
	if a2.ID == a1.ID {
		t.Fatalf("fixture: a changed account should get a new id")
	}
	upsertBankAccount(t, s, a2)
	expect("replaced", scope, c1.ID, &a2)

	b := newBankAccount(t, c2, "001", string(lending.AccountSaving), "1", "42", "7", nil, t0)
	upsertBankAccount(t, s, b)
	expect("another customer's", scope, c2.ID, &b)
	expect("first customer's, after another's", scope, c1.ID, &a2)

	expect("other partner", other, c1.ID, nil)
	expect("other environment", test, c1.ID, nil)
	expect("unknown customer", scope, ids.New("cust_"), nil)

	err := s.InTx(ctx, func(tx *store.Tx) error {
		return tx.UpsertBankAccount(ctx, lending.BankAccount{ID: ids.New("ba_"), Scope: scope, CustomerID: ids.New("cust_"),
			BankID: "001", BankName: "Banco do Brasil S.A.", Kind: lending.AccountChecking, Branch: "0001", Number: "1", Digit: "1",
			CreatedAt: t0, UpdatedAt: t0})
	})
	if err == nil {
		t.Errorf("UpsertBankAccount of an unknown customer succeeded, want an error")
	}
}

// biometricsFixture is a pending_kyc customer in a scope.
func biometricsFixture(t *testing.T, e Engine) (*store.Store, lending.Customer) {
	t.Helper()
	s, _ := open(t, e)
	c := mustCustomer(t, s, mustScope(t, s, lending.EnvTest), t0)
	c = enriched(c, t0)
	saveCustomer(t, s, c)
	return s, c
}

// newBiometricsSession builds a session of c created at now and open for the domain's TTL, with its code.
func newBiometricsSession(c lending.Customer, now time.Time) (lending.BiometricsSession, string) {
	code := ids.Secret(lending.BiometricsCodePrefix, 40)
	return lending.BiometricsSession{ID: ids.New("bs_"), Scope: c.Scope, CustomerID: c.ID, CodeHash: hashSecret(code),
		ExpiresAt: now.Add(lending.BiometricsSessionTTL), CreatedAt: now}, code
}

func insertBiometricsSession(t *testing.T, s *store.Store, b lending.BiometricsSession) {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "InsertBiometricsSession", func(tx *store.Tx) error { return tx.InsertBiometricsSession(ctx, b) })
}

func latestBiometricsSession(t *testing.T, s *store.Store, scope lending.Scope, customerID string) *lending.BiometricsSession {
	t.Helper()
	ctx := testCtx(t)
	var b *lending.BiometricsSession
	mustTx(t, s, "LatestBiometricsSession", func(tx *store.Tx) (err error) {
		b, err = tx.LatestBiometricsSession(ctx, scope, customerID)
		return err
	})
	return b
}

func testLatestBiometricsSession(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, c := biometricsFixture(t, e)
	if b := latestBiometricsSession(t, s, c.Scope, c.ID); b != nil {
		t.Errorf("LatestBiometricsSession before any = %+v, want nil", b)
	}
	first, _, err := lending.NewBiometricsSession(c, nil, hashSecret, t0)
	if err != nil {
		t.Fatalf("NewBiometricsSession: %v", err)
	}
	insertBiometricsSession(t, s, first)
	if diff := cmpDiff(&first, latestBiometricsSession(t, s, c.Scope, c.ID)); diff != "" {
		t.Errorf("LatestBiometricsSession with one (-want +got):\n%s", diff)
	}
	newer, _ := newBiometricsSession(c, t0.Add(time.Hour+subSecond))
	newer.ConsumedAt = ptr(t0.Add(time.Hour + 2*subSecond))
	insertBiometricsSession(t, s, newer)
	older, _ := newBiometricsSession(c, t0.Add(-time.Hour)) // inserted last, created first
	insertBiometricsSession(t, s, older)
	if diff := cmpDiff(&newer, latestBiometricsSession(t, s, c.Scope, c.ID)); diff != "" {
		t.Errorf("LatestBiometricsSession with three (-want +got):\n%s", diff)
	}

	other := mustScope(t, s, lending.EnvTest)
	for name, sc := range map[string]lending.Scope{
		"other partner":     other,
		"other environment": {PartnerID: c.Scope.PartnerID, Environment: lending.EnvLive},
	} {
		if b := latestBiometricsSession(t, s, sc, c.ID); b != nil {
			t.Errorf("LatestBiometricsSession in %s = %+v, want nil", name, b)
		}
	}
	if b := latestBiometricsSession(t, s, c.Scope, mustCustomer(t, s, c.Scope, t0).ID); b != nil {
		t.Errorf("LatestBiometricsSession of another customer = %+v, want nil", b)
	}

	dup, _ := newBiometricsSession(c, t0)
	dup.CodeHash = first.CodeHash
	unknown, _ := newBiometricsSession(lending.Customer{ID: ids.New("cust_"), Scope: c.Scope}, t0)
	for name, b := range map[string]lending.BiometricsSession{"taken code hash": dup, "unknown customer": unknown} {
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertBiometricsSession(ctx, b) }); err == nil {
			t.Errorf("InsertBiometricsSession (%s) succeeded, want an error", name)
		}
	}
}

// testConsumeBiometricsSession: a code works once, before its session expires.
func testConsumeBiometricsSession(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, c := biometricsFixture(t, e)
	live, _ := newBiometricsSession(c, t0.Add(subSecond))
	expiring, _ := newBiometricsSession(c, t0.Add(subSecond))
	expired, _ := newBiometricsSession(c, t0.Add(time.Second+subSecond))
	for _, b := range []lending.BiometricsSession{live, expiring, expired} {
		insertBiometricsSession(t, s, b)
	}
	consumed := func(b lending.BiometricsSession, at time.Time) *lending.BiometricsSession {
		b.ConsumedAt = &at
		return &b
	}
	justBefore := expiring.ExpiresAt.Add(-time.Microsecond)
	steps := []struct {
		name     string
		codeHash string
		now      time.Time
		want     *lending.BiometricsSession // nil: ErrNotFound
	}{
		{"unknown code", hashSecret("dinie_bsc_test_unknown"), t0.Add(time.Minute), nil},
		{"live", live.CodeHash, t0.Add(time.Minute + 2*subSecond), consumed(live, t0.Add(time.Minute+2*subSecond))},
		{"live, again", live.CodeHash, t0.Add(2 * time.Minute), nil},
		{"a microsecond before expiry", expiring.CodeHash, justBefore, consumed(expiring, justBefore)},
		{"at expiry", expired.CodeHash, expired.ExpiresAt, nil},
		{"after expiry", expired.CodeHash, expired.ExpiresAt.Add(time.Hour), nil},
	}
	for _, st := range steps {
		got, err := s.ConsumeBiometricsSession(ctx, st.codeHash, nil, st.now)
		if st.want == nil {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: ConsumeBiometricsSession = %+v, %v; want ErrNotFound", st.name, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ConsumeBiometricsSession: %v", st.name, err)
		} else if diff := cmpDiff(*st.want, got); diff != "" {
			t.Errorf("%s: ConsumeBiometricsSession (-want +got):\n%s", st.name, diff)
		}
	}
	// A refused consumption leaves the session as it was (the expired one is the newest).
	if diff := cmpDiff(&expired, latestBiometricsSession(t, s, c.Scope, c.ID)); diff != "" {
		t.Errorf("expired session after refused consumptions (-want +got):\n%s", diff)
	}
}

// testConsumeBiometricsSessionConcurrent consumes one code from 20 goroutines at once: exactly one
// succeeds, every other gets ErrNotFound.
func testConsumeBiometricsSessionConcurrent(t *testing.T, e Engine) {
	const n = 20
	ctx := testCtx(t)
	s, c := biometricsFixture(t, e)
	b, _ := newBiometricsSession(c, t0)
	insertBiometricsSession(t, s, b)
	got := make([]lending.BiometricsSession, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = s.ConsumeBiometricsSession(ctx, b.CodeHash, nil, t0.Add(time.Duration(i+1)*time.Second))
		})
	}
	close(start)
	wg.Wait()
	var winner *lending.BiometricsSession
	for i, err := range errs {
		switch {
		case err == nil && winner != nil:
			t.Errorf("consumers #%d and another both consumed the session; a code works once", i)
		case err == nil:
			winner = &got[i]
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("consumer #%d: %v, want ErrNotFound", i, err)
		}
	}
	if winner == nil {
		t.Fatalf("none of %d concurrent consumers consumed the session, want exactly one", n)
	}
	if winner.ConsumedAt == nil {
		t.Fatalf("the winning consumer got a session without consumed_at")
	}
	want := b
	want.ConsumedAt = winner.ConsumedAt
	if diff := cmpDiff(&want, latestBiometricsSession(t, s, c.Scope, c.ID)); diff != "" {
		t.Errorf("session after the race (-want +got):\n%s", diff)
	}
}
