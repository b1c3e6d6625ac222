-- Credit: each customer's credit analysis, the offers issued to customers, the simulations priced on
-- offers, and the sandbox clock of each partner. Rates and percents are TEXT exactly as the domain holds
-- them ("2.49"); dates without a time are TEXT "YYYY-MM-DD".

-- One analysis per customer, replaced when the customer is analysed again.
CREATE TABLE credit_analyses (
    customer_id TEXT PRIMARY KEY REFERENCES customers (id),
    partner_id  TEXT NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    status      TEXT NOT NULL CHECK (status IN ('approved', 'declined')),
    -- JSON of the bureau's profile and of the policy's decision (with its terms).
    profile     TEXT NOT NULL,
    decision    TEXT NOT NULL,
    -- The offer issued from this analysis, once the customer is active.
    offer_id    TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE credit_offers (
    id               TEXT PRIMARY KEY,
    partner_id       TEXT NOT NULL,
    environment      TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    customer_id      TEXT NOT NULL REFERENCES customers (id),
    external_id      TEXT,
    status           TEXT NOT NULL CHECK (status IN ('available', 'accepted', 'expired')),
    approved_amount  BIGINT NOT NULL,
    min_amount       BIGINT NOT NULL,
    monthly_rate     TEXT NOT NULL,
    -- The fixed term, or 0 when min_installments..max_installments is the range.
    installments     INTEGER NOT NULL,
    min_installments INTEGER NOT NULL,
    max_installments INTEGER NOT NULL,
    fee_rate         TEXT NOT NULL,
    fee_min          BIGINT NOT NULL,
    fee_max          BIGINT NOT NULL,
    iof_regime       TEXT NOT NULL,
    valid_until      BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE INDEX credit_offers_scope_order ON credit_offers (partner_id, environment, created_at, id);
CREATE INDEX credit_offers_customer_order ON credit_offers (customer_id, created_at, id);
CREATE INDEX credit_offers_scope_status ON credit_offers (partner_id, environment, status, created_at, id);
-- The expiry sweep: available offers whose valid_until has passed.
CREATE INDEX credit_offers_status_valid_until ON credit_offers (status, valid_until);

-- Simulations are immutable: each keeps its whole schedule (JSON), so the loan made from it repays
-- exactly what was shown.
CREATE TABLE simulations (
    id                 TEXT PRIMARY KEY,
    partner_id         TEXT NOT NULL,
    environment        TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    credit_offer_id    TEXT NOT NULL REFERENCES credit_offers (id),
    customer_id        TEXT NOT NULL,
    requested          BIGINT NOT NULL,
    principal          BIGINT NOT NULL,
    interest           BIGINT NOT NULL,
    iof                BIGINT NOT NULL,
    fee                BIGINT NOT NULL,
    total              BIGINT NOT NULL,
    monthly_rate       TEXT NOT NULL,
    annual_rate        TEXT NOT NULL,
    monthly_cet        TEXT NOT NULL,
    annual_cet         TEXT NOT NULL,
    installment_count  INTEGER NOT NULL,
    installment_amount BIGINT NOT NULL,
    first_due_date     TEXT NOT NULL,
    disbursement_date  TEXT NOT NULL,
    schedule           TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);

CREATE INDEX simulations_offer_order ON simulations (credit_offer_id, created_at, id);

-- How far each partner's sandbox (test environment) clock runs ahead of the real one, in microseconds.
CREATE TABLE sandbox_clocks (
    partner_id TEXT PRIMARY KEY REFERENCES partners (id),
    offset_us  BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
