package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

func encodeSecret(b []byte) string          { return base64.StdEncoding.EncodeToString(b) }
func decodeSecret(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// IdempotencyKey identifies one logical request of a partner in one environment.
type IdempotencyKey struct {
	Scope lending.Scope
	Key   string
}

// StoredResponse is the first answer to an idempotent request, replayed to its repeats.
type StoredResponse struct {
	Status  int
	Headers string // JSON object of the replayed headers
	Body    string
}

// ReserveOutcome says what Reserve found.
type ReserveOutcome int

// The outcomes of ReserveIdempotencyKey.
const (
	// Reserved: the caller owns the key and must Complete or Release it.
	Reserved ReserveOutcome = iota
	// Replay: the request was answered before; the stored response is returned.
	Replay
	// InProgress: the same request is being processed right now by someone else.
	InProgress
	// Mismatch: the key was used for a different request.
	Mismatch
)

// ReserveIdempotencyKey claims k for a request whose hash is requestHash, at now, for at most lockFor
// (after which a crashed owner's claim may be taken over), and the key is remembered for ttl. Exactly one
// of several concurrent callers gets Reserved.
func (s *Store) ReserveIdempotencyKey(ctx context.Context, k IdempotencyKey, requestHash string, now time.Time, lockFor, ttl time.Duration) (ReserveOutcome, StoredResponse, error) {
	var outcome ReserveOutcome
	var resp StoredResponse
	err := s.InTx(ctx, func(tx *Tx) error {
		c := tx.conn()
		var hash string
		var status sql.NullInt64
		var headers, body sql.NullString
		var lockedUntil, expiresAt int64
		err := c.queryRow(ctx, `SELECT request_hash, status_code, response_headers, response_body, locked_until, expires_at
			FROM idempotency_keys WHERE partner_id = ? AND environment = ? AND idem_key = ?`+s.dialect.forUpdate(),
			k.Scope.PartnerID, string(k.Scope.Environment), k.Key).
			Scan(&hash, &status, &headers, &body, &lockedUntil, &expiresAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			res, err := c.exec(ctx, `INSERT INTO idempotency_keys
				(partner_id, environment, idem_key, request_hash, locked_until, created_at, expires_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				k.Scope.PartnerID, string(k.Scope.Environment), k.Key, requestHash,
				toMicros(now.Add(lockFor)), toMicros(now), toMicros(now.Add(ttl)))
			if err != nil {
				return err
			}
			// On PostgreSQL a concurrent inserter may have won between our SELECT and INSERT: then nothing
			// was inserted, the row is theirs and the request is in progress.
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				outcome = InProgress
				return nil
			}
			outcome = Reserved
			return nil
		case err != nil:
			return err
		}
		nowUS := toMicros(now)
		if expiresAt <= nowUS || (!status.Valid && lockedUntil <= nowUS) {
			// An expired key may be reused; an unfinished claim whose owner died is taken over.
			_, err := c.exec(ctx, `UPDATE idempotency_keys SET request_hash = ?, status_code = NULL,
				response_headers = NULL, response_body = NULL, locked_until = ?, created_at = ?, expires_at = ?
				WHERE partner_id = ? AND environment = ? AND idem_key = ?`,
				requestHash, toMicros(now.Add(lockFor)), nowUS, toMicros(now.Add(ttl)),
				k.Scope.PartnerID, string(k.Scope.Environment), k.Key)
			outcome = Reserved
			return err
		}
		switch {
		case hash != requestHash:
			outcome = Mismatch
		case !status.Valid:
			outcome = InProgress
		default:
			outcome = Replay
			resp = StoredResponse{Status: int(status.Int64), Headers: headers.String, Body: body.String}
		}
		return nil
	})
	return outcome, resp, err
}

// CompleteIdempotencyKey stores the response to the request that reserved k.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, k IdempotencyKey, resp StoredResponse) error {
	return s.write(ctx, func(c conn) error {
		_, err := c.exec(ctx, `UPDATE idempotency_keys SET status_code = ?, response_headers = ?, response_body = ?
			WHERE partner_id = ? AND environment = ? AND idem_key = ?`,
			resp.Status, resp.Headers, resp.Body, k.Scope.PartnerID, string(k.Scope.Environment), k.Key)
		return err
	})
}

// ReleaseIdempotencyKey forgets an unfinished reservation (the request failed without effect), so a
// retry runs afresh.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, k IdempotencyKey) error {
	return s.write(ctx, func(c conn) error {
		_, err := c.exec(ctx, `DELETE FROM idempotency_keys
			WHERE partner_id = ? AND environment = ? AND idem_key = ? AND status_code IS NULL`,
			k.Scope.PartnerID, string(k.Scope.Environment), k.Key)
		return err
	})
}

// PurgeIdempotencyKeys deletes keys that expired before now and returns how many.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= ?`, toMicros(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
