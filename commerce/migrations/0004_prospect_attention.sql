-- Which step of a request needs an operator, and since when, so that the
-- front door shows it without asking the workflow.
ALTER TABLE prospects ADD COLUMN attention_step TEXT NOT NULL DEFAULT '';
ALTER TABLE prospects ADD COLUMN attention_since TEXT NOT NULL DEFAULT '';

-- The Sales webhook receiver finds a decision's request by its opportunity.
CREATE INDEX prospects_opportunity ON prospects (opportunity_id);
-- ... or by a delivered decision about it, such as the qualification that
-- created it, before the request has recorded the opportunity itself.
CREATE INDEX sales_events_record ON sales_events (record_id);
