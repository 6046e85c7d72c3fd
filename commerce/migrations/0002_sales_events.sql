-- The Sales webhooks the front door has handled, by Dataverse operation: a
-- repeated delivery is recognised, and a decision that came after the
-- request was closed stays visible with the request.
CREATE TABLE sales_events (
    event_id    TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL,
    signal      TEXT NOT NULL,
    record_id   TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE INDEX sales_events_request ON sales_events (request_id, received_at);
