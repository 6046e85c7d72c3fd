-- Which step of a request needs an operator, and since when, so that the
-- front door shows it without asking the workflow.
ALTER TABLE prospects ADD COLUMN attention_step TEXT NOT NULL DEFAULT '';
ALTER TABLE prospects ADD COLUMN attention_since TEXT NOT NULL DEFAULT '';

-- The Sales webhook receiver finds a decision's request by its opportunity.
CREATE INDEX prospects_opportunity ON prospects (opportunity_id);
