-- Loans: the CCB number sequence, loans taken on offers, their installments and the payments received,
-- and the sandbox Pix rail's own ledger of transfers. Money is BIGINT centavos, instants BIGINT
-- microseconds, dates TEXT "YYYY-MM-DD", rates TEXT exactly as the domain holds them.

-- The last CCB number issued in each year: numbers run 1, 2, 3… per year with no gap among committed
-- transactions (the increment is part of the transaction that uses it).
CREATE TABLE ccb_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE loans (
    id                  TEXT PRIMARY KEY,
    partner_id          TEXT NOT NULL,
    environment         TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    customer_id         TEXT NOT NULL REFERENCES customers (id),
    credit_offer_id     TEXT NOT NULL REFERENCES credit_offers (id),
    simulation_id       TEXT NOT NULL REFERENCES simulations (id),
    status              TEXT NOT NULL CHECK (status IN ('awaiting_signatures', 'processing', 'active', 'finished',
                                                        'cancelled', 'error')),
    -- The terms, copied from the simulation.
    requested           BIGINT NOT NULL,
    principal           BIGINT NOT NULL,
    iof                 BIGINT NOT NULL,
    total               BIGINT NOT NULL,
    monthly_rate        TEXT NOT NULL,
    annual_rate         TEXT NOT NULL,
    monthly_cet         TEXT NOT NULL,
    annual_cet          TEXT NOT NULL,
    installment_count   INTEGER NOT NULL,
    installment_amount  BIGINT NOT NULL,
    first_due_date      TEXT NOT NULL,
    ccb_number          TEXT NOT NULL UNIQUE,
    ccb_key             TEXT NOT NULL DEFAULT '',
    ccb_sha256          TEXT NOT NULL DEFAULT '',
    -- The hosted signing page's capability; NULL once cleared (NULLs never collide in a UNIQUE column).
    signing_token       TEXT UNIQUE,
    -- JSON array of the signers with their signatures.
    signers             TEXT NOT NULL,
    sign_by             BIGINT NOT NULL,
    -- JSON snapshot of the bank account the money goes to.
    account             TEXT NOT NULL,
    -- The Pix end-to-end id of the loan's one transfer; NULL until it goes to processing.
    disbursement_e2e    TEXT UNIQUE,
    disbursement_method TEXT NOT NULL DEFAULT '',
    disbursed_at        BIGINT,
    -- JSON {code, message} of why the loan ended in error.
    failure             TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

-- One loan per offer: a live loan (any status but cancelled) holds its offer; a cancelled one releases it.
CREATE UNIQUE INDEX loans_one_per_offer ON loans (credit_offer_id) WHERE status <> 'cancelled';
CREATE INDEX loans_scope_order ON loans (partner_id, environment, created_at, id);
-- The cancellation sweep: loans awaiting signatures whose sign_by has passed.
CREATE INDEX loans_status_sign_by ON loans (status, sign_by);

CREATE TABLE installments (
    id             TEXT PRIMARY KEY,
    partner_id     TEXT NOT NULL,
    environment    TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    loan_id        TEXT NOT NULL REFERENCES loans (id),
    number         INTEGER NOT NULL,
    due_date       TEXT NOT NULL,
    principal      BIGINT NOT NULL,
    interest       BIGINT NOT NULL,
    fine           BIGINT NOT NULL,
    mora           BIGINT NOT NULL,
    -- Juros de mora of the periods closed by a payment, and the start of the open period (NULL before any).
    mora_settled   BIGINT NOT NULL DEFAULT 0,
    mora_since     TEXT,
    principal_paid BIGINT NOT NULL,
    interest_paid  BIGINT NOT NULL,
    charges_paid   BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'overdue', 'partially_paid')),
    days_overdue   INTEGER NOT NULL,
    -- The last date juros de mora were accrued for; NULL before any.
    mora_through   TEXT,
    paid_at        BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    -- Also the index of a loan's installments in number order.
    UNIQUE (loan_id, number)
);

-- The arrears sweep: unpaid installments past their due date.
CREATE INDEX installments_status_due_date ON installments (status, due_date);

CREATE TABLE payments (
    id                 TEXT PRIMARY KEY,
    partner_id         TEXT NOT NULL,
    environment        TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    loan_id            TEXT NOT NULL REFERENCES loans (id),
    amount             BIGINT NOT NULL,
    installment_number INTEGER NOT NULL,
    paid_at            BIGINT NOT NULL
);

CREATE INDEX payments_loan_order ON payments (loan_id, paid_at);

-- The sandbox Pix rail's own ledger, as an outside system would keep it: one transfer per end-to-end id,
-- and one per loan, ever (no loan is disbursed twice). No foreign key: the rail knows loans only by id.
CREATE TABLE sandbox_pix_transfers (
    e2e_id         TEXT PRIMARY KEY,
    loan_id        TEXT NOT NULL UNIQUE,
    amount         BIGINT NOT NULL,
    -- JSON of the destination bank account.
    account        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'settled', 'failed')),
    failure_reason TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
