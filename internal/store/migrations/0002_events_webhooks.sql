-- The event log, partners' webhook endpoints, and each event's delivery to each endpoint with its attempts.

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners (id),
    environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX events_scope_order ON events (partner_id, environment, created_at, id);

CREATE TABLE webhook_endpoints (
    id                         TEXT PRIMARY KEY,
    partner_id                 TEXT NOT NULL REFERENCES partners (id),
    environment                TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    url                        TEXT NOT NULL,
    events                     TEXT NOT NULL,
    description                TEXT NOT NULL,
    status                     TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    disabled_reason            TEXT NOT NULL DEFAULT '',
    secret                     TEXT NOT NULL,
    previous_secret            TEXT,
    previous_secret_expires_at BIGINT,
    failing_since              BIGINT,
    deleted_at                 BIGINT,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);

CREATE INDEX webhook_endpoints_scope_order ON webhook_endpoints (partner_id, environment, created_at, id);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id),
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    partner_id      TEXT NOT NULL,
    environment     TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempt_count   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    in_flight_until BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE INDEX webhook_deliveries_endpoint_order ON webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt          INTEGER NOT NULL,
    attempted_at     BIGINT NOT NULL,
    response_status  INTEGER,
    duration_ms      INTEGER NOT NULL,
    response_excerpt TEXT NOT NULL,
    error            TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
