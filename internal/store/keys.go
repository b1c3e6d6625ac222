package store

import (
	"context"
	"database/sql"
	"time"
)

// SigningKey is secret key material for access tokens. Keys are kept so tokens survive a restart and
// every node of a cluster verifies what any node issued.
type SigningKey struct {
	ID        string
	Algorithm string
	Secret    []byte
	CreatedAt time.Time
	RetiredAt *time.Time
}

// SigningKeys returns every key, newest first.
func (s *Store) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	return queryAll(ctx, s.reader(), scanSigningKey, `SELECT id, algorithm, secret, created_at, retired_at
		FROM signing_keys ORDER BY created_at DESC, id DESC`)
}

func scanSigningKey(r scanner) (SigningKey, error) {
	var k SigningKey
	var secret string
	var created int64
	var retired sql.NullInt64
	if err := r.Scan(&k.ID, &k.Algorithm, &secret, &created, &retired); err != nil {
		return k, err
	}
	var err error
	k.Secret, err = decodeSecret(secret)
	k.CreatedAt, k.RetiredAt = fromMicros(created), fromNullMicros(retired)
	return k, err
}

// EnsureSigningKey stores k unless a key that is not retired exists already, and returns every key,
// newest first. Several processes starting at once end up sharing one key.
func (s *Store) EnsureSigningKey(ctx context.Context, k SigningKey) ([]SigningKey, error) {
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := tx.Serialize(ctx); err != nil {
			return err
		}
		c := tx.conn()
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		_, err := c.exec(ctx, `INSERT INTO signing_keys (id, algorithm, secret, created_at) VALUES (?, ?, ?, ?)`,
			k.ID, k.Algorithm, encodeSecret(k.Secret), toMicros(k.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.SigningKeys(ctx)
}
