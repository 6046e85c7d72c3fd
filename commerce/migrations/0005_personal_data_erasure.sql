-- When the retention erased the personal data of a rejected request; NULL
-- while the request keeps it.
ALTER TABLE prospects ADD COLUMN personal_data_erased_at TEXT;

-- The retention's batches look for rejected requests not erased yet, oldest
-- first.
CREATE INDEX prospects_erasable ON prospects (updated_at)
    WHERE status = 'Rejected' AND personal_data_erased_at IS NULL;
