package storetest

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var partnerTests = []namedTest{
	{"CreateCountGetList", testPartnersCreateCountGetList},
	{"DuplicateID", testPartnerDuplicateID},
	{"GetUnknown", testGetPartnerUnknown},
}

var inTxTests = []namedTest{
	{"CommitsOnNil", testInTxCommits},
	{"RollsBackOnError", testInTxRollsBackOnError},
	{"RollsBackOnPanic", testInTxRollsBackOnPanic},
}

// countPartners returns CountPartners read in a transaction of its own.
func countPartners(t *testing.T, s *store.Store) int {
	t.Helper()
	ctx := testCtx(t)
	var n int
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.CountPartners(ctx)
		return err
	})
	if err != nil {
		t.Fatalf("CountPartners: %v", err)
	}
	return n
}

func testPartnersCreateCountGetList(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)

	if n := countPartners(t, s); n != 0 {
		t.Errorf("CountPartners on an empty store = %d, want 0", n)
	}
	if ps, err := s.ListPartners(ctx); err != nil || len(ps) != 0 {
		t.Errorf("ListPartners on an empty store = %v, %v; want none", ps, err)
	}

	// Creation order differs from listing order; two partners share created_at so the id breaks the tie.
	// The names carry quotes and question marks, which must reach the database as data, not SQL.
	var want []lending.Partner
	for _, c := range []struct {
		name string
		at   time.Time
	}{
		{"Late Ltda", t0.Add(2 * time.Second)},
		{"Ação & Cia ? 'x'", t0},
		{"O'Brien?", t0},
		{"Middle S.A. -- ;", t0.Add(time.Second)},
	} {
		p, err := lending.NewPartner(c.name, c.at)
		if err != nil {
			t.Fatalf("NewPartner(%q): %v", c.name, err)
		}
		want = append(want, p)
	}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		for _, p := range want {
			if err := tx.CreatePartner(ctx, p); err != nil {
				return err
			}
		}
		n, err := tx.CountPartners(ctx)
		if err != nil {
			return err
		}
		if n != len(want) {
			t.Errorf("CountPartners inside the creating transaction = %d, want %d", n, len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx(CreatePartner ×%d): %v", len(want), err)
	}
	if n := countPartners(t, s); n != len(want) {
		t.Errorf("CountPartners = %d, want %d", n, len(want))
	}
	for _, p := range want {
		got, err := s.GetPartner(ctx, p.ID)
		if err != nil {
			t.Errorf("GetPartner(%s): %v", p.ID, err)
			continue
		}
		if diff := cmpDiff(p, got); diff != "" {
			t.Errorf("GetPartner(%s) (-want +got):\n%s", p.ID, diff)
		}
	}

	slices.SortFunc(want, func(a, b lending.Partner) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	got, err := s.ListPartners(ctx)
	if err != nil {
		t.Fatalf("ListPartners: %v", err)
	}
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("ListPartners: want oldest first, ties by id (-want +got):\n%s", diff)
	}
}

func testPartnerDuplicateID(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	p := mustPartner(t, s, "First", t0)
	dup := p
	dup.Name = "Second"
	err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePartner(ctx, dup) })
	if err == nil {
		t.Fatalf("CreatePartner with a taken id succeeded, want an error")
	}
	got, err := s.GetPartner(ctx, p.ID)
	if err != nil {
		t.Fatalf("GetPartner: %v", err)
	}
	if diff := cmpDiff(p, got); diff != "" {
		t.Errorf("partner after a duplicate insert (-want +got):\n%s", diff)
	}
	if n := countPartners(t, s); n != 1 {
		t.Errorf("CountPartners = %d, want 1", n)
	}
}

func testGetPartnerUnknown(t *testing.T, e Engine) {
	s, _ := open(t, e)
	mustPartner(t, s, "Acme", t0)
	for _, id := range []string{"prt_00000000000000000000000000000000", "", "' OR 1=1 --"} {
		if _, err := s.GetPartner(testCtx(t), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetPartner(%q) error = %v, want store.ErrNotFound", id, err)
		}
	}
}

func testInTxCommits(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	p, _ := lending.NewPartner("Acme", t0)
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePartner(ctx, p) }); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if _, err := s.GetPartner(ctx, p.ID); err != nil {
		t.Errorf("GetPartner after commit: %v", err)
	}
}

func testInTxRollsBackOnError(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	p, _ := lending.NewPartner("Acme", t0)
	errBoom := errors.New("boom")
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("InTx error = %v, want fn's error", err)
	}
	assertRolledBack(t, s, p.ID)
}

func testInTxRollsBackOnPanic(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	p, _ := lending.NewPartner("Acme", t0)
	type boom struct{ msg string }
	recovered := func() (r any) {
		defer func() { r = recover() }()
		_ = s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreatePartner(ctx, p); err != nil {
				t.Errorf("CreatePartner: %v", err)
			}
			panic(boom{"inside InTx"})
		})
		return nil
	}()
	if recovered != (boom{"inside InTx"}) {
		t.Errorf("InTx re-panicked with %v, want fn's panic value", recovered)
	}
	assertRolledBack(t, s, p.ID)
}

// assertRolledBack checks that partner id was not persisted and that the store still takes writes (a
// transaction left open would hold SQLite's only write connection).
func assertRolledBack(t *testing.T, s *store.Store, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Second)
	defer cancel()
	if _, err := s.GetPartner(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPartner after rollback: error = %v, want store.ErrNotFound", err)
	}
	var n int
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.CountPartners(ctx)
		return err
	})
	if err != nil {
		t.Fatalf("a transaction after the rollback failed: %v", err)
	}
	if n != 0 {
		t.Errorf("CountPartners after rollback = %d, want 0", n)
	}
	p, _ := lending.NewPartner("After", t0)
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePartner(ctx, p) }); err != nil {
		t.Errorf("a write after the rollback failed: %v", err)
	}
}
