package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/store"
)

// seedBatch is how many customers one seeding transaction inserts.
const seedBatch = 5000

// seedPause is how long seeding leaves SQLite's write lock to the server after each batch.
const seedPause = 150 * time.Millisecond

// seedStore inserts n customers straight into the database of the server the tool started (see
// seedCustomers) and returns the ids of the last ones. The server keeps running meanwhile: SQLite's WAL
// and busy timeout (PostgreSQL's row locks) let both write.
func (b *bench) seedStore(ctx context.Context, n int) ([]string, error) {
	tmplID, err := b.pendingCustomer(ctx)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, b.srv.dsn, store.Options{MaxConns: 2})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	cred, err := st.CredentialByClientID(ctx, b.api.id)
	if err != nil {
		return nil, fmt.Errorf("credential %s: %w", b.api.id, err)
	}
	// The template is a customer the server enriched: pending_kyc, with its legal name, trading name
	// and kyc requirements; the seeds keep all of that.
	tmpl, err := st.Customer(ctx, cred.Scope(), tmplID)
	if err != nil {
		return nil, err
	}
	// created_at from now on, one microsecond apart: the seeds sort after every customer made so far.
	base := time.Now().UTC().Truncate(time.Microsecond)
	last := make([]string, 0, 100)
	report := time.Now()
	for i := 0; i < n; i += seedBatch {
		err := st.InTx(ctx, func(tx *store.Tx) error {
			for j := i; j < min(i+seedBatch, n); j++ {
				c := tmpl
				c.ID = ids.New("cust_")
				c.CPF = b.cpf.next()
				ext := fmt.Sprintf("seed-%d", j)
				c.ExternalID = &ext
				c.CreatedAt = base.Add(time.Duration(j) * time.Microsecond)
				c.UpdatedAt = c.CreatedAt
				existing, err := tx.InsertCustomer(ctx, c)
				if err != nil {
					return err
				}
				if existing != nil {
					return fmt.Errorf("CPF %s is already registered (customer %s)", c.CPF, existing.ID)
				}
				if j >= n-100 {
					last = append(last, c.ID)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		// SQLite's write lock is not fair: a process that starts its next transaction at once keeps it,
		// while the server's writer sleeps in its busy handler (up to 100 ms a try) and its job engine
		// times out. Pausing longer than that after each batch lets the server write in between.
		if b.srv.dsn != "" && !store.IsPostgresURL(b.srv.dsn) {
			time.Sleep(seedPause)
		}
		if time.Since(report) > 5*time.Second {
			report = time.Now()
			fmt.Fprintf(b.out, "bench: seeded %s of %s customers\n", num(float64(i+seedBatch)), num(float64(n)))
		}
	}
	return last, nil
}
