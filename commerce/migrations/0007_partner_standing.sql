-- After approval the shop's staff change a partner's credit limit and block
-- or unblock it. The current values sit beside an append-only list of every
-- change: who, when and why.

-- Whether orders may go over the limit; the limit set at approval does not.
ALTER TABLE credit_limits ADD COLUMN allow_over_limit INTEGER NOT NULL DEFAULT 0;

-- One row per partner organization that staff have changed: whether it is
-- blocked (its users sign in but may not order), and how many changes its
-- list holds, which numbers them in order and, updated first in each change's
-- transaction, lets one change of a partner commit at a time.
CREATE TABLE partner_standing (
    customer_id TEXT PRIMARY KEY REFERENCES customers (id),
    blocked     INTEGER NOT NULL DEFAULT 0,
    changes     INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);

-- Rows are only ever added.
CREATE TABLE partner_changes (
    customer_id      TEXT NOT NULL REFERENCES customers (id),
    seq              INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('CreditLimit', 'Blocked', 'Unblocked')),
    amount           BIGINT,
    currency         TEXT,
    allow_over_limit INTEGER,
    changed_by       TEXT NOT NULL,
    reason           TEXT NOT NULL,
    changed_at       TEXT NOT NULL,
    PRIMARY KEY (customer_id, seq)
);
