package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestGroupCommitKeepsTransactionsApart: SQLite transactions committed in groups keep the guarantees of
// separate transactions. Of many concurrent transactions, the ones that fail (by error or panic) leave
// nothing behind and the others all commit; a panic reaches its own caller only.
func TestGroupCommitKeepsTransactionsApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.batch == nil {
		t.Fatal("SQLite store without group commit")
	}
	if _, err := s.db.Exec(`CREATE TABLE g (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = s.InTx(ctx, func(tx *Tx) error {
				if _, err := tx.conn().exec(ctx, `INSERT INTO g (k, v) VALUES (?, ?)`, i, fmt.Sprint("row ", i)); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errors.New("refused")
				case 7:
					panic("boom")
				case 9: // a constraint violation inside the transaction, after its own insert
					_, err := tx.conn().exec(ctx, `INSERT INTO g (k, v) VALUES (?, ?)`, i, "again")
					return err
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := range n {
		var v string
		err := s.db.QueryRow(`SELECT v FROM g WHERE k = ?`, i).Scan(&v)
		switch i % 10 {
		case 3, 9:
			if errs[i] == nil || err == nil {
				t.Errorf("#%d: failed transaction returned %v and left row %q", i, errs[i], v)
			}
		case 7:
			if panics[i] != "boom" || err == nil {
				t.Errorf("#%d: panicking transaction: panic %v, row %q (%v)", i, panics[i], v, err)
			}
		default:
			if errs[i] != nil || panics[i] != nil || err != nil || v != fmt.Sprint("row ", i) {
				t.Errorf("#%d: %v / %v, row %q (%v)", i, errs[i], panics[i], v, err)
			}
		}
	}
}

// TestGroupCommitCancelledCaller: a caller whose context ends before its turn gets its context's error
// and its transaction does not run.
func TestGroupCommitCancelledCaller(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := s.InTx(ctx, func(*Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled caller: %v, ran %v", err, ran)
	}
}
