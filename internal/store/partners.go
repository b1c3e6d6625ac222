package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

// ErrNotFound is returned (wrapped in a *lending.Error where the caller is a partner) when a row does not
// exist in the asked scope.
var ErrNotFound = errors.New("store: not found")

// CreatePartner inserts p.
func (tx *Tx) CreatePartner(ctx context.Context, p lending.Partner) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO partners (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		p.ID, p.Name, toMicros(p.CreatedAt), toMicros(p.UpdatedAt))
	return err
}

// Serialize makes this transaction wait for every other transaction that called Serialize and has not
// ended, for rare check-then-insert work such as first-start bootstrap. (SQLite's write transactions are
// serialized already; PostgreSQL takes a transaction-scoped advisory lock.)
func (tx *Tx) Serialize(ctx context.Context) error {
	if lock := tx.s.dialect.serializeLock(); lock != "" {
		_, err := tx.conn().exec(ctx, lock)
		return err
	}
	return nil
}

// CountPartners returns how many partners exist.
func (tx *Tx) CountPartners(ctx context.Context) (int, error) {
	var n int
	err := tx.conn().queryRow(ctx, `SELECT COUNT(*) FROM partners`).Scan(&n)
	return n, err
}

// GetPartner returns the partner with id, or ErrNotFound.
func (s *Store) GetPartner(ctx context.Context, id string) (lending.Partner, error) {
	p, err := scanPartner(s.reader().queryRow(ctx, `SELECT id, name, created_at, updated_at FROM partners WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	return p, err
}

// ListPartners returns every partner, oldest first.
func (s *Store) ListPartners(ctx context.Context) ([]lending.Partner, error) {
	return queryAll(ctx, s.reader(), scanPartner, `SELECT id, name, created_at, updated_at FROM partners ORDER BY created_at, id`)
}

func scanPartner(r scanner) (lending.Partner, error) {
	var p lending.Partner
	var created, updated int64
	err := r.Scan(&p.ID, &p.Name, &created, &updated)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return p, err
}

const credentialColumns = `id, partner_id, environment, name, secret_hash, scopes, status,
	last_used_at, expires_at, revoked_at, created_at, updated_at`

func scanCredential(r scanner) (lending.Credential, error) {
	var c lending.Credential
	var env, status, scopes string
	var lastUsed, expires, revoked sql.NullInt64
	var created, updated int64
	err := r.Scan(&c.ClientID, &c.PartnerID, &env, &c.Name, &c.SecretHash, &scopes, &status,
		&lastUsed, &expires, &revoked, &created, &updated)
	if err != nil {
		return c, err
	}
	c.Environment, c.Status = lending.Environment(env), lending.CredentialStatus(status)
	if scopes != "" {
		c.Scopes = strings.Fields(scopes)
	}
	c.LastUsedAt, c.ExpiresAt, c.RevokedAt = fromNullMicros(lastUsed), fromNullMicros(expires), fromNullMicros(revoked)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

// CreateCredential inserts c; its partner must exist.
func (tx *Tx) CreateCredential(ctx context.Context, c lending.Credential) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO credentials (`+credentialColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ClientID, c.PartnerID, string(c.Environment), c.Name, c.SecretHash, strings.Join(c.Scopes, " "),
		string(c.Status), toNullMicros(c.LastUsedAt), toNullMicros(c.ExpiresAt), toNullMicros(c.RevokedAt),
		toMicros(c.CreatedAt), toMicros(c.UpdatedAt))
	return err
}

// CreateCredential inserts c in its own transaction.
func (s *Store) CreateCredential(ctx context.Context, c lending.Credential) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.CreateCredential(ctx, c) })
}

// CredentialByClientID returns the credential with clientID in any scope, or ErrNotFound. It serves
// authentication, which learns the scope from the credential; everything partner-facing uses
// Credential.
func (s *Store) CredentialByClientID(ctx context.Context, clientID string) (lending.Credential, error) {
	c, err := scanCredential(s.reader().queryRow(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = ?`, clientID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// Credential returns the credential clientID of scope, or a CodeCredentialNotFound error when it does
// not exist there (whether or not it exists in another scope).
func (s *Store) Credential(ctx context.Context, scope lending.Scope, clientID string) (lending.Credential, error) {
	return credentialInScope(ctx, s.reader(), scope, clientID, "")
}

func credentialInScope(ctx context.Context, c conn, scope lending.Scope, clientID, suffix string) (lending.Credential, error) {
	return rowInScope(ctx, c, `SELECT `+credentialColumns+` FROM credentials`, "id", scope, clientID, suffix, scanCredential,
		func(id string) error { return lending.Errorf(lending.CodeCredentialNotFound, "no credential %q", id) })
}

// ListCredentials returns a page of scope's credentials in creation order.
func (s *Store) ListCredentials(ctx context.Context, scope lending.Scope, page Page) ([]lending.Credential, bool, error) {
	return listPage(ctx, s.reader(), listSpec{
		table:      "credentials",
		columns:    credentialColumns,
		where:      "partner_id = ? AND environment = ?",
		args:       []any{scope.PartnerID, string(scope.Environment)},
		sortColumn: "created_at",
	}, page, scanCredential)
}

// RevokeCredential revokes clientID of scope at now under the domain's rule (never the last usable
// credential of a scope) and returns it. Concurrent revocations of a scope's last two credentials cannot
// both succeed: the partner row is locked first.
func (s *Store) RevokeCredential(ctx context.Context, scope lending.Scope, clientID string, now time.Time) (lending.Credential, error) {
	var out lending.Credential
	err := s.InTx(ctx, func(tx *Tx) error {
		c := tx.conn()
		var id string
		if err := c.queryRow(ctx, `SELECT id FROM partners WHERE id = ?`+s.dialect.forUpdate(), scope.PartnerID).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return lending.Errorf(lending.CodeCredentialNotFound, "no credential %q", clientID)
			}
			return err
		}
		cred, err := credentialInScope(ctx, c, scope, clientID, "")
		if err != nil {
			return err
		}
		var others int
		err = c.queryRow(ctx, `SELECT COUNT(*) FROM credentials
			WHERE partner_id = ? AND environment = ? AND id <> ? AND status = 'active'
			AND (expires_at IS NULL OR expires_at > ?)`,
			scope.PartnerID, string(scope.Environment), clientID, toMicros(now)).Scan(&others)
		if err != nil {
			return err
		}
		revoked, err := cred.Revoke(now, others)
		if err != nil {
			return err
		}
		out = revoked
		if revoked.Status == cred.Status {
			return nil
		}
		_, err = c.exec(ctx, `UPDATE credentials SET status = ?, revoked_at = ?, updated_at = ? WHERE id = ?`,
			string(revoked.Status), toNullMicros(revoked.RevokedAt), toMicros(revoked.UpdatedAt), clientID)
		return err
	})
	return out, err
}

// TouchCredential records that clientID was used at now. To keep authenticated reads from turning into
// writes, it only writes when the stored last_used_at is older than granularity.
func (s *Store) TouchCredential(ctx context.Context, clientID string, now time.Time, granularity time.Duration) error {
	return s.write(ctx, func(c conn) error {
		_, err := c.exec(ctx, `UPDATE credentials SET last_used_at = ?
			WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
			toMicros(now), clientID, toMicros(now.Add(-granularity)))
		return err
	})
}
