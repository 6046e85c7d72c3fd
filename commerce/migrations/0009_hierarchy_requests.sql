-- A request of a company that is a partner already joins the partner's
-- hierarchy instead of making one of its own: this names the hierarchy each
-- such request joined. A hierarchy's own request stays in hierarchies.
CREATE TABLE hierarchy_requests (
    request_id   TEXT PRIMARY KEY,
    hierarchy_id TEXT NOT NULL REFERENCES hierarchies (id),
    joined_at    TEXT NOT NULL
);

CREATE INDEX hierarchies_by_root ON hierarchies (root_customer_id, created_at);
