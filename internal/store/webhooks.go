package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

// SQL returns the transaction's database/sql handle, so the job queue can insert jobs in it.
func (tx *Tx) SQL() *sql.Tx { return tx.tx }

// WriterDB returns the handle writes go through (on SQLite a single connection), for the job queue.
func (s *Store) WriterDB() *sql.DB { return s.db }

// InsertEvent appends ev to the event log.
func (tx *Tx) InsertEvent(ctx context.Context, ev lending.Event) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO events (id, partner_id, environment, type, data, occurred_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, ev.ID, ev.Scope.PartnerID, string(ev.Scope.Environment), ev.Type, string(ev.Data),
		toMicros(ev.OccurredAt), toMicros(ev.CreatedAt))
	return err
}

// Event returns the event id (in any scope), or ErrNotFound.
func (s *Store) Event(ctx context.Context, id string) (lending.Event, error) {
	var ev lending.Event
	var env, data string
	var occurred, created int64
	err := s.reader().queryRow(ctx, `SELECT id, partner_id, environment, type, data, occurred_at, created_at
		FROM events WHERE id = ?`, id).Scan(&ev.ID, &ev.Scope.PartnerID, &env, &ev.Type, &data, &occurred, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return ev, ErrNotFound
	}
	ev.Scope.Environment, ev.Data = lending.Environment(env), []byte(data)
	ev.OccurredAt, ev.CreatedAt = fromMicros(occurred), fromMicros(created)
	return ev, err
}

const endpointColumns = `id, partner_id, environment, url, events, description, status, disabled_reason, secret,
	previous_secret, previous_secret_expires_at, failing_since, deleted_at, created_at, updated_at`

func scanEndpoint(r scanner) (lending.WebhookEndpoint, error) {
	var e lending.WebhookEndpoint
	var env, status, events string
	var prev sql.NullString
	var prevExp, failing, deleted sql.NullInt64
	var created, updated int64
	err := r.Scan(&e.ID, &e.Scope.PartnerID, &env, &e.URL, &events, &e.Description, &status, &e.DisabledReason,
		&e.Secret, &prev, &prevExp, &failing, &deleted, &created, &updated)
	if err != nil {
		return e, err
	}
	e.Scope.Environment, e.Status, e.PreviousSecret = lending.Environment(env), lending.WebhookEndpointStatus(status), prev.String
	if err := json.Unmarshal([]byte(events), &e.Events); err != nil {
		return e, err
	}
	e.PreviousSecretExpiresAt, e.FailingSince, e.DeletedAt = fromNullMicros(prevExp), fromNullMicros(failing), fromNullMicros(deleted)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return e, nil
}

func endpointArgs(e lending.WebhookEndpoint) []any {
	events, _ := json.Marshal(e.Events)
	prev := sql.NullString{String: e.PreviousSecret, Valid: e.PreviousSecret != ""}
	return []any{e.ID, e.Scope.PartnerID, string(e.Scope.Environment), e.URL, string(events), e.Description, string(e.Status),
		e.DisabledReason, e.Secret, prev, toNullMicros(e.PreviousSecretExpiresAt), toNullMicros(e.FailingSince),
		toNullMicros(e.DeletedAt), toMicros(e.CreatedAt), toMicros(e.UpdatedAt)}
}

// CreateWebhookEndpoint inserts e.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e lending.WebhookEndpoint) error {
	return s.write(ctx, func(c conn) error {
		_, err := c.exec(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, endpointArgs(e)...)
		return err
	})
}

func endpointInScope(ctx context.Context, c conn, scope lending.Scope, id, suffix string) (lending.WebhookEndpoint, error) {
	return rowInScope(ctx, c, `SELECT `+endpointColumns+` FROM webhook_endpoints`, "id", scope, id, ` AND deleted_at IS NULL`+suffix,
		scanEndpoint, func(id string) error {
			return lending.Errorf(lending.CodeWebhookEndpointNotFound, "no webhook endpoint %q", id)
		})
}

// WebhookEndpoint returns endpoint id of scope, or a CodeWebhookEndpointNotFound error (also for a
// deleted one).
func (s *Store) WebhookEndpoint(ctx context.Context, scope lending.Scope, id string) (lending.WebhookEndpoint, error) {
	return endpointInScope(ctx, s.reader(), scope, id, "")
}

// ListWebhookEndpoints returns a page of scope's endpoints in creation order.
func (s *Store) ListWebhookEndpoints(ctx context.Context, scope lending.Scope, page Page) ([]lending.WebhookEndpoint, bool, error) {
	return listPage(ctx, s.reader(), listSpec{
		table: "webhook_endpoints", columns: endpointColumns, sortColumn: "created_at",
		where: "partner_id = ? AND environment = ? AND deleted_at IS NULL",
		args:  []any{scope.PartnerID, string(scope.Environment)},
	}, page, scanEndpoint)
}

// UpdateWebhookEndpoint applies change to endpoint id of scope under a row lock and stores the result.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, scope lending.Scope, id string,
	change func(lending.WebhookEndpoint) (lending.WebhookEndpoint, error)) (lending.WebhookEndpoint, error) {
	var out lending.WebhookEndpoint
	err := s.InTx(ctx, func(tx *Tx) error {
		e, err := endpointInScope(ctx, tx.conn(), scope, id, s.dialect.forUpdate())
		if err != nil {
			return err
		}
		if out, err = change(e); err != nil {
			return err
		}
		return tx.saveEndpoint(ctx, out)
	})
	return out, err
}

func (tx *Tx) saveEndpoint(ctx context.Context, e lending.WebhookEndpoint) error {
	args := endpointArgs(e)
	_, err := tx.conn().exec(ctx, `UPDATE webhook_endpoints SET url = ?, events = ?, description = ?, status = ?,
		disabled_reason = ?, secret = ?, previous_secret = ?, previous_secret_expires_at = ?, failing_since = ?,
		deleted_at = ?, updated_at = ? WHERE id = ?`,
		args[3], args[4], args[5], args[6], args[7], args[8], args[9], args[10], args[11], args[12], args[14], e.ID)
	return err
}

// DeleteWebhookEndpoint deletes endpoint id of scope at now; its pending deliveries fail at once.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, scope lending.Scope, id string, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		e, err := endpointInScope(ctx, tx.conn(), scope, id, s.dialect.forUpdate())
		if lending.ErrorCode(err) == lending.CodeWebhookEndpointNotFound {
			// Deleting twice succeeds (DELETE is idempotent); only an id the scope never had is a 404.
			var n int
			if cerr := tx.conn().queryRow(ctx, `SELECT COUNT(*) FROM webhook_endpoints
				WHERE id = ? AND partner_id = ? AND environment = ? AND deleted_at IS NOT NULL`,
				id, scope.PartnerID, string(scope.Environment)).Scan(&n); cerr != nil {
				return cerr
			}
			if n > 0 {
				return nil
			}
		}
		if err != nil {
			return err
		}
		now := now.UTC()
		e.DeletedAt, e.UpdatedAt = &now, now
		if err := tx.saveEndpoint(ctx, e); err != nil {
			return err
		}
		_, err = tx.conn().exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = ?
			WHERE endpoint_id = ? AND status = 'pending'`, toMicros(now), id)
		return err
	})
}

// ReceivingEndpoints returns scope's endpoints that take an event of type typ now.
func (tx *Tx) ReceivingEndpoints(ctx context.Context, scope lending.Scope, typ string) ([]lending.WebhookEndpoint, error) {
	all, err := queryAll(ctx, tx.conn(), scanEndpoint, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE partner_id = ? AND environment = ? AND status = 'active' AND deleted_at IS NULL ORDER BY created_at, id`,
		scope.PartnerID, string(scope.Environment))
	if err != nil {
		return nil, err
	}
	var out []lending.WebhookEndpoint
	for _, e := range all {
		if e.Receives(typ) {
			out = append(out, e)
		}
	}
	return out, nil
}

const deliveryColumns = `id, event_id, endpoint_id, partner_id, environment, event_type, status, attempt_count,
	next_attempt_at, created_at, updated_at`

// deliveryColumnsOf lists the delivery columns, each qualified by prefix (a table alias and a dot, or "").
func deliveryColumnsOf(prefix string) string { return prefixed(prefix, deliveryColumns) }

func scanDelivery(r scanner) (lending.Delivery, error) {
	var d lending.Delivery
	var env, status string
	var next sql.NullInt64
	var created, updated int64
	err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.Scope.PartnerID, &env, &d.EventType, &status, &d.AttemptCount,
		&next, &created, &updated)
	d.Scope.Environment, d.Status = lending.Environment(env), lending.DeliveryStatus(status)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNullMicros(next), fromMicros(created), fromMicros(updated)
	return d, err
}

// InsertDelivery inserts d.
func (tx *Tx) InsertDelivery(ctx context.Context, d lending.Delivery) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.EventID, d.EndpointID, d.Scope.PartnerID,
		string(d.Scope.Environment), d.EventType, string(d.Status), d.AttemptCount, toNullMicros(d.NextAttemptAt),
		toMicros(d.CreatedAt), toMicros(d.UpdatedAt))
	return err
}

// DeliveryWork is everything one delivery attempt needs.
type DeliveryWork struct {
	Delivery lending.Delivery
	Event    lending.Event
	Endpoint lending.WebhookEndpoint
}

// DeliveryWork returns delivery id (any scope) with its event and endpoint (deleted ones included), or
// ErrNotFound.
func (s *Store) DeliveryWork(ctx context.Context, id string) (DeliveryWork, error) {
	var w DeliveryWork
	d, err := scanDelivery(s.reader().queryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, ErrNotFound
	}
	if err != nil {
		return w, err
	}
	w.Delivery = d
	if w.Event, err = s.Event(ctx, d.EventID); err != nil {
		return w, err
	}
	w.Endpoint, err = scanEndpoint(s.reader().queryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`, d.EndpointID))
	return w, err
}

// AttemptOutcome is what one attempt did to its delivery and endpoint.
type AttemptOutcome struct {
	Attempt lending.DeliveryAttempt
	// Status is the delivery's new status; NextAttemptAt is set when it stays pending.
	Status        lending.DeliveryStatus
	NextAttemptAt *time.Time
	// Succeeded ends the endpoint's failure streak; otherwise Gone says the endpoint answered 410.
	Succeeded bool
	Gone      bool
}

// RecordAttempt stores one attempt of delivery id and its consequences for the delivery and its endpoint
// (failure streak, disabling after 410 or 5 days of failures), in one transaction, and returns the
// endpoint as it now is.
func (s *Store) RecordAttempt(ctx context.Context, id string, o AttemptOutcome, now time.Time) (lending.WebhookEndpoint, error) {
	var ep lending.WebhookEndpoint
	err := s.InTx(ctx, func(tx *Tx) error {
		c := tx.conn()
		d, err := scanDelivery(c.queryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`+s.dialect.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		a := o.Attempt
		a.Number = d.AttemptCount + 1
		var status sql.NullInt64
		if a.ResponseStatus != 0 {
			status = sql.NullInt64{Int64: int64(a.ResponseStatus), Valid: true}
		}
		var errText sql.NullString
		if a.Error != "" {
			errText = sql.NullString{String: a.Error, Valid: true}
		}
		if _, err := c.exec(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, response_status, duration_ms,
			response_excerpt, error) VALUES (?, ?, ?, ?, ?, ?, ?)`, id, a.Number, toMicros(a.AttemptedAt), status,
			a.Duration.Milliseconds(), a.ResponseExcerpt, errText); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempt_count = ?, next_attempt_at = ?,
			in_flight_until = NULL, updated_at = ? WHERE id = ?`, string(o.Status), a.Number, toNullMicros(o.NextAttemptAt), toMicros(now), id); err != nil {
			return err
		}
		ep, err = scanEndpoint(c.queryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`+s.dialect.forUpdate(), d.EndpointID))
		if err != nil {
			return err
		}
		before := ep
		if o.Succeeded {
			ep.FailingSince = nil
		} else {
			ep = ep.AfterFailure(now, o.Gone)
		}
		if ep.Status != before.Status || !equalTimePtr(ep.FailingSince, before.FailingSince) {
			return tx.saveEndpoint(ctx, ep)
		}
		return nil
	})
	return ep, err
}

func equalTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// ClaimOutcome says whether a job may make a delivery's next attempt.
type ClaimOutcome int

// The outcomes of ClaimAttempt.
const (
	// Claimed: the caller makes the attempt, and must RecordAttempt it.
	Claimed ClaimOutcome = iota
	// InFlight: another job is making an attempt right now, until the returned instant at the latest.
	InFlight
	// NotDue: the delivery is settled, or its next attempt is later and another job owns it.
	NotDue
)

// ClaimAttempt lets exactly one job attempt delivery id at now: the delivery must be pending, due (next
// attempt at or before now), and not in flight. A claim lasts until lease; a job that dies with its
// process leaves a claim that expires, so its rescued job can attempt again.
func (s *Store) ClaimAttempt(ctx context.Context, id string, now time.Time, lease time.Time) (ClaimOutcome, time.Time, error) {
	outcome, until := NotDue, time.Time{}
	err := s.write(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE webhook_deliveries SET in_flight_until = ?
			WHERE id = ? AND status = 'pending' AND next_attempt_at <= ? AND (in_flight_until IS NULL OR in_flight_until < ?)`,
			toMicros(lease), id, toMicros(now), toMicros(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			outcome = Claimed
			return err
		}
		var inFlightUntil sql.NullInt64
		err = c.queryRow(ctx, `SELECT in_flight_until FROM webhook_deliveries WHERE id = ? AND status = 'pending'`, id).Scan(&inFlightUntil)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (!inFlightUntil.Valid || inFlightUntil.Int64 < toMicros(now))) {
			return nil
		}
		if err != nil {
			return err
		}
		outcome, until = InFlight, fromMicros(inFlightUntil.Int64)
		return nil
	})
	if err != nil {
		return NotDue, time.Time{}, err
	}
	return outcome, until, nil
}

// FailDelivery marks delivery id failed without an attempt (its endpoint was deleted or disabled).
func (s *Store) FailDelivery(ctx context.Context, id string, now time.Time) error {
	return s.write(ctx, func(c conn) error {
		_, err := c.exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
			in_flight_until = NULL, updated_at = ? WHERE id = ? AND status = 'pending'`, toMicros(now), id)
		return err
	})
}

// ReopenDelivery puts delivery id of scope back to pending, due at now, for a resend, and returns it;
// a CodeDeliveryNotFound error when it is not the scope's (or its endpoint is deleted).
func (tx *Tx) ReopenDelivery(ctx context.Context, scope lending.Scope, id string, now time.Time) (lending.Delivery, error) {
	c := tx.conn()
	var endpointStatus string
	row := c.queryRow(ctx, `SELECT `+deliveryColumnsOf("d.")+`, e.status FROM webhook_deliveries d
		JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.id = ? AND d.partner_id = ? AND d.environment = ? AND e.deleted_at IS NULL`,
		id, scope.PartnerID, string(scope.Environment))
	d, err := scanDelivery(scannerFunc(func(dest ...any) error { return row.Scan(append(dest, &endpointStatus)...) }))
	if errors.Is(err, sql.ErrNoRows) {
		return d, lending.Errorf(lending.CodeDeliveryNotFound, "no delivery %q", id)
	}
	if err != nil {
		return d, err
	}
	if lending.WebhookEndpointStatus(endpointStatus) != lending.EndpointActive {
		return d, lending.Errorf(lending.CodeConflict, "the delivery's endpoint is disabled; enable it to resend")
	}
	now = now.UTC()
	d.Status, d.NextAttemptAt, d.UpdatedAt = lending.DeliveryPending, &now, now
	_, err = c.exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ?`,
		toMicros(now), toMicros(now), id)
	return d, err
}

// ListDeliveries returns a page of endpoint's deliveries (newest first), with their attempts; status
// filters when not empty. The endpoint must be scope's.
func (s *Store) ListDeliveries(ctx context.Context, scope lending.Scope, endpointID string, status lending.DeliveryStatus, page Page) ([]lending.Delivery, bool, error) {
	if _, err := s.WebhookEndpoint(ctx, scope, endpointID); err != nil {
		return nil, false, err
	}
	spec := listSpec{
		table: "webhook_deliveries", columns: deliveryColumns, sortColumn: "created_at",
		where: "endpoint_id = ? AND partner_id = ? AND environment = ?",
		args:  []any{endpointID, scope.PartnerID, string(scope.Environment)},
	}
	if status != "" {
		spec.where += " AND status = ?"
		spec.args = append(spec.args, string(status))
	}
	page.Descending = true
	ds, more, err := listPage(ctx, s.reader(), spec, page, scanDelivery)
	if err != nil {
		return nil, false, err
	}
	for i := range ds {
		if ds[i].Attempts, err = s.attempts(ctx, ds[i].ID); err != nil {
			return nil, false, err
		}
	}
	return ds, more, nil
}

func (s *Store) attempts(ctx context.Context, deliveryID string) ([]lending.DeliveryAttempt, error) {
	return queryAll(ctx, s.reader(), scanAttempt, `SELECT attempt, attempted_at, response_status, duration_ms,
		response_excerpt, error FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`, deliveryID)
}

func scanAttempt(r scanner) (lending.DeliveryAttempt, error) {
	var a lending.DeliveryAttempt
	var at, ms int64
	var status sql.NullInt64
	var errText sql.NullString
	err := r.Scan(&a.Number, &at, &status, &ms, &a.ResponseExcerpt, &errText)
	a.AttemptedAt, a.ResponseStatus, a.Duration, a.Error = fromMicros(at), int(status.Int64), time.Duration(ms)*time.Millisecond, errText.String
	return a, err
}

// scannerFunc adapts a function to scanner, to scan extra columns after a shared column list.
type scannerFunc func(dest ...any) error

func (f scannerFunc) Scan(dest ...any) error { return f(dest...) }
