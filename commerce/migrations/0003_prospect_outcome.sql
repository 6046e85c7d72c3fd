-- What the front door answers without asking the workflow: the decision and
-- the Sales opportunity. started_at marks a request whose workflow was
-- started, so that the restart loop looks only at those that were not.
ALTER TABLE prospects ADD COLUMN decision TEXT NOT NULL DEFAULT '';
ALTER TABLE prospects ADD COLUMN opportunity_id TEXT NOT NULL DEFAULT '';
ALTER TABLE prospects ADD COLUMN started_at TEXT;

-- A request that moved on from Received was started.
UPDATE prospects SET started_at = created_at WHERE status <> 'Received';

CREATE INDEX prospects_unstarted ON prospects (created_at) WHERE started_at IS NULL;
