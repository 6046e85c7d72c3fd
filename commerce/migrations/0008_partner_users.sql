-- A partner's admins add users, change their roles and remove them. A
-- removed user stays in the hierarchy, inactive: it may no longer sign in.
ALTER TABLE customers ADD COLUMN active INTEGER NOT NULL DEFAULT 1;

-- The users an admin asked to add, each carried out by a workflow that is
-- given only the row's ID (the user's data stays here). Status is Pending,
-- Added or Refused; refusal says why.
CREATE TABLE partner_user_additions (
    id                 TEXT PRIMARY KEY,
    organization_id    TEXT NOT NULL REFERENCES customers (id),
    hierarchy_id       TEXT NOT NULL REFERENCES hierarchies (id),
    acting_customer_id TEXT NOT NULL REFERENCES customers (id),
    first_name         TEXT NOT NULL,
    last_name          TEXT NOT NULL,
    email              TEXT NOT NULL,
    email_key          TEXT NOT NULL,
    job_title          TEXT NOT NULL DEFAULT '',
    role               TEXT NOT NULL,
    locale             TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('Pending', 'Added', 'Refused')),
    refusal            TEXT NOT NULL DEFAULT '',
    customer_id        TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE INDEX partner_user_additions_organization ON partner_user_additions (organization_id, created_at);

-- Finds who uses an address, across partners.
CREATE INDEX customers_email ON customers (lower(email));
