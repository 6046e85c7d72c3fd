-- The Commerce side of partner onboarding. Kept to SQL that SQLite and
-- PostgreSQL both accept: TEXT ids, timestamps as fixed-width UTC TEXT.

CREATE TABLE prospects (
    request_id   TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    company_name TEXT NOT NULL DEFAULT '',
    tax_id       TEXT NOT NULL DEFAULT '',
    street       TEXT NOT NULL DEFAULT '',
    city         TEXT NOT NULL DEFAULT '',
    postal_code  TEXT NOT NULL DEFAULT '',
    country_code TEXT NOT NULL DEFAULT '',
    first_name   TEXT NOT NULL DEFAULT '',
    last_name    TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL,
    email_key    TEXT NOT NULL,
    phone        TEXT NOT NULL DEFAULT '',
    job_title    TEXT NOT NULL DEFAULT '',
    locale       TEXT NOT NULL DEFAULT '',
    comments     TEXT NOT NULL DEFAULT '',
    lead_id      TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- One pending request per requester: the database, not the caller, decides
-- which of two concurrent sign-ups wins. Decided requests do not count, so a
-- rejected partner may apply again.
CREATE UNIQUE INDEX prospects_pending_email ON prospects (email_key)
    WHERE status NOT IN ('Approved', 'Rejected');

CREATE INDEX prospects_lead ON prospects (lead_id);

CREATE TABLE customers (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('Person', 'Organization')),
    sales_record_id TEXT NOT NULL UNIQUE,
    request_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    job_title       TEXT NOT NULL DEFAULT '',
    street          TEXT NOT NULL DEFAULT '',
    city            TEXT NOT NULL DEFAULT '',
    postal_code     TEXT NOT NULL DEFAULT '',
    country_code    TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE INDEX customers_request ON customers (request_id);

CREATE TABLE hierarchies (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL UNIQUE,
    purpose          TEXT NOT NULL,
    root_customer_id TEXT NOT NULL REFERENCES customers (id),
    created_at       TEXT NOT NULL
);

CREATE TABLE hierarchy_members (
    hierarchy_id TEXT NOT NULL REFERENCES hierarchies (id) ON DELETE CASCADE,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    role         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (hierarchy_id, customer_id)
);

CREATE TABLE credit_limits (
    customer_id TEXT PRIMARY KEY REFERENCES customers (id),
    amount      BIGINT NOT NULL CHECK (amount >= 0),
    currency    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE sent_emails (
    request_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    PRIMARY KEY (request_id, kind)
);
