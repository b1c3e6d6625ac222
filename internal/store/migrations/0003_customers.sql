-- Customers with their KYC, the files uploaded as KYC evidence, each customer's disbursement account, and
-- the biometrics sessions (single-use links) customers open to send their evidence.

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    partner_id    TEXT NOT NULL REFERENCES partners (id),
    environment   TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    external_id   TEXT,
    name          TEXT,
    email         TEXT NOT NULL,
    phone         TEXT NOT NULL,
    cpf           TEXT NOT NULL,
    cnpj          TEXT NOT NULL,
    trading_name  TEXT,
    legal_name    TEXT NOT NULL DEFAULT '',
    legal_nature  TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('creating', 'pending_kyc', 'under_review', 'active', 'denied')),
    -- JSON array of the KYC requirements; NULL until enrichment builds them.
    kyc           TEXT,
    denial_reason TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    -- Each CPF and CNPJ pair is registered once per scope. Its index also serves the cpf filter of the
    -- list (a leading-column prefix), so that filter has no index of its own.
    UNIQUE (partner_id, environment, cpf, cnpj)
);

CREATE INDEX customers_scope_created ON customers (partner_id, environment, created_at, id);
CREATE INDEX customers_scope_updated ON customers (partner_id, environment, updated_at, id);
CREATE INDEX customers_scope_external_id ON customers (partner_id, environment, external_id);
CREATE INDEX customers_scope_status ON customers (partner_id, environment, status, created_at, id);
CREATE INDEX customers_status_updated ON customers (status, updated_at);

CREATE TABLE kyc_files (
    id              TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL,
    environment     TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    requirement_id  TEXT NOT NULL,
    evidence_type   TEXT NOT NULL,
    attachment_type TEXT NOT NULL,
    blob_key        TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size            BIGINT NOT NULL,
    content_type    TEXT NOT NULL,
    uploaded_at     BIGINT NOT NULL,
    superseded_at   BIGINT
);

CREATE INDEX kyc_files_customer_order ON kyc_files (customer_id, uploaded_at, id);

CREATE TABLE bank_accounts (
    customer_id TEXT PRIMARY KEY REFERENCES customers (id),
    id          TEXT NOT NULL,
    partner_id  TEXT NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    bank_id     TEXT NOT NULL,
    bank_name   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    branch      TEXT NOT NULL,
    number      TEXT NOT NULL,
    digit       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE biometrics_sessions (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    code_hash   TEXT NOT NULL UNIQUE,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT,
    created_at  BIGINT NOT NULL
);

CREATE INDEX biometrics_sessions_customer_order ON biometrics_sessions (customer_id, created_at);
