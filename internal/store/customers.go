package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

const customerColumns = `id, partner_id, environment, external_id, name, email, phone, cpf, cnpj, trading_name,
	legal_name, legal_nature, status, kyc, denial_reason, created_at, updated_at`

func scanCustomer(r scanner) (lending.Customer, error) {
	var c lending.Customer
	var env, cpf, cnpj, nature, status string
	var externalID, name, tradingName, kyc sql.NullString
	var created, updated int64
	err := r.Scan(&c.ID, &c.Scope.PartnerID, &env, &externalID, &name, &c.Email, &c.Phone, &cpf, &cnpj, &tradingName,
		&c.LegalName, &nature, &status, &kyc, &c.DenialReason, &created, &updated)
	if err != nil {
		return c, err
	}
	c.Scope.Environment, c.CPF, c.CNPJ = lending.Environment(env), lending.CPF(cpf), lending.CNPJ(cnpj)
	c.LegalNature, c.Status = lending.LegalNature(nature), lending.CustomerStatus(status)
	c.ExternalID, c.Name, c.TradingName = fromNullString(externalID), fromNullString(name), fromNullString(tradingName)
	if kyc.Valid {
		if c.KYC, err = decodedKYC.decode(kyc.String); err != nil {
			return c, fmt.Errorf("store: customer %s: decode kyc: %w", c.ID, err)
		}
		if c.KYC == nil { // stored as "null": keep the non-nil/nil distinction the column's NULL carries
			c.KYC = []lending.Requirement{}
		}
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

// kycValue is the kyc column of requirements: NULL for nil, else their JSON.
func kycValue(reqs []lending.Requirement) (sql.NullString, error) {
	if reqs == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(reqs)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("store: encode kyc: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func toNullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

func fromNullString(n sql.NullString) *string {
	if !n.Valid {
		return nil
	}
	s := n.String
	return &s
}

func customerNotFound(id string) error {
	return lending.Errorf(lending.CodeCustomerNotFound, "no customer %q", id)
}

// InsertCustomer inserts c and returns nil, nil. When a customer with the same CPF and CNPJ already exists
// in c's scope, it inserts nothing and returns that customer instead (the caller decides, with
// lending.Customer.SameRegistration, what the repeated registration means). It is race-safe: of
// concurrent inserts of one pair exactly one row results, and every other caller gets it back. Other
// failures (a partner that does not exist, an id already taken) are returned as errors.
func (tx *Tx) InsertCustomer(ctx context.Context, c lending.Customer) (existing *lending.Customer, err error) {
	kyc, err := kycValue(c.KYC)
	if err != nil {
		return nil, err
	}
	q := tx.conn()
	// On PostgreSQL a conflicting insert of another transaction makes this one wait for it to end; once it
	// has committed, the SELECT below (a new statement, so a new snapshot under READ COMMITTED) sees its row.
	res, err := q.exec(ctx, `INSERT INTO customers (`+customerColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (partner_id, environment, cpf, cnpj) DO NOTHING`,
		c.ID, c.Scope.PartnerID, string(c.Scope.Environment), toNullString(c.ExternalID), toNullString(c.Name),
		c.Email, c.Phone, string(c.CPF), string(c.CNPJ), toNullString(c.TradingName), c.LegalName,
		string(c.LegalNature), string(c.Status), kyc, c.DenialReason, toMicros(c.CreatedAt), toMicros(c.UpdatedAt))
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	if n == 1 {
		return nil, nil
	}
	other, err := scanCustomer(q.queryRow(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE partner_id = ? AND environment = ? AND cpf = ? AND cnpj = ?`,
		c.Scope.PartnerID, string(c.Scope.Environment), string(c.CPF), string(c.CNPJ)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: customer %s was neither inserted nor found", c.ID)
	}
	if err != nil {
		return nil, err
	}
	return &other, nil
}

func customerInScope(ctx context.Context, c conn, scope lending.Scope, id, suffix string) (lending.Customer, error) {
	return rowInScope(ctx, c, `SELECT `+customerColumns+` FROM customers`, "id", scope, id, suffix, scanCustomer, customerNotFound)
}

// Customer returns customer id of scope, or a CodeCustomerNotFound error when it does not exist there
// (whether or not it exists in another scope).
func (s *Store) Customer(ctx context.Context, scope lending.Scope, id string) (lending.Customer, error) {
	return customerInScope(ctx, s.reader(), scope, id, "")
}

// CustomerForUpdate returns customer id of scope locked until tx ends (FOR UPDATE on PostgreSQL; SQLite's
// write transaction is exclusive already), or a CodeCustomerNotFound error when it does not exist there.
func (tx *Tx) CustomerForUpdate(ctx context.Context, scope lending.Scope, id string) (lending.Customer, error) {
	return customerInScope(ctx, tx.conn(), scope, id, tx.s.dialect.forUpdate())
}

// CustomerByIDForUpdate returns customer id in whatever scope it is, locked until tx ends, or a
// CodeCustomerNotFound error. It serves background jobs, which name customers by id alone.
func (tx *Tx) CustomerByIDForUpdate(ctx context.Context, id string) (lending.Customer, error) {
	c, err := scanCustomer(tx.conn().queryRow(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = ?`+
		tx.s.dialect.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, customerNotFound(id)
	}
	return c, err
}

// SaveCustomer stores every mutable column of c (external_id, name, email, phone, trading_name,
// legal_name, legal_nature, status, kyc, denial_reason and updated_at) on the row c.ID of c.Scope; the
// id, scope, CPF, CNPJ and created_at never change. It returns a CodeCustomerNotFound error when no such
// row exists in c.Scope.
func (tx *Tx) SaveCustomer(ctx context.Context, c lending.Customer) error {
	kyc, err := kycValue(c.KYC)
	if err != nil {
		return err
	}
	res, err := tx.conn().exec(ctx, `UPDATE customers SET external_id = ?, name = ?, email = ?, phone = ?,
		trading_name = ?, legal_name = ?, legal_nature = ?, status = ?, kyc = ?, denial_reason = ?, updated_at = ?
		WHERE id = ? AND partner_id = ? AND environment = ?`,
		toNullString(c.ExternalID), toNullString(c.Name), c.Email, c.Phone, toNullString(c.TradingName), c.LegalName,
		string(c.LegalNature), string(c.Status), kyc, c.DenialReason, toMicros(c.UpdatedAt),
		c.ID, c.Scope.PartnerID, string(c.Scope.Environment))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return customerNotFound(c.ID)
	}
	return nil
}

// CustomerFilter narrows ListCustomers; a zero field does not filter.
type CustomerFilter struct {
	CPF        lending.CPF
	ExternalID string
	Status     lending.CustomerStatus
	// SortByUpdatedAt orders the list by updated_at instead of created_at (then by id either way).
	SortByUpdatedAt bool
}

// ListCustomers returns a page of scope's customers that pass f, ordered by created_at (or updated_at,
// with f.SortByUpdatedAt) and id, ascending unless page.Descending, and whether more follow. A
// page.StartingAfter that names no customer of this filtered list is a CodeInvalidParameter error.
func (s *Store) ListCustomers(ctx context.Context, scope lending.Scope, f CustomerFilter, page Page) ([]lending.Customer, bool, error) {
	spec := listSpec{
		table:      "customers",
		columns:    customerColumns,
		where:      "partner_id = ? AND environment = ?",
		args:       []any{scope.PartnerID, string(scope.Environment)},
		sortColumn: "created_at",
	}
	if f.SortByUpdatedAt {
		spec.sortColumn = "updated_at"
	}
	if f.CPF != "" {
		spec.where += " AND cpf = ?"
		spec.args = append(spec.args, string(f.CPF))
	}
	if f.ExternalID != "" {
		spec.where += " AND external_id = ?"
		spec.args = append(spec.args, f.ExternalID)
	}
	if f.Status != "" {
		spec.where += " AND status = ?"
		spec.args = append(spec.args, string(f.Status))
	}
	return listPage(ctx, s.reader(), spec, page, scanCustomer)
}

// CustomersInStatus returns up to limit customers in status across every partner, in env or, when env
// is "", in both environments, the longest unchanged (oldest updated_at, then id) first. It serves the
// operator CLI. A non-positive limit is an error.
func (s *Store) CustomersInStatus(ctx context.Context, env lending.Environment, status lending.CustomerStatus, limit int) ([]lending.Customer, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: limit %d", limit)
	}
	where, args := "status = ?", []any{string(status)}
	if env != "" {
		where += " AND environment = ?"
		args = append(args, string(env))
	}
	return queryAll(ctx, s.reader(), scanCustomer, fmt.Sprintf(`SELECT %s FROM customers WHERE %s
		ORDER BY updated_at, id LIMIT %d`, customerColumns, where, limit), args...)
}

const kycFileColumns = `id, partner_id, environment, customer_id, requirement_id, evidence_type, attachment_type,
	blob_key, sha256, size, content_type, uploaded_at, superseded_at`

func scanKYCFile(r scanner) (lending.KYCFile, error) {
	var f lending.KYCFile
	var env string
	var uploaded int64
	var superseded sql.NullInt64
	err := r.Scan(&f.ID, &f.Scope.PartnerID, &env, &f.CustomerID, &f.RequirementID, &f.EvidenceType, &f.AttachmentType,
		&f.BlobKey, &f.SHA256, &f.Size, &f.ContentType, &uploaded, &superseded)
	f.Scope.Environment = lending.Environment(env)
	f.UploadedAt, f.SupersededAt = fromMicros(uploaded), fromNullMicros(superseded)
	return f, err
}

// InsertKYCFile records the upload f; its customer must exist.
func (tx *Tx) InsertKYCFile(ctx context.Context, f lending.KYCFile) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO kyc_files (`+kycFileColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Scope.PartnerID, string(f.Scope.Environment), f.CustomerID, f.RequirementID, f.EvidenceType,
		f.AttachmentType, f.BlobKey, f.SHA256, f.Size, f.ContentType, toMicros(f.UploadedAt), toNullMicros(f.SupersededAt))
	return err
}

// SupersedeKYCFile marks file id superseded at at, unless it is superseded already (then the first
// instant stays and it returns nil). It returns ErrNotFound when no file has id.
func (tx *Tx) SupersedeKYCFile(ctx context.Context, id string, at time.Time) error {
	c := tx.conn()
	res, err := c.exec(ctx, `UPDATE kyc_files SET superseded_at = ? WHERE id = ? AND superseded_at IS NULL`, toMicros(at), id)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var found int
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM kyc_files WHERE id = ?`, id).Scan(&found); err != nil {
		return err
	}
	if found == 0 {
		return ErrNotFound
	}
	return nil
}

// KYCFiles returns every file of customer customerID of scope, superseded ones included, in upload order
// (uploaded_at, then id); none (an empty slice) when the customer has none or is not in scope.
func (s *Store) KYCFiles(ctx context.Context, scope lending.Scope, customerID string) ([]lending.KYCFile, error) {
	return queryAll(ctx, s.reader(), scanKYCFile, `SELECT `+kycFileColumns+` FROM kyc_files
		WHERE customer_id = ? AND partner_id = ? AND environment = ? ORDER BY uploaded_at, id`,
		customerID, scope.PartnerID, string(scope.Environment))
}

// KYCFile returns file id of scope, or ErrNotFound when it does not exist there.
func (s *Store) KYCFile(ctx context.Context, scope lending.Scope, id string) (lending.KYCFile, error) {
	f, err := scanKYCFile(s.reader().queryRow(ctx, `SELECT `+kycFileColumns+` FROM kyc_files
		WHERE id = ? AND partner_id = ? AND environment = ?`, id, scope.PartnerID, string(scope.Environment)))
	if errors.Is(err, sql.ErrNoRows) {
		return f, ErrNotFound
	}
	return f, err
}

const bankAccountColumns = `customer_id, id, partner_id, environment, bank_id, bank_name, kind, branch, number, digit,
	created_at, updated_at`

func scanBankAccount(r scanner) (lending.BankAccount, error) {
	var a lending.BankAccount
	var env, kind string
	var created, updated int64
	err := r.Scan(&a.CustomerID, &a.ID, &a.Scope.PartnerID, &env, &a.BankID, &a.BankName, &kind, &a.Branch, &a.Number,
		&a.Digit, &created, &updated)
	a.Scope.Environment, a.Kind = lending.Environment(env), lending.BankAccountKind(kind)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return a, err
}

// UpsertBankAccount stores a as its customer's one account: it inserts it, or replaces every column of
// the account the customer has (its id and created_at included). The customer must exist.
func (tx *Tx) UpsertBankAccount(ctx context.Context, a lending.BankAccount) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO bank_accounts (`+bankAccountColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (customer_id) DO UPDATE SET id = excluded.id, partner_id = excluded.partner_id,
			environment = excluded.environment, bank_id = excluded.bank_id, bank_name = excluded.bank_name,
			kind = excluded.kind, branch = excluded.branch, number = excluded.number, digit = excluded.digit,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		a.CustomerID, a.ID, a.Scope.PartnerID, string(a.Scope.Environment), a.BankID, a.BankName, string(a.Kind),
		a.Branch, a.Number, a.Digit, toMicros(a.CreatedAt), toMicros(a.UpdatedAt))
	return err
}

func bankAccountInScope(ctx context.Context, c conn, scope lending.Scope, customerID, suffix string) (lending.BankAccount, error) {
	return rowInScope(ctx, c, `SELECT `+bankAccountColumns+` FROM bank_accounts`, "customer_id", scope, customerID, suffix, scanBankAccount, nil)
}

// BankAccount returns the account of customer customerID of scope, or a CodeBankAccountNotFound error
// when the customer has none there (or is not in scope).
func (s *Store) BankAccount(ctx context.Context, scope lending.Scope, customerID string) (lending.BankAccount, error) {
	a, err := bankAccountInScope(ctx, s.reader(), scope, customerID, "")
	if errors.Is(err, sql.ErrNoRows) {
		return a, lending.Errorf(lending.CodeBankAccountNotFound, "customer %q has no bank account", customerID)
	}
	return a, err
}

// BankAccountForUpdate returns the account of customer customerID of scope, locked until tx ends, or
// nil, nil when there is none (lock the customer first to keep one from appearing meanwhile).
func (tx *Tx) BankAccountForUpdate(ctx context.Context, scope lending.Scope, customerID string) (*lending.BankAccount, error) {
	a, err := bankAccountInScope(ctx, tx.conn(), scope, customerID, tx.s.dialect.forUpdate())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

const biometricsColumns = `id, partner_id, environment, customer_id, code_hash, expires_at, consumed_at, created_at`

func scanBiometricsSession(r scanner) (lending.BiometricsSession, error) {
	var b lending.BiometricsSession
	var env string
	var expires, created int64
	var consumed sql.NullInt64
	err := r.Scan(&b.ID, &b.Scope.PartnerID, &env, &b.CustomerID, &b.CodeHash, &expires, &consumed, &created)
	b.Scope.Environment = lending.Environment(env)
	b.ExpiresAt, b.ConsumedAt, b.CreatedAt = fromMicros(expires), fromNullMicros(consumed), fromMicros(created)
	return b, err
}

// InsertBiometricsSession records session b; its customer must exist and its code hash must be new.
func (tx *Tx) InsertBiometricsSession(ctx context.Context, b lending.BiometricsSession) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO biometrics_sessions (`+biometricsColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.Scope.PartnerID, string(b.Scope.Environment), b.CustomerID, b.CodeHash, toMicros(b.ExpiresAt),
		toNullMicros(b.ConsumedAt), toMicros(b.CreatedAt))
	return err
}

// LatestBiometricsSession returns the newest session (by created_at, then id) of customer customerID of
// scope, whether live, consumed or expired, or nil, nil when it has none.
func (tx *Tx) LatestBiometricsSession(ctx context.Context, scope lending.Scope, customerID string) (*lending.BiometricsSession, error) {
	b, err := scanBiometricsSession(tx.conn().queryRow(ctx, `SELECT `+biometricsColumns+` FROM biometrics_sessions
		WHERE customer_id = ? AND partner_id = ? AND environment = ? ORDER BY created_at DESC, id DESC LIMIT 1`,
		customerID, scope.PartnerID, string(scope.Environment)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// ConsumeBiometricsSession uses up the session whose code hashes to codeHash at now and returns it as
// consumed. A code works once: of concurrent consumers exactly one succeeds. It returns ErrNotFound when
// no session has the code, or it was consumed already, or it expired (expires_at <= now).
func (s *Store) ConsumeBiometricsSession(ctx context.Context, codeHash string, scope *lending.Scope, now time.Time) (lending.BiometricsSession, error) {
	var out lending.BiometricsSession
	err := s.InTx(ctx, func(tx *Tx) error {
		c := tx.conn()
		q := `UPDATE biometrics_sessions SET consumed_at = ? WHERE code_hash = ? AND consumed_at IS NULL AND expires_at > ?`
		args := []any{toMicros(now), codeHash, toMicros(now)}
		if scope != nil {
			q += ` AND partner_id = ? AND environment = ?`
			args = append(args, scope.PartnerID, string(scope.Environment))
		}
		res, err := c.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		out, err = scanBiometricsSession(c.queryRow(ctx, `SELECT `+biometricsColumns+` FROM biometrics_sessions
			WHERE code_hash = ?`, codeHash))
		return err
	})
	return out, err
}
