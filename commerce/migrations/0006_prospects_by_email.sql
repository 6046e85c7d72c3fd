-- The front door counts the requests an address registered lately (each one
-- sent it a receipt), decided ones too: the pending-email index does not.
CREATE INDEX prospects_email_created ON prospects (email_key, created_at);
