package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/internal/wire"
)

// disbursementWait bounds the wait, after the restart, for every loan to be active: a disbursement job
// running at the crash runs again only once River's rescuer (on the new leader, then every 30 s) finds it
// stuck for --job-rescue-after (30 s), so that takes 30 to 65 s; the rest leaves room for a loaded machine.
const disbursementWait = 4 * time.Minute

// crashLoanCNPJ is an LTDA (root ending 0003: the applicant and three partners sign) whose credit branch
// (0006) gives a fixed offer of R$ 60,000.00 in 12 installments (docs/sandbox.md). Customers differ by
// their applicant's CPF, so they can share it.
const crashLoanCNPJ = "12.340.003/0006-68"

// crashLoan is one loan the test takes, and what it saw of it.
type crashLoan struct {
	customerID string
	offerID    string
	sim        wire.Simulation
	loan       wire.Loan
	// e2e is the end-to-end id chosen when the loan went to processing, read from the database at the
	// crash; transfersAtKill and statusAtKill are the loan's ledger rows and status then.
	e2e             string
	transfersAtKill int
	statusAtKill    lending.LoanStatus
	pixAtKill       string
}

// TestCrashDuringDisbursement takes loans over the API, signs them all at once, and SIGKILLs dinie serve
// while their disbursements are in flight (each loan's Pix is pending on the sandbox rail for 2 s after
// it is sent); then restarts it on the same database and checks that every loan ends active with exactly
// one Pix transfer (the one sent before the crash, when there was one), its 12 installments and a single
// loan.active, and that no loan or disbursement job is left behind.
func TestCrashDuringDisbursement(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dinie serve as a child process for about a minute; skipped with -short")
	}
	t.Parallel()
	bin := buildDinie(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			const n = 10
			start := time.Now()
			ctx := context.Background()
			dsn, dir := e.DSN(t), filepath.Join(t.TempDir(), "data")
			flags := []string{"--job-poll-interval", "50ms", "--job-rescue-after", "30s"}
			hc := newClient(t)

			s1 := startServeProcess(t, bin, dsn, dir, flags...)
			sandbox, _ := readSandboxFile(t, dir)
			token := issueToken(t, hc, s1.server(), sandbox.ClientID, sandbox.ClientSecret)
			loans := takeLoans(t, hc, s1, token, n)
			t.Logf("%d loans awaiting signatures %s after the start", n, time.Since(start).Round(100*time.Millisecond))

			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatalf("open the store on %s: %v", e.Name, err)
			}
			t.Cleanup(func() { st.Close() })

			// Every loan signed at once: each one's last signature moves it to processing and queues its
			// disbursement, which sends the Pix at once and then looks again every second until it settles.
			signAll(t, hc, s1, token, loans)
			signed := time.Now()
			// The crash comes as soon as the rail has a transfer: every loan still processing, some (or all)
			// with a pending Pix, their jobs running, snoozed or not yet started.
			pollUntil(t, waitLong, "a Pix transfer to be sent", func() (bool, string) {
				total, err := countTransfers(ctx, st, loans)
				if err != nil {
					return false, err.Error()
				}
				return total > 0, "no transfer yet"
			})
			s1.kill(t)
			t.Logf("killed dinie serve %s after the last signature", time.Since(signed).Round(time.Millisecond))

			// What the crash left: each loan's status, end-to-end id and ledger rows.
			processing, withTransfer := 0, 0
			for i := range loans {
				l := &loans[i]
				var stored lending.Loan
				if err := st.InTx(ctx, func(tx *store.Tx) error {
					var err error
					stored, err = tx.LoanByIDForUpdate(ctx, l.loan.ID)
					return err
				}); err != nil {
					t.Fatalf("read loan %s after the crash: %v", l.loan.ID, err)
				}
				l.e2e, l.statusAtKill = stored.DisbursementE2E, stored.Status
				if l.e2e == "" {
					t.Errorf("loan %s is %s with no end-to-end id after its last signature", l.loan.ID, stored.Status)
				}
				if l.transfersAtKill, err = st.CountPixTransfers(ctx, l.loan.ID); err != nil {
					t.Fatal(err)
				}
				if l.transfersAtKill > 0 {
					withTransfer++
					p, err := st.PixTransfer(ctx, l.e2e)
					if err != nil {
						t.Fatalf("loan %s has a transfer but none under its end-to-end id %s: %v", l.loan.ID, l.e2e, err)
					}
					l.pixAtKill = p.Status
				}
				if stored.Status == lending.LoanProcessing {
					processing++
				}
			}
			jobsAtKill, err := disburseJobStates(ctx, st)
			if err != nil {
				t.Fatalf("read the disbursement jobs: %v", err)
			}
			t.Logf("at the crash: %d of %d loans processing, %d with a Pix transfer; disbursement jobs by state %v", processing, n, withTransfer, jobsAtKill)
			for _, l := range loans {
				t.Logf("  loan %s: %s, %d transfer(s) %s", l.loan.ID, l.statusAtKill, l.transfersAtKill, l.pixAtKill)
			}
			if processing == 0 || withTransfer == 0 {
				t.Fatalf("no disbursement was in flight when the process died: the test did not test the crash")
			}

			restart := time.Now()
			s2 := startServeProcess(t, bin, dsn, dir, flags...)
			active := map[string]wire.Loan{}
			waitEach(t, disbursementWait, "every loan to be active", len(loans), func(i int) (bool, string) {
				var l wire.Loan
				callAPI(t, hc, s2, token, http.MethodGet, "/api/v3/loans/"+loans[i].loan.ID, nil, http.StatusOK, &l)
				switch l.Status {
				case string(lending.LoanActive):
					active[l.ID] = l
					return true, ""
				case string(lending.LoanError), string(lending.LoanCancelled):
					t.Fatalf("loan %s ended %s after the restart, want active", l.ID, l.Status)
				}
				return false, fmt.Sprintf("loan %s (%d of %d) is %s", l.ID, i+1, len(loans), l.Status)
			})
			t.Logf("all %d loans active %s after the restart", n, time.Since(restart).Round(100*time.Millisecond))
			// Every disbursement job ends completed: those rescued after the crash, and the ones the restart
			// queued again for the loans it found in processing (at least one per loan).
			var jobs map[string]int
			pollUntil(t, disbursementWait, "every disbursement job to complete", func() (bool, string) {
				var err error
				if jobs, err = disburseJobStates(ctx, st); err != nil {
					return false, err.Error()
				}
				return jobs["completed"] >= n && len(jobs) == 1, fmt.Sprintf("disbursement jobs by state %v", jobs)
			})
			t.Logf("all %d disbursement jobs completed %s after the restart", jobs["completed"], time.Since(restart).Round(100*time.Millisecond))

			for _, l := range loans {
				got := active[l.loan.ID]
				if got.PrincipalAmount == nil || *got.PrincipalAmount != l.sim.PrincipalAmount || got.RequestedAmount != l.sim.RequestedAmount ||
					got.DisbursementMethod == nil || *got.DisbursementMethod != "pix" {
					t.Errorf("active loan %+v, want principal %s, requested %s, disbursed by pix", got, l.sim.PrincipalAmount, l.sim.RequestedAmount)
				}
				var txs struct {
					Data    []wire.Transaction `json:"data"`
					HasMore bool               `json:"has_more"`
				}
				callAPI(t, hc, s2, token, http.MethodGet, "/api/v3/loans/"+l.loan.ID+"/transactions?limit=100", nil, http.StatusOK, &txs)
				var principal finmath.Cents
				for _, x := range txs.Data {
					principal += crashCents(t, x.Principal)
				}
				if len(txs.Data) != 12 || txs.HasMore {
					t.Errorf("loan %s has %d installments (has_more %t), want 12", l.loan.ID, len(txs.Data), txs.HasMore)
				} else if txs.Data[0].DueDate != l.sim.FirstDueDate || txs.Data[0].AmountDue != l.sim.InstallmentAmount {
					t.Errorf("loan %s: first installment due %s for %s, want %s for %s (the simulation's)",
						l.loan.ID, txs.Data[0].DueDate, txs.Data[0].AmountDue, l.sim.FirstDueDate, l.sim.InstallmentAmount)
				}
				if got.PrincipalAmount != nil && principal != crashCents(t, *got.PrincipalAmount) {
					t.Errorf("loan %s: installment principals sum to %s, want its principal_amount %s", l.loan.ID, principal, *got.PrincipalAmount)
				}
			}

			hc.CloseIdleConnections()
			if d := s2.terminate(t, waitLong); s2.cmd.ProcessState.ExitCode() != 0 {
				t.Errorf("after SIGTERM dinie serve exited with %v after %s, want 0", s2.cmd.ProcessState, d)
			}

			// The database, with the server stopped: one transfer per loan, the one the loan chose (and, when
			// it was sent before the crash, the one sent then), settled for the requested amount; nothing
			// processing; loan.processing and loan.active recorded once each.
			for _, l := range loans {
				count, err := st.CountPixTransfers(ctx, l.loan.ID)
				if err != nil {
					t.Fatal(err)
				}
				if count != 1 {
					t.Errorf("loan %s has %d Pix transfers, want exactly 1 (%d at the crash)", l.loan.ID, count, l.transfersAtKill)
					continue
				}
				p, err := st.PixTransfer(ctx, l.e2e)
				if err != nil {
					t.Errorf("loan %s: its transfer is not under the end-to-end id %s it had at the crash: %v", l.loan.ID, l.e2e, err)
					continue
				}
				if p.LoanID != l.loan.ID || p.Status != store.PixTransferSettled || p.Amount != crashCents(t, l.sim.RequestedAmount) {
					t.Errorf("loan %s: transfer %s is loan %s's, %s, for %s; want settled for %s",
						l.loan.ID, p.E2EID, p.LoanID, p.Status, p.Amount, l.sim.RequestedAmount)
				}
			}
			var left []string
			if err := st.InTx(ctx, func(tx *store.Tx) error {
				var err error
				left, err = tx.ProcessingLoans(ctx, 100)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if len(left) > 0 {
				t.Errorf("loans left processing: %v", left)
			}
			for _, typ := range []string{lending.EventLoanProcessing, lending.EventLoanActive} {
				perLoan, err := loanEventCounts(ctx, st.WriterDB(), typ)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range loans {
					if perLoan[l.loan.ID] != 1 {
						t.Errorf("loan %s has %d %s events, want 1", l.loan.ID, perLoan[l.loan.ID], typ)
					}
					delete(perLoan, l.loan.ID)
				}
				if len(perLoan) > 0 {
					t.Errorf("%s events of loans the test did not take: %v", typ, perLoan)
				}
			}
			t.Logf("%s in all", time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// takeLoans registers n customers of crashLoanCNPJ with distinct applicants, approves their KYC through
// the sandbox control, gives each a bank account, and takes a loan of R$ 20,000.00 in 12 installments on
// each one's offer. Each step is done for every customer before the next one, so the waits overlap.
func takeLoans(t *testing.T, hc *http.Client, c *serveProcess, token string, n int) []crashLoan {
	t.Helper()
	loans := make([]crashLoan, n)
	for i := range loans {
		// Distinct applicants: CPF bases 314159100, 314159101, ... (none ends in the magic 997 to 999).
		cpf := lending.CPFWithCheckDigits(fmt.Sprintf("314159%03d", 100+i)).Format()
		var cust wire.Customer
		callAPI(t, hc, c, token, http.MethodPost, "/api/v3/customers", map[string]any{
			"cpf": cpf, "cnpj": crashLoanCNPJ, "email": fmt.Sprintf("crash%d@example.com.br", i),
			"phone": "+5511987654321", "external_id": fmt.Sprintf("crash-loan-%d", i),
		}, http.StatusCreated, &cust)
		loans[i].customerID = cust.ID
	}
	waitEach(t, waitLong*2, "every customer to be pending_kyc", n, func(i int) (bool, string) {
		var cust wire.Customer
		callAPI(t, hc, c, token, http.MethodGet, "/api/v3/customers/"+loans[i].customerID, nil, http.StatusOK, &cust)
		return cust.Status == "pending_kyc", fmt.Sprintf("customer %s is %s", cust.ID, cust.Status)
	})
	for i, l := range loans {
		var cust wire.Customer
		callAPI(t, hc, c, token, http.MethodPost, "/api/v3/sandbox/customers/"+l.customerID+"/kyc-decision",
			map[string]string{"decision": "approve"}, http.StatusOK, &cust)
		if cust.Status != "active" {
			t.Fatalf("customer %s is %s after the sandbox approval, want active", cust.ID, cust.Status)
		}
		callAPI(t, hc, c, token, http.MethodPost, "/api/v3/customers/"+l.customerID+"/bank-account", map[string]any{
			"bank_account": map[string]string{"bank_id": "001", "kind": "checking", "branch": "1234",
				"number": fmt.Sprintf("5678%d", i), "digit": "0"}, // settles: not a magic 0000 or 9999 account
		}, http.StatusOK, nil)
	}
	waitEach(t, waitLong*2, "every customer's offer", n, func(i int) (bool, string) {
		var offers struct {
			Data []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"data"`
		}
		callAPI(t, hc, c, token, http.MethodGet, "/api/v3/customers/"+loans[i].customerID+"/credit-offers", nil, http.StatusOK, &offers)
		if len(offers.Data) == 0 {
			return false, fmt.Sprintf("customer %s has no offer", loans[i].customerID)
		}
		if o := offers.Data[0]; o.Status != "available" {
			t.Fatalf("customer %s's offer %s is %s, want available", loans[i].customerID, o.ID, o.Status)
		}
		loans[i].offerID = offers.Data[0].ID
		return true, ""
	})
	for i := range loans {
		l := &loans[i]
		callAPI(t, hc, c, token, http.MethodPost, "/api/v3/credit-offers/"+l.offerID+"/simulations",
			map[string]any{"requested_amount": 20000, "installment_count": 12}, http.StatusCreated, &l.sim)
		callAPI(t, hc, c, token, http.MethodPost, "/api/v3/loans", map[string]any{
			"credit_offer_id": l.offerID, "simulation_id": l.sim.ID, "installment_count": l.sim.InstallmentCount,
			"installment_amount": l.sim.InstallmentAmount, "first_due_date": l.sim.FirstDueDate,
		}, http.StatusCreated, &l.loan)
		if l.loan.Status != string(lending.LoanAwaitingSignatures) {
			t.Fatalf("new loan %+v, want awaiting_signatures", l.loan)
		}
	}
	return loans
}

// signAll signs every loan at once through the sandbox control (no body: every signer), checking that
// each ends processing.
func signAll(t *testing.T, hc *http.Client, c *serveProcess, token string, loans []crashLoan) {
	t.Helper()
	errs := make([]error, len(loans))
	var wg sync.WaitGroup
	for i, l := range loans {
		wg.Go(func() {
			errs[i] = func() error {
				req, err := http.NewRequest(http.MethodPost, c.url("/api/v3/sandbox/loans/"+l.loan.ID+"/sign"), nil)
				if err != nil {
					return err
				}
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := hc.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					return err
				}
				var got wire.Loan
				if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &got) != nil || got.Status != string(lending.LoanProcessing) {
					return fmt.Errorf("answered %d %s, want 200 and the loan processing", resp.StatusCode, b)
				}
				return nil
			}()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sign loan %s: %v", loans[i].loan.ID, err)
		}
	}
}

// waitEach waits until done holds for each of 0..n-1 in turn, failing t after limit. An item that holds
// is not asked about again, so each poll asks about the first outstanding item only (and those after it
// while they hold): the polls stay well within the API's rate limit.
func waitEach(t *testing.T, limit time.Duration, what string, n int, done func(i int) (bool, string)) {
	t.Helper()
	next := 0
	pollUntil(t, limit, what, func() (bool, string) {
		for ; next < n; next++ {
			if ok, why := done(next); !ok {
				return false, why
			}
		}
		return true, ""
	})
}

// countTransfers returns how many Pix transfers the sandbox rail's ledger has for the loans.
func countTransfers(ctx context.Context, st *store.Store, loans []crashLoan) (int, error) {
	total := 0
	for _, l := range loans {
		n, err := st.CountPixTransfers(ctx, l.loan.ID)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// disburseJobStates counts River's disbursement jobs by state.
func disburseJobStates(ctx context.Context, st *store.Store) (map[string]int, error) {
	rows, err := st.WriterDB().QueryContext(ctx, `SELECT state, COUNT(*) FROM river_job WHERE kind = 'disburse' GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		out[state] = n
	}
	return out, rows.Err()
}

// loanEventCounts counts the recorded events of type typ per loan id (a loan event's data has the loan's
// id). The store has no query for it, so it reads the events table directly.
func loanEventCounts(ctx context.Context, db *sql.DB, typ string) (map[string]int, error) {
	if strings.ContainsAny(typ, `'\`) {
		return nil, fmt.Errorf("event type %q", typ)
	}
	// The type is inlined: placeholders differ between SQLite (?) and PostgreSQL ($1).
	rows, err := db.QueryContext(ctx, `SELECT data FROM events WHERE type = '`+typ+`'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var d struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(data), &d); err != nil || d.ID == "" {
			return nil, errors.Join(fmt.Errorf("%s event data %s has no loan id", typ, data), err)
		}
		out[d.ID]++
	}
	return out, rows.Err()
}

// crashCents parses an amount in reais as the API writes it ("0" included).
func crashCents(t *testing.T, n json.Number) finmath.Cents {
	t.Helper()
	if n == "0" {
		return 0
	}
	c, err := lending.ParseAmount("amount", n)
	if err != nil {
		t.Fatalf("amount %q: %v", n, err)
	}
	return c
}
