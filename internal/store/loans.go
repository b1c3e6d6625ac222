package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
)

// The JSON columns of loans and sandbox_pix_transfers spell their own keys (as credit.go explains), and
// keep instants as microseconds like every column does. Where a domain type cannot be converted to its
// document directly (a nested struct, or instants stored differently), a shape type with exactly the
// domain's fields is converted to instead, so that a field added to or renamed in the domain still
// breaks the build here until the store learns it.

// signerShape has the fields of lending.Signer.
type signerShape struct {
	CPF                           lending.CPF
	Name                          string
	Role                          lending.SubjectType
	Email                         string
	SignedAt                      *time.Time
	IP, UserAgent, DocumentSHA256 string
}

// signerDoc is the stored form of a lending.Signer (an element of loans.signers).
type signerDoc struct {
	CPF            string `json:"cpf"`
	Name           string `json:"name"`
	Role           string `json:"role"`
	Email          string `json:"email"`
	SignedAt       *int64 `json:"signed_at"` // microseconds since the epoch
	IP             string `json:"ip"`
	UserAgent      string `json:"user_agent"`
	DocumentSHA256 string `json:"document_sha256"`
}

// signersValue is the signers column: the JSON array of ss ("null" for a nil slice, so that nil and
// empty read back as they were).
func signersValue(ss []lending.Signer) (string, error) {
	var docs []signerDoc
	if ss != nil {
		docs = make([]signerDoc, len(ss))
	}
	for i, s := range ss {
		sh := signerShape(s)
		d := signerDoc{CPF: string(sh.CPF), Name: sh.Name, Role: string(sh.Role), Email: sh.Email, IP: sh.IP,
			UserAgent: sh.UserAgent, DocumentSHA256: sh.DocumentSHA256}
		if sh.SignedAt != nil {
			us := toMicros(*sh.SignedAt)
			d.SignedAt = &us
		}
		docs[i] = d
	}
	b, err := json.Marshal(docs)
	if err != nil {
		return "", fmt.Errorf("store: encode signers: %w", err)
	}
	return string(b), nil
}

func signersFrom(col string) ([]lending.Signer, error) {
	var docs []signerDoc
	if err := json.Unmarshal([]byte(col), &docs); err != nil {
		return nil, err
	}
	if docs == nil {
		return nil, nil
	}
	out := make([]lending.Signer, len(docs))
	for i, d := range docs {
		sh := signerShape{CPF: lending.CPF(d.CPF), Name: d.Name, Role: lending.SubjectType(d.Role), Email: d.Email, IP: d.IP,
			UserAgent: d.UserAgent, DocumentSHA256: d.DocumentSHA256}
		if d.SignedAt != nil {
			t := fromMicros(*d.SignedAt)
			sh.SignedAt = &t
		}
		out[i] = lending.Signer(sh)
	}
	return out, nil
}

// bankAccountShape has the fields of lending.BankAccount.
type bankAccountShape struct {
	ID                    string
	Scope                 lending.Scope
	CustomerID            string
	BankID, BankName      string
	Kind                  lending.BankAccountKind
	Branch, Number, Digit string
	CreatedAt, UpdatedAt  time.Time
}

// bankAccountDoc is the stored form of a lending.BankAccount snapshot (loans.account and
// sandbox_pix_transfers.account).
type bankAccountDoc struct {
	ID          string `json:"id"`
	PartnerID   string `json:"partner_id"`
	Environment string `json:"environment"`
	CustomerID  string `json:"customer_id"`
	BankID      string `json:"bank_id"`
	BankName    string `json:"bank_name"`
	Kind        string `json:"kind"`
	Branch      string `json:"branch"`
	Number      string `json:"number"`
	Digit       string `json:"digit"`
	CreatedAt   int64  `json:"created_at"` // microseconds since the epoch
	UpdatedAt   int64  `json:"updated_at"`
}

func accountValue(a lending.BankAccount) (string, error) {
	sh := bankAccountShape(a)
	b, err := json.Marshal(bankAccountDoc{ID: sh.ID, PartnerID: sh.Scope.PartnerID, Environment: string(sh.Scope.Environment),
		CustomerID: sh.CustomerID, BankID: sh.BankID, BankName: sh.BankName, Kind: string(sh.Kind), Branch: sh.Branch,
		Number: sh.Number, Digit: sh.Digit, CreatedAt: toMicros(sh.CreatedAt), UpdatedAt: toMicros(sh.UpdatedAt)})
	if err != nil {
		return "", fmt.Errorf("store: encode bank account: %w", err)
	}
	return string(b), nil
}

func accountFrom(col string) (lending.BankAccount, error) {
	var d bankAccountDoc
	if err := json.Unmarshal([]byte(col), &d); err != nil {
		return lending.BankAccount{}, err
	}
	return lending.BankAccount(bankAccountShape{ID: d.ID, Scope: lending.Scope{PartnerID: d.PartnerID,
		Environment: lending.Environment(d.Environment)}, CustomerID: d.CustomerID, BankID: d.BankID, BankName: d.BankName,
		Kind: lending.BankAccountKind(d.Kind), Branch: d.Branch, Number: d.Number, Digit: d.Digit,
		CreatedAt: fromMicros(d.CreatedAt), UpdatedAt: fromMicros(d.UpdatedAt)}), nil
}

// loanFailureDoc is the stored form of a lending.LoanFailure (loans.failure).
type loanFailureDoc struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func failureValue(f *lending.LoanFailure) (sql.NullString, error) {
	if f == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(loanFailureDoc(*f))
	if err != nil {
		return sql.NullString{}, fmt.Errorf("store: encode loan failure: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// emptyAsNull stores "" as NULL, for optional columns that must stay unique where set.
func emptyAsNull(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// NextCCBNumber returns the next CCB number of year: 1 for its first loan, then 2, 3… Numbers are
// gap-free among committed transactions: the counter's increment commits or rolls back with tx, and a
// concurrent transaction numbering the same year waits for tx to end (the counter row's lock on
// PostgreSQL; SQLite's write transactions are serialized already). A non-positive year is an error;
// other errors are the database's.
func (tx *Tx) NextCCBNumber(ctx context.Context, year int) (int, error) {
	if year <= 0 {
		return 0, fmt.Errorf("store: CCB year %d", year)
	}
	var n int
	err := tx.conn().queryRow(ctx, `INSERT INTO ccb_counters (year, last) VALUES (?, 1)
		ON CONFLICT (year) DO UPDATE SET last = ccb_counters.last + 1
		RETURNING last`, year).Scan(&n)
	return n, err
}

const loanColumns = `id, partner_id, environment, customer_id, credit_offer_id, simulation_id, status, requested, principal,
	iof, total, monthly_rate, annual_rate, monthly_cet, annual_cet, installment_count, installment_amount, first_due_date,
	ccb_number, ccb_key, ccb_sha256, signing_token, signers, sign_by, account, disbursement_e2e, disbursement_method,
	disbursed_at, failure, created_at, updated_at`

func scanLoan(r scanner) (lending.Loan, error) {
	var l lending.Loan
	var env, status, signers, account string
	var signingToken, e2e, failure sql.NullString
	var disbursed sql.NullInt64
	var signBy, created, updated int64
	err := r.Scan(&l.ID, &l.Scope.PartnerID, &env, &l.CustomerID, &l.CreditOfferID, &l.SimulationID, &status, &l.Requested,
		&l.Principal, &l.IOF, &l.Total, &l.MonthlyRate, &l.AnnualRate, &l.MonthlyCET, &l.AnnualCET, &l.InstallmentCount,
		&l.InstallmentAmount, &l.FirstDueDate, &l.CCBNumber, &l.CCBKey, &l.CCBSHA256, &signingToken, &signers, &signBy,
		&account, &e2e, &l.DisbursementMethod, &disbursed, &failure, &created, &updated)
	if err != nil {
		return l, err
	}
	l.Scope.Environment, l.Status = lending.Environment(env), lending.LoanStatus(status)
	l.SigningToken, l.DisbursementE2E = signingToken.String, e2e.String
	if l.Signers, err = signersFrom(signers); err != nil {
		return l, fmt.Errorf("store: loan %s: decode signers: %w", l.ID, err)
	}
	if l.Account, err = accountFrom(account); err != nil {
		return l, fmt.Errorf("store: loan %s: decode account: %w", l.ID, err)
	}
	if failure.Valid {
		var d loanFailureDoc
		if err := json.Unmarshal([]byte(failure.String), &d); err != nil {
			return l, fmt.Errorf("store: loan %s: decode failure: %w", l.ID, err)
		}
		f := lending.LoanFailure(d)
		l.Failure = &f
	}
	l.SignBy, l.DisbursedAt = fromMicros(signBy), fromNullMicros(disbursed)
	l.CreatedAt, l.UpdatedAt = fromMicros(created), fromMicros(updated)
	return l, nil
}

func loanNotFound(id string) error {
	return lending.Errorf(lending.CodeLoanNotFound, "no loan %q", id)
}

// loanJSON is the encoded JSON columns of a loan.
type loanJSON struct {
	signers, account string
	failure          sql.NullString
}

func encodeLoanJSON(l lending.Loan) (loanJSON, error) {
	var j loanJSON
	var err error
	if j.signers, err = signersValue(l.Signers); err != nil {
		return j, err
	}
	if j.account, err = accountValue(l.Account); err != nil {
		return j, err
	}
	j.failure, err = failureValue(l.Failure)
	return j, err
}

// InsertLoan inserts l. Each offer holds at most one loan that is not cancelled: when the offer already
// has one (committed, or inserted by a concurrent transaction that then commits, which this one waits
// for), it inserts nothing and returns a CodeOfferAlreadyAccepted error. An empty signing token or
// disbursement e2e is stored as NULL. Its customer, offer and simulation must exist (else a foreign-key
// error); a taken id, CCB number, signing token or e2e, or an unknown status, fails too.
func (tx *Tx) InsertLoan(ctx context.Context, l lending.Loan) error {
	j, err := encodeLoanJSON(l)
	if err != nil {
		return err
	}
	// The conflict target is the partial unique index loans_one_per_offer: only a second live loan on
	// the offer is skipped; every other unique violation stays an error. Skipping instead of failing
	// keeps a PostgreSQL transaction usable and needs no parsing of driver errors.
	res, err := tx.conn().exec(ctx, `INSERT INTO loans (`+loanColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (credit_offer_id) WHERE status <> 'cancelled' DO NOTHING`,
		l.ID, l.Scope.PartnerID, string(l.Scope.Environment), l.CustomerID, l.CreditOfferID, l.SimulationID, string(l.Status),
		int64(l.Requested), int64(l.Principal), int64(l.IOF), int64(l.Total), l.MonthlyRate, l.AnnualRate, l.MonthlyCET,
		l.AnnualCET, l.InstallmentCount, int64(l.InstallmentAmount), l.FirstDueDate, l.CCBNumber, l.CCBKey, l.CCBSHA256,
		emptyAsNull(l.SigningToken), j.signers, toMicros(l.SignBy), j.account, emptyAsNull(l.DisbursementE2E),
		l.DisbursementMethod, toNullMicros(l.DisbursedAt), j.failure, toMicros(l.CreatedAt), toMicros(l.UpdatedAt))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return lending.Errorf(lending.CodeOfferAlreadyAccepted,
			"credit offer %s was already accepted by a loan; each offer is accepted once", l.CreditOfferID)
	}
	return nil
}

func loanInScope(ctx context.Context, c conn, scope lending.Scope, id, suffix string) (lending.Loan, error) {
	return rowInScope(ctx, c, `SELECT `+loanColumns+` FROM loans`, "id", scope, id, suffix, scanLoan, loanNotFound)
}

// Loan returns loan id of scope, or a CodeLoanNotFound error when it does not exist there (whether or
// not it exists in another scope). A stored JSON column that does not decode is an error.
func (s *Store) Loan(ctx context.Context, scope lending.Scope, id string) (lending.Loan, error) {
	return loanInScope(ctx, s.reader(), scope, id, "")
}

// LoanForUpdate returns loan id of scope locked until tx ends (FOR UPDATE on PostgreSQL; SQLite's write
// transaction is exclusive already), or a CodeLoanNotFound error when it does not exist there.
func (tx *Tx) LoanForUpdate(ctx context.Context, scope lending.Scope, id string) (lending.Loan, error) {
	return loanInScope(ctx, tx.conn(), scope, id, tx.s.dialect.forUpdate())
}

// LoanByIDForUpdate returns loan id in whatever scope it is, locked until tx ends, or a CodeLoanNotFound
// error. It serves background jobs, which name loans by id alone.
func (tx *Tx) LoanByIDForUpdate(ctx context.Context, id string) (lending.Loan, error) {
	l, err := scanLoan(tx.conn().queryRow(ctx, `SELECT `+loanColumns+` FROM loans WHERE id = ?`+tx.s.dialect.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, loanNotFound(id)
	}
	return l, err
}

// LoanBySigningToken returns the loan, in whatever scope it is, whose signing token is token, or a
// CodeSigningSessionInvalid error when no loan has it (an empty token never matches: a cleared token is
// no token).
func (s *Store) LoanBySigningToken(ctx context.Context, token string) (lending.Loan, error) {
	invalid := lending.Errorf(lending.CodeSigningSessionInvalid, "the signing link is invalid or no longer in use")
	if token == "" {
		return lending.Loan{}, invalid
	}
	l, err := scanLoan(s.reader().queryRow(ctx, `SELECT `+loanColumns+` FROM loans WHERE signing_token = ?`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return lending.Loan{}, invalid
	}
	return l, err
}

// SaveLoan stores every mutable column of l (status, ccb_number, ccb_key, ccb_sha256, signing_token,
// signers, sign_by, account, disbursement_e2e, disbursement_method, disbursed_at, failure and
// updated_at) on the row l.ID of l.Scope; the id, scope, customer, offer, simulation, terms and
// created_at never change. It returns a CodeLoanNotFound error when no such row exists in l.Scope. An
// unknown status, a taken CCB number, signing token or e2e, or reviving a cancelled loan on an offer
// another live loan holds, fails with the database's error.
func (tx *Tx) SaveLoan(ctx context.Context, l lending.Loan) error {
	j, err := encodeLoanJSON(l)
	if err != nil {
		return err
	}
	res, err := tx.conn().exec(ctx, `UPDATE loans SET status = ?, ccb_number = ?, ccb_key = ?, ccb_sha256 = ?,
		signing_token = ?, signers = ?, sign_by = ?, account = ?, disbursement_e2e = ?, disbursement_method = ?,
		disbursed_at = ?, failure = ?, updated_at = ?
		WHERE id = ? AND partner_id = ? AND environment = ?`,
		string(l.Status), l.CCBNumber, l.CCBKey, l.CCBSHA256, emptyAsNull(l.SigningToken), j.signers, toMicros(l.SignBy),
		j.account, emptyAsNull(l.DisbursementE2E), l.DisbursementMethod, toNullMicros(l.DisbursedAt), j.failure,
		toMicros(l.UpdatedAt), l.ID, l.Scope.PartnerID, string(l.Scope.Environment))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return loanNotFound(l.ID)
	}
	return nil
}

// DueUnsignedLoans returns up to limit loans, across every scope, that await signatures with sign_by at
// or before their scope's now: realNow for live, realNow plus the partner's sandbox clock offset for
// test. The oldest sign_by comes first (then by id), each locked until tx ends; on PostgreSQL a loan
// another transaction has locked is skipped (SKIP LOCKED), to be found by a later sweep. A non-positive
// limit is an error.
func (tx *Tx) DueUnsignedLoans(ctx context.Context, realNow time.Time, limit int) ([]lending.Loan, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: limit %d", limit)
	}
	return queryAll(ctx, tx.conn(), scanLoan, fmt.Sprintf(`SELECT %s FROM loans l
		WHERE l.status = ? AND l.sign_by <= ? + CASE WHEN l.environment = 'test' THEN
			COALESCE((SELECT c.offset_us FROM sandbox_clocks c WHERE c.partner_id = l.partner_id), 0) ELSE 0 END
		ORDER BY l.sign_by, l.id LIMIT %d%s`, prefixed("l.", loanColumns), limit, forUpdateSkipLocked(tx.s.dialect)),
		string(lending.LoanAwaitingSignatures), toMicros(realNow))
}

// ProcessingLoans returns the ids of up to limit loans in processing, across every scope, the longest
// unchanged (oldest updated_at, then id) first: what a restarting process requeues the disbursement of.
// It locks nothing. A non-positive limit is an error.
func (tx *Tx) ProcessingLoans(ctx context.Context, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: limit %d", limit)
	}
	return queryAll(ctx, tx.conn(), func(r scanner) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	}, fmt.Sprintf(`SELECT id FROM loans WHERE status = ? ORDER BY updated_at, id LIMIT %d`, limit),
		string(lending.LoanProcessing))
}

const installmentColumns = `id, partner_id, environment, loan_id, number, due_date, principal, interest, fine, mora,
	mora_settled, mora_since, principal_paid, interest_paid, charges_paid, status, days_overdue, mora_through, paid_at,
	created_at, updated_at`

// installmentColumnCount is how many columns installmentColumns names.
var installmentColumnCount = strings.Count(installmentColumns, ",") + 1

func scanInstallment(r scanner) (lending.Installment, error) {
	var in lending.Installment
	var env, status string
	var moraThrough, moraSince sql.NullString
	var paid sql.NullInt64
	var created, updated int64
	err := r.Scan(&in.ID, &in.Scope.PartnerID, &env, &in.LoanID, &in.Number, &in.DueDate, &in.Principal, &in.Interest,
		&in.Fine, &in.Mora, &in.MoraSettled, &moraSince, &in.PrincipalPaid, &in.InterestPaid, &in.ChargesPaid, &status,
		&in.DaysOverdue, &moraThrough, &paid, &created, &updated)
	in.Scope.Environment, in.Status, in.MoraThrough = lending.Environment(env), lending.InstallmentStatus(status), moraThrough.String
	in.MoraSince = moraSince.String
	in.PaidAt, in.CreatedAt, in.UpdatedAt = fromNullMicros(paid), fromMicros(created), fromMicros(updated)
	return in, err
}

func installmentArgs(in lending.Installment) []any {
	return []any{in.ID, in.Scope.PartnerID, string(in.Scope.Environment), in.LoanID, in.Number, in.DueDate,
		int64(in.Principal), int64(in.Interest), int64(in.Fine), int64(in.Mora), int64(in.MoraSettled),
		emptyAsNull(in.MoraSince), int64(in.PrincipalPaid),
		int64(in.InterestPaid), int64(in.ChargesPaid), string(in.Status), in.DaysOverdue, emptyAsNull(in.MoraThrough),
		toNullMicros(in.PaidAt), toMicros(in.CreatedAt), toMicros(in.UpdatedAt)}
}

// InsertInstallments inserts ins (none is no-op). An empty MoraThrough is stored as NULL. Their loans
// must exist (else a foreign-key error); a taken id, a number a loan already has, or an unknown status
// fails too, and then none of ins is inserted by this call.
func (tx *Tx) InsertInstallments(ctx context.Context, ins []lending.Installment) error {
	const chunk = 100 // rows per statement: well within both engines' limits on placeholders
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", installmentColumnCount), ", ") + ")"
	for start := 0; start < len(ins); start += chunk {
		part := ins[start:min(start+chunk, len(ins))]
		rows := make([]string, len(part))
		args := make([]any, 0, len(part)*installmentColumnCount)
		for i, in := range part {
			rows[i] = row
			args = append(args, installmentArgs(in)...)
		}
		if _, err := tx.conn().exec(ctx, `INSERT INTO installments (`+installmentColumns+`) VALUES `+
			strings.Join(rows, ", "), args...); err != nil {
			return err
		}
	}
	return nil
}

// InstallmentsForUpdate returns every installment of loan loanID (in whatever scope it is) in number
// order, each locked until tx ends; none (an empty slice) when the loan has none.
func (tx *Tx) InstallmentsForUpdate(ctx context.Context, loanID string) ([]lending.Installment, error) {
	return queryAll(ctx, tx.conn(), scanInstallment, `SELECT `+installmentColumns+` FROM installments
		WHERE loan_id = ? ORDER BY number`+tx.s.dialect.forUpdate(), loanID)
}

// SaveInstallment stores the mutable columns of in (fine, mora, mora_settled, mora_since, principal_paid, interest_paid,
// charges_paid, status, days_overdue, mora_through, paid_at and updated_at) on the row in.ID of
// in.Scope; its loan, number, due date, principal, interest and created_at never change. It returns
// ErrNotFound when no such row exists in in.Scope; an unknown status fails too.
func (tx *Tx) SaveInstallment(ctx context.Context, in lending.Installment) error {
	res, err := tx.conn().exec(ctx, `UPDATE installments SET fine = ?, mora = ?, mora_settled = ?, mora_since = ?,
		principal_paid = ?, interest_paid = ?, charges_paid = ?, status = ?, days_overdue = ?, mora_through = ?, paid_at = ?,
		updated_at = ? WHERE id = ? AND partner_id = ? AND environment = ?`,
		int64(in.Fine), int64(in.Mora), int64(in.MoraSettled), emptyAsNull(in.MoraSince), int64(in.PrincipalPaid), int64(in.InterestPaid), int64(in.ChargesPaid),
		string(in.Status), in.DaysOverdue, emptyAsNull(in.MoraThrough), toNullMicros(in.PaidAt), toMicros(in.UpdatedAt),
		in.ID, in.Scope.PartnerID, string(in.Scope.Environment))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: installment %q", ErrNotFound, in.ID)
	}
	return nil
}

// ListInstallments returns a page of the installments of loan loanID of scope in number order
// (descending with page.Descending), and whether more follow; none when the loan has none or is not in
// scope (read the loan first to tell an unknown loan apart). A page.StartingAfter that names no
// installment of this list is a CodeInvalidParameter error, and a non-positive page.Limit is an error.
func (s *Store) ListInstallments(ctx context.Context, scope lending.Scope, loanID string, page Page) ([]lending.Installment, bool, error) {
	return listPage(ctx, s.reader(), listSpec{
		table:      "installments",
		columns:    installmentColumns,
		where:      "loan_id = ? AND partner_id = ? AND environment = ?",
		args:       []any{loanID, scope.PartnerID, string(scope.Environment)},
		sortColumn: "number",
	}, page, scanInstallment)
}

// Installments returns every installment of loan loanID of scope in number order; none (an empty slice)
// when the loan has none or is not in scope.
func (s *Store) Installments(ctx context.Context, scope lending.Scope, loanID string) ([]lending.Installment, error) {
	return queryAll(ctx, s.reader(), scanInstallment, `SELECT `+installmentColumns+` FROM installments
		WHERE loan_id = ? AND partner_id = ? AND environment = ? ORDER BY number`,
		loanID, scope.PartnerID, string(scope.Environment))
}

// AccrualScope says which installments an arrears sweep covers, and what day it is for them.
type AccrualScope struct {
	// Today is the sweep's date, YYYY-MM-DD (in Brasília).
	Today string
	// PartnerID, when set, limits the sweep to that partner's test environment (a sandbox clock of its
	// own); "" means every scope except the test environments of the ExceptTestOf partners.
	PartnerID    string
	ExceptTestOf []string
}

// InstallmentsToAccrue returns up to limit installments that may owe late charges on a.Today: not paid,
// of active loans, due before a.Today, with mora not yet accrued through a.Today (mora_through NULL or
// before it), in the scopes a names; ordered by loan and number, each locked until tx ends. On
// PostgreSQL an installment another transaction has locked is skipped (SKIP LOCKED), to be found by a
// later sweep; the loans are not locked. A non-positive limit or an a.Today that is not a YYYY-MM-DD date
// is an error.
func (tx *Tx) InstallmentsToAccrue(ctx context.Context, a AccrualScope, limit int) ([]lending.Installment, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: limit %d", limit)
	}
	if _, err := time.Parse(time.DateOnly, a.Today); err != nil {
		return nil, fmt.Errorf("store: accrual date %q: %w", a.Today, err)
	}
	where := `i.status IN (?, ?, ?) AND l.status = ? AND i.due_date < ? AND (i.mora_through IS NULL OR i.mora_through < ?)`
	args := []any{string(lending.InstallmentPending), string(lending.InstallmentOverdue), string(lending.InstallmentPartiallyPaid),
		string(lending.LoanActive), a.Today, a.Today}
	switch {
	case a.PartnerID != "":
		where += ` AND i.partner_id = ? AND i.environment = ?`
		args = append(args, a.PartnerID, string(lending.EnvTest))
	case len(a.ExceptTestOf) > 0:
		where += ` AND NOT (i.environment = ? AND i.partner_id IN (` +
			strings.TrimSuffix(strings.Repeat("?, ", len(a.ExceptTestOf)), ", ") + `))`
		args = append(args, string(lending.EnvTest))
		for _, p := range a.ExceptTestOf {
			args = append(args, p)
		}
	}
	lock := ""
	if s := tx.s.dialect.forUpdate(); s != "" {
		lock = s + " OF i SKIP LOCKED" // only the installments: the sweep changes no loan
	}
	return queryAll(ctx, tx.conn(), scanInstallment, fmt.Sprintf(`SELECT %s FROM installments i
		JOIN loans l ON l.id = i.loan_id
		WHERE %s ORDER BY i.loan_id, i.number LIMIT %d%s`, prefixed("i.", installmentColumns), where, limit, lock), args...)
}

const paymentColumns = `id, partner_id, environment, loan_id, amount, installment_number, paid_at`

func scanPayment(r scanner) (lending.Payment, error) {
	var p lending.Payment
	var env string
	var paid int64
	err := r.Scan(&p.ID, &p.Scope.PartnerID, &env, &p.LoanID, &p.Amount, &p.InstallmentNumber, &paid)
	p.Scope.Environment, p.PaidAt = lending.Environment(env), fromMicros(paid)
	return p, err
}

// InsertPayment records payment p. Its loan must exist (else a foreign-key error); a taken id fails too.
func (tx *Tx) InsertPayment(ctx context.Context, p lending.Payment) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO payments (`+paymentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Scope.PartnerID, string(p.Scope.Environment), p.LoanID, int64(p.Amount), p.InstallmentNumber, toMicros(p.PaidAt))
	return err
}

// Payments returns every payment of loan loanID of scope in the order received (paid_at, then id); none
// (an empty slice) when the loan has none or is not in scope.
func (s *Store) Payments(ctx context.Context, scope lending.Scope, loanID string) ([]lending.Payment, error) {
	return queryAll(ctx, s.reader(), scanPayment, `SELECT `+paymentColumns+` FROM payments
		WHERE loan_id = ? AND partner_id = ? AND environment = ? ORDER BY paid_at, id`,
		loanID, scope.PartnerID, string(scope.Environment))
}

// The states of a sandbox Pix transfer: pending until the rail settles or fails it, for good.
const (
	PixTransferPending = "pending"
	PixTransferSettled = "settled"
	PixTransferFailed  = "failed"
)

// PixTransfer is one transfer in the sandbox Pix rail's own ledger.
type PixTransfer struct {
	E2EID, LoanID        string
	Amount               finmath.Cents
	Account              lending.BankAccount
	Status               string
	FailureReason        string
	CreatedAt, UpdatedAt time.Time
}

// ErrPixTransferConflict is RecordPixTransfer's refusal of a transfer that contradicts the ledger: a loan
// that already has a transfer under another end-to-end id, or an end-to-end id already used for another
// loan. It must never happen: it is the guard that no loan is disbursed twice.
var ErrPixTransferConflict = errors.New("store: Pix transfer conflicts with the ledger")

const pixTransferColumns = `e2e_id, loan_id, amount, account, status, failure_reason, created_at, updated_at`

func scanPixTransfer(r scanner) (PixTransfer, error) {
	var t PixTransfer
	var account string
	var created, updated int64
	if err := r.Scan(&t.E2EID, &t.LoanID, &t.Amount, &account, &t.Status, &t.FailureReason, &created, &updated); err != nil {
		return t, err
	}
	var err error
	if t.Account, err = accountFrom(account); err != nil {
		return t, fmt.Errorf("store: Pix transfer %s: decode account: %w", t.E2EID, err)
	}
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return t, nil
}

func pixTransferByE2E(ctx context.Context, c conn, e2e string) (PixTransfer, error) {
	t, err := scanPixTransfer(c.queryRow(ctx, `SELECT `+pixTransferColumns+` FROM sandbox_pix_transfers WHERE e2e_id = ?`, e2e))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	return t, err
}

// RecordPixTransfer records transfer t (an empty t.Status is pending) unless the ledger has t.E2EID
// already, and returns the transfer stored under t.E2EID: t as stored, or the earlier one unchanged
// (asking twice for one transfer is idempotent; of concurrent calls exactly one inserts). It returns an
// ErrPixTransferConflict error when t.LoanID already has a transfer under another end-to-end id, or
// t.E2EID belongs to another loan. Empty ids are an error, and so is an unknown status.
func (s *Store) RecordPixTransfer(ctx context.Context, t PixTransfer) (PixTransfer, error) {
	if t.E2EID == "" || t.LoanID == "" {
		return PixTransfer{}, fmt.Errorf("store: Pix transfer needs an e2e id and a loan id (got %q, %q)", t.E2EID, t.LoanID)
	}
	if t.Status == "" {
		t.Status = PixTransferPending
	}
	account, err := accountValue(t.Account)
	if err != nil {
		return PixTransfer{}, err
	}
	var out PixTransfer
	err = s.InTx(ctx, func(tx *Tx) error {
		c := tx.conn()
		// No conflict target: a conflict on either e2e_id or loan_id inserts nothing. On PostgreSQL a
		// concurrent insert of the same e2e or loan makes this one wait for it, and once it has committed
		// the SELECT below (a new statement, so a new snapshot under READ COMMITTED) sees its row.
		_, err := c.exec(ctx, `INSERT INTO sandbox_pix_transfers (`+pixTransferColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`,
			t.E2EID, t.LoanID, int64(t.Amount), account, t.Status, t.FailureReason, toMicros(t.CreatedAt), toMicros(t.UpdatedAt))
		if err != nil {
			return err
		}
		out, err = pixTransferByE2E(ctx, c, t.E2EID)
		if errors.Is(err, ErrNotFound) {
			var other string
			if err := c.queryRow(ctx, `SELECT e2e_id FROM sandbox_pix_transfers WHERE loan_id = ?`, t.LoanID).Scan(&other); err != nil {
				return fmt.Errorf("store: Pix transfer %s was neither recorded nor found: %w", t.E2EID, err)
			}
			return fmt.Errorf("%w: loan %s already has transfer %s, not %s", ErrPixTransferConflict, t.LoanID, other, t.E2EID)
		}
		if err != nil {
			return err
		}
		if out.LoanID != t.LoanID {
			return fmt.Errorf("%w: transfer %s is loan %s's, not loan %s's", ErrPixTransferConflict, t.E2EID, out.LoanID, t.LoanID)
		}
		return nil
	})
	if err != nil {
		return PixTransfer{}, err
	}
	return out, nil
}

// PixTransfer returns the transfer with end-to-end id e2e, or ErrNotFound.
func (s *Store) PixTransfer(ctx context.Context, e2e string) (PixTransfer, error) {
	return pixTransferByE2E(ctx, s.reader(), e2e)
}

// SetPixTransferStatus settles (status "settled") or fails ("failed", with reason) the pending transfer
// e2e at now, and returns it. A transfer that is settled or failed already never changes: it is returned
// as it is, and so is the outcome it had. It returns ErrNotFound when no transfer has e2e; any other
// status is an error.
func (s *Store) SetPixTransferStatus(ctx context.Context, e2e, status, reason string, now time.Time) (PixTransfer, error) {
	if status != PixTransferSettled && status != PixTransferFailed {
		return PixTransfer{}, fmt.Errorf("store: a Pix transfer cannot be set to %q", status)
	}
	var out PixTransfer
	err := s.InTx(ctx, func(tx *Tx) error {
		c := tx.conn()
		if _, err := c.exec(ctx, `UPDATE sandbox_pix_transfers SET status = ?, failure_reason = ?, updated_at = ?
			WHERE e2e_id = ? AND status = ?`, status, reason, toMicros(now), e2e, PixTransferPending); err != nil {
			return err
		}
		var err error
		out, err = pixTransferByE2E(ctx, c, e2e)
		return err
	})
	return out, err
}

// CountPixTransfers returns how many transfers the ledger has for loan loanID: 0 or 1 (the guard against
// disbursing a loan twice), for tests and invariant checks.
func (s *Store) CountPixTransfers(ctx context.Context, loanID string) (int, error) {
	var n int
	err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM sandbox_pix_transfers WHERE loan_id = ?`, loanID).Scan(&n)
	return n, err
}
