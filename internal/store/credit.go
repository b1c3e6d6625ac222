package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
)

// The JSON columns of credit_analyses spell their own keys instead of following the domain's Go field
// names, so that renaming a field cannot silently orphan stored data. Each document type has exactly
// the fields of its domain type, and the code converts between the two (a conversion Go allows only
// while the fields match), so a field added to or renamed in the domain breaks the build here until the
// store learns it.

// creditProfileDoc is the stored form of a lending.CreditProfile.
type creditProfileDoc struct {
	Score           int           `json:"score"`
	MonthlyRevenue  finmath.Cents `json:"monthly_revenue"`
	Restrictions    []string      `json:"restrictions"`
	SimplesNacional bool          `json:"simples_nacional"`
}

// creditTermsDoc is the stored form of a lending.CreditTerms (in a decision; an offer has a column each).
type creditTermsDoc struct {
	ApprovedAmount  finmath.Cents     `json:"approved_amount"`
	MinAmount       finmath.Cents     `json:"min_amount"`
	MonthlyRate     string            `json:"monthly_rate"`
	Installments    int               `json:"installments"`
	MinInstallments int               `json:"min_installments"`
	MaxInstallments int               `json:"max_installments"`
	FeeRate         string            `json:"fee_rate"`
	FeeMin          finmath.Cents     `json:"fee_min"`
	FeeMax          finmath.Cents     `json:"fee_max"`
	IOFRegime       lending.IOFRegime `json:"iof_regime"`
}

// creditDecisionDoc is the stored form of a lending.CreditDecision.
type creditDecisionDoc struct {
	Approved bool           `json:"approved"`
	Reason   string         `json:"reason"`
	Terms    creditTermsDoc `json:"terms"`
}

// creditDecisionShape has the fields of lending.CreditDecision; converting to it checks they still match.
type creditDecisionShape struct {
	Approved bool
	Reason   string
	Terms    lending.CreditTerms
}

func decisionToDoc(d lending.CreditDecision) creditDecisionDoc {
	s := creditDecisionShape(d)
	return creditDecisionDoc{Approved: s.Approved, Reason: s.Reason, Terms: creditTermsDoc(s.Terms)}
}

func decisionFromDoc(d creditDecisionDoc) lending.CreditDecision {
	return lending.CreditDecision(creditDecisionShape{Approved: d.Approved, Reason: d.Reason, Terms: lending.CreditTerms(d.Terms)})
}

const creditAnalysisColumns = `customer_id, partner_id, environment, status, profile, decision, offer_id, created_at, updated_at`

func scanCreditAnalysis(r scanner) (lending.CreditAnalysis, error) {
	var a lending.CreditAnalysis
	var env, status, profile, decision string
	var offerID sql.NullString
	var created, updated int64
	if err := r.Scan(&a.CustomerID, &a.Scope.PartnerID, &env, &status, &profile, &decision, &offerID, &created, &updated); err != nil {
		return a, err
	}
	a.Scope.Environment, a.Status, a.OfferID = lending.Environment(env), lending.CreditAnalysisStatus(status), offerID.String
	var p creditProfileDoc
	if err := json.Unmarshal([]byte(profile), &p); err != nil {
		return a, fmt.Errorf("store: credit analysis of %s: decode profile: %w", a.CustomerID, err)
	}
	var d creditDecisionDoc
	if err := json.Unmarshal([]byte(decision), &d); err != nil {
		return a, fmt.Errorf("store: credit analysis of %s: decode decision: %w", a.CustomerID, err)
	}
	a.Profile, a.Decision = lending.CreditProfile(p), decisionFromDoc(d)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return a, nil
}

// SaveCreditAnalysis stores a as its customer's one analysis: it inserts it, or replaces every column
// of the analysis the customer has (its created_at included). An empty a.OfferID is stored as NULL. The
// customer must exist (else a foreign-key error); a status other than approved or declined fails too.
func (tx *Tx) SaveCreditAnalysis(ctx context.Context, a lending.CreditAnalysis) error {
	profile, err := json.Marshal(creditProfileDoc(a.Profile))
	if err != nil {
		return fmt.Errorf("store: encode credit profile: %w", err)
	}
	decision, err := json.Marshal(decisionToDoc(a.Decision))
	if err != nil {
		return fmt.Errorf("store: encode credit decision: %w", err)
	}
	offerID := sql.NullString{String: a.OfferID, Valid: a.OfferID != ""}
	_, err = tx.conn().exec(ctx, `INSERT INTO credit_analyses (`+creditAnalysisColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (customer_id) DO UPDATE SET partner_id = excluded.partner_id, environment = excluded.environment,
			status = excluded.status, profile = excluded.profile, decision = excluded.decision,
			offer_id = excluded.offer_id, created_at = excluded.created_at, updated_at = excluded.updated_at`,
		a.CustomerID, a.Scope.PartnerID, string(a.Scope.Environment), string(a.Status), string(profile), string(decision),
		offerID, toMicros(a.CreatedAt), toMicros(a.UpdatedAt))
	return err
}

func creditAnalysisOf(ctx context.Context, c conn, customerID, suffix string) (*lending.CreditAnalysis, error) {
	a, err := scanCreditAnalysis(c.queryRow(ctx, `SELECT `+creditAnalysisColumns+` FROM credit_analyses
		WHERE customer_id = ?`+suffix, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// CreditAnalysisForUpdate returns the analysis of customer customerID (in whatever scope it is), locked
// until tx ends, or nil, nil when the customer has none (lock the customer first to keep one from
// appearing meanwhile). Other errors are the database's, or a stored JSON that does not decode.
func (tx *Tx) CreditAnalysisForUpdate(ctx context.Context, customerID string) (*lending.CreditAnalysis, error) {
	return creditAnalysisOf(ctx, tx.conn(), customerID, tx.s.dialect.forUpdate())
}

// CreditAnalysis returns the analysis of customer customerID (in whatever scope it is), or nil, nil when
// the customer has none. Other errors are the database's, or a stored JSON that does not decode.
func (s *Store) CreditAnalysis(ctx context.Context, customerID string) (*lending.CreditAnalysis, error) {
	return creditAnalysisOf(ctx, s.reader(), customerID, "")
}

const creditOfferColumns = `id, partner_id, environment, customer_id, external_id, status, approved_amount, min_amount,
	monthly_rate, installments, min_installments, max_installments, fee_rate, fee_min, fee_max, iof_regime,
	valid_until, created_at, updated_at`

func scanCreditOffer(r scanner) (lending.CreditOffer, error) {
	var o lending.CreditOffer
	var t creditTermsDoc
	var env, status, regime string
	var externalID sql.NullString
	var validUntil, created, updated int64
	err := r.Scan(&o.ID, &o.Scope.PartnerID, &env, &o.CustomerID, &externalID, &status, &t.ApprovedAmount, &t.MinAmount,
		&t.MonthlyRate, &t.Installments, &t.MinInstallments, &t.MaxInstallments, &t.FeeRate, &t.FeeMin, &t.FeeMax, &regime,
		&validUntil, &created, &updated)
	t.IOFRegime = lending.IOFRegime(regime)
	o.Scope.Environment, o.ExternalID, o.Status = lending.Environment(env), fromNullString(externalID), lending.OfferStatus(status)
	o.CreditTerms = lending.CreditTerms(t)
	o.ValidUntil, o.CreatedAt, o.UpdatedAt = fromMicros(validUntil), fromMicros(created), fromMicros(updated)
	return o, err
}

func creditOfferNotFound(id string) error {
	return lending.Errorf(lending.CodeCreditOfferNotFound, "no credit offer %q", id)
}

// InsertCreditOffer inserts o. Its customer must exist (else a foreign-key error); a taken id or a status
// outside available, accepted and expired fails too.
func (tx *Tx) InsertCreditOffer(ctx context.Context, o lending.CreditOffer) error {
	t := creditTermsDoc(o.CreditTerms)
	_, err := tx.conn().exec(ctx, `INSERT INTO credit_offers (`+creditOfferColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.Scope.PartnerID, string(o.Scope.Environment), o.CustomerID, toNullString(o.ExternalID), string(o.Status),
		int64(t.ApprovedAmount), int64(t.MinAmount), t.MonthlyRate, t.Installments, t.MinInstallments, t.MaxInstallments,
		t.FeeRate, int64(t.FeeMin), int64(t.FeeMax), string(t.IOFRegime),
		toMicros(o.ValidUntil), toMicros(o.CreatedAt), toMicros(o.UpdatedAt))
	return err
}

func creditOfferInScope(ctx context.Context, c conn, scope lending.Scope, id, suffix string) (lending.CreditOffer, error) {
	return rowInScope(ctx, c, `SELECT `+creditOfferColumns+` FROM credit_offers`, "id", scope, id, suffix, scanCreditOffer, creditOfferNotFound)
}

// CreditOffer returns offer id of scope, or a CodeCreditOfferNotFound error when it does not exist there
// (whether or not it exists in another scope).
func (s *Store) CreditOffer(ctx context.Context, scope lending.Scope, id string) (lending.CreditOffer, error) {
	return creditOfferInScope(ctx, s.reader(), scope, id, "")
}

// CreditOfferForUpdate returns offer id of scope locked until tx ends (FOR UPDATE on PostgreSQL; SQLite's
// write transaction is exclusive already), or a CodeCreditOfferNotFound error when it does not exist
// there. Reading an offer this way before changing it is what makes "one loan per offer" hold: a
// concurrent transaction waits for the lock and then reads the offer as this one left it.
func (tx *Tx) CreditOfferForUpdate(ctx context.Context, scope lending.Scope, id string) (lending.CreditOffer, error) {
	return creditOfferInScope(ctx, tx.conn(), scope, id, tx.s.dialect.forUpdate())
}

// SaveCreditOffer stores the mutable columns of o (status, valid_until and updated_at) on the row o.ID of
// o.Scope; its terms, customer, external_id and created_at never change. It returns a
// CodeCreditOfferNotFound error when no such row exists in o.Scope; a status outside available,
// accepted and expired fails too.
func (tx *Tx) SaveCreditOffer(ctx context.Context, o lending.CreditOffer) error {
	res, err := tx.conn().exec(ctx, `UPDATE credit_offers SET status = ?, valid_until = ?, updated_at = ?
		WHERE id = ? AND partner_id = ? AND environment = ?`,
		string(o.Status), toMicros(o.ValidUntil), toMicros(o.UpdatedAt), o.ID, o.Scope.PartnerID, string(o.Scope.Environment))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return creditOfferNotFound(o.ID)
	}
	return nil
}

// CreditOfferFilter narrows ListCreditOffers; a zero field does not filter.
type CreditOfferFilter struct {
	CustomerID string
	Status     lending.OfferStatus
	// Now, when set, filters on the status at that time: an available offer past valid_until counts as
	// expired, as lending.CreditOffer.StatusAt shows it.
	Now time.Time
}

// ListCreditOffers returns a page of scope's offers that pass f, ordered by created_at and id (ascending
// unless page.Descending), and whether more follow. Without f.Now the stored status is filtered on: an
// available offer past valid_until that the expiry sweep has not marked yet is still listed as available. A
// page.StartingAfter that names no offer of this filtered list is a CodeInvalidParameter error, and a
// non-positive page.Limit is an error.
func (s *Store) ListCreditOffers(ctx context.Context, scope lending.Scope, f CreditOfferFilter, page Page) ([]lending.CreditOffer, bool, error) {
	spec := listSpec{
		table:      "credit_offers",
		columns:    creditOfferColumns,
		where:      "partner_id = ? AND environment = ?",
		args:       []any{scope.PartnerID, string(scope.Environment)},
		sortColumn: "created_at",
	}
	if f.CustomerID != "" {
		spec.where += " AND customer_id = ?"
		spec.args = append(spec.args, f.CustomerID)
	}
	switch {
	case f.Status != "" && f.Now.IsZero():
		spec.where += " AND status = ?"
		spec.args = append(spec.args, string(f.Status))
	case f.Status == lending.OfferAvailable:
		spec.where += " AND status = ? AND valid_until > ?"
		spec.args = append(spec.args, string(lending.OfferAvailable), toMicros(f.Now))
	case f.Status == lending.OfferExpired:
		spec.where += " AND (status = ? OR (status = ? AND valid_until <= ?))"
		spec.args = append(spec.args, string(lending.OfferExpired), string(lending.OfferAvailable), toMicros(f.Now))
	case f.Status != "":
		spec.where += " AND status = ?"
		spec.args = append(spec.args, string(f.Status))
	}
	return listPage(ctx, s.reader(), spec, page, scanCreditOffer)
}

// forUpdateSkipLocked is the row-locking suffix of a SELECT that claims work: like forUpdate, but rows
// another transaction holds are left out instead of waited for, so concurrent sweepers split the work.
// SQLite needs none (its write transactions are serialized).
func forUpdateSkipLocked(d dialect) string {
	if s := d.forUpdate(); s != "" {
		return s + " SKIP LOCKED"
	}
	return ""
}

// DueCreditOffers returns up to limit offers of scope that are available with valid_until at or before
// now, the oldest valid_until first (then by id), each locked until tx ends. On PostgreSQL an offer
// another transaction has locked is skipped (SKIP LOCKED), to be found by a later sweep. A non-positive
// limit is an error.
func (tx *Tx) DueCreditOffers(ctx context.Context, scope lending.Scope, now time.Time, limit int) ([]lending.CreditOffer, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: limit %d", limit)
	}
	return queryAll(ctx, tx.conn(), scanCreditOffer, fmt.Sprintf(`SELECT %s FROM credit_offers
		WHERE status = ? AND valid_until <= ? AND partner_id = ? AND environment = ?
		ORDER BY valid_until, id LIMIT %d%s`, creditOfferColumns, limit, forUpdateSkipLocked(tx.s.dialect)),
		string(lending.OfferAvailable), toMicros(now), scope.PartnerID, string(scope.Environment))
}

// DueCreditOffersAnyScope is DueCreditOffers across every scope at once, each scope on its own clock:
// realNow for live, realNow plus the partner's sandbox offset for test. One query serves the whole
// platform's sweep, however many partners there are.
func (tx *Tx) DueCreditOffersAnyScope(ctx context.Context, realNow time.Time, limit int) ([]lending.CreditOffer, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: limit %d", limit)
	}
	return queryAll(ctx, tx.conn(), scanCreditOffer, fmt.Sprintf(`SELECT %s FROM credit_offers o
		WHERE o.status = ? AND o.valid_until <= ? + CASE WHEN o.environment = 'test' THEN
			COALESCE((SELECT c.offset_us FROM sandbox_clocks c WHERE c.partner_id = o.partner_id), 0) ELSE 0 END
		ORDER BY o.valid_until, o.id LIMIT %d%s`, prefixed("o.", creditOfferColumns), limit, forUpdateSkipLocked(tx.s.dialect)),
		string(lending.OfferAvailable), toMicros(realNow))
}

const simulationColumns = `id, partner_id, environment, credit_offer_id, customer_id, requested, principal, interest,
	iof, fee, total, monthly_rate, annual_rate, monthly_cet, annual_cet, installment_count, installment_amount,
	first_due_date, disbursement_date, schedule, created_at`

func scanSimulation(r scanner) (lending.Simulation, error) {
	var m lending.Simulation
	var env, schedule string
	var created int64
	err := r.Scan(&m.ID, &m.Scope.PartnerID, &env, &m.CreditOfferID, &m.CustomerID, &m.Requested, &m.Principal, &m.Interest,
		&m.IOF, &m.Fee, &m.Total, &m.MonthlyRate, &m.AnnualRate, &m.MonthlyCET, &m.AnnualCET, &m.InstallmentCount,
		&m.InstallmentAmount, &m.FirstDueDate, &m.DisbursementDate, &schedule, &created)
	if err != nil {
		return m, err
	}
	m.Scope.Environment, m.CreatedAt = lending.Environment(env), fromMicros(created)
	if err := json.Unmarshal([]byte(schedule), &m.Schedule); err != nil {
		return m, fmt.Errorf("store: simulation %s: decode schedule: %w", m.ID, err)
	}
	return m, nil
}

// InsertSimulation inserts simulation m with its schedule. Its offer must exist (else a foreign-key
// error); a taken id fails too.
func (tx *Tx) InsertSimulation(ctx context.Context, m lending.Simulation) error {
	schedule, err := json.Marshal(m.Schedule)
	if err != nil {
		return fmt.Errorf("store: encode schedule: %w", err)
	}
	_, err = tx.conn().exec(ctx, `INSERT INTO simulations (`+simulationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Scope.PartnerID, string(m.Scope.Environment), m.CreditOfferID, m.CustomerID, int64(m.Requested),
		int64(m.Principal), int64(m.Interest), int64(m.IOF), int64(m.Fee), int64(m.Total), m.MonthlyRate, m.AnnualRate,
		m.MonthlyCET, m.AnnualCET, m.InstallmentCount, int64(m.InstallmentAmount), m.FirstDueDate, m.DisbursementDate,
		string(schedule), toMicros(m.CreatedAt))
	return err
}

// Simulation returns simulation id of scope, or a CodeSimulationNotFound error when it does not exist
// there (whether or not it exists in another scope). A stored schedule that does not decode is an error.
func (s *Store) Simulation(ctx context.Context, scope lending.Scope, id string) (lending.Simulation, error) {
	return simulationInScope(ctx, s.reader(), scope, id)
}

// Simulation is Store.Simulation read in tx: a transaction must not wait for a second connection of the
// pool (a full pool would deadlock).
func (tx *Tx) Simulation(ctx context.Context, scope lending.Scope, id string) (lending.Simulation, error) {
	return simulationInScope(ctx, tx.conn(), scope, id)
}

func simulationInScope(ctx context.Context, c conn, scope lending.Scope, id string) (lending.Simulation, error) {
	return rowInScope(ctx, c, `SELECT `+simulationColumns+` FROM simulations`, "id", scope, id, "", scanSimulation,
		func(id string) error { return lending.Errorf(lending.CodeSimulationNotFound, "no simulation %q", id) })
}

// SandboxClockOffset returns how far partner partnerID's sandbox clock runs ahead of the real one: 0 when
// it was never set (or the partner does not exist). Its only errors are the database's.
func (s *Store) SandboxClockOffset(ctx context.Context, partnerID string) (time.Duration, error) {
	return sandboxClockOffset(ctx, s.reader(), partnerID)
}

// SandboxClockOffset is Store.SandboxClockOffset read in tx.
func (tx *Tx) SandboxClockOffset(ctx context.Context, partnerID string) (time.Duration, error) {
	return sandboxClockOffset(ctx, tx.conn(), partnerID)
}

func sandboxClockOffset(ctx context.Context, c conn, partnerID string) (time.Duration, error) {
	var us int64
	err := c.queryRow(ctx, `SELECT offset_us FROM sandbox_clocks WHERE partner_id = ?`, partnerID).Scan(&us)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return time.Duration(us) * time.Microsecond, err
}

// SetSandboxClockOffset sets partner partnerID's sandbox clock offset to offset (kept to the microsecond,
// truncated toward zero; 0 puts the clock back to real time), stamped at now. The partner must exist
// (else a foreign-key error).
func (tx *Tx) SetSandboxClockOffset(ctx context.Context, partnerID string, offset time.Duration, now time.Time) error {
	_, err := tx.conn().exec(ctx, `INSERT INTO sandbox_clocks (partner_id, offset_us, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (partner_id) DO UPDATE SET offset_us = excluded.offset_us, updated_at = excluded.updated_at`,
		partnerID, offset.Microseconds(), toMicros(now))
	return err
}

// SandboxClockOffsets returns the offset of every partner whose sandbox clock is not at real time (an
// empty map when none is), by partner id. Its only errors are the database's.
func (s *Store) SandboxClockOffsets(ctx context.Context) (map[string]time.Duration, error) {
	type entry struct {
		partnerID string
		offset    time.Duration
	}
	entries, err := queryAll(ctx, s.reader(), func(r scanner) (entry, error) {
		var e entry
		var us int64
		err := r.Scan(&e.partnerID, &us)
		e.offset = time.Duration(us) * time.Microsecond
		return e, err
	}, `SELECT partner_id, offset_us FROM sandbox_clocks WHERE offset_us <> 0`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Duration, len(entries))
	for _, e := range entries {
		out[e.partnerID] = e.offset
	}
	return out, nil
}
