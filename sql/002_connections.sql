-- mod_slack_approvals: workspace connections (issue 3).

-- Why a connection stopped working (the Slack error or event), and when.
-- installed_at and token_fingerprint (SHA-256 of the bot token) let a late
-- revocation of an older token leave a newer installation alone.
ALTER TABLE sap_connections
    ADD COLUMN enterprise_id     text,
    ADD COLUMN status_reason     text,
    ADD COLUMN status_changed_at timestamptz,
    ADD COLUMN installed_at      timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN token_fingerprint text;

-- The key version is derived from the key itself (see sap_token_crypto.h):
-- no default, every row says which key encrypted it.
ALTER TABLE sap_connections ALTER COLUMN token_key_version DROP DEFAULT;

-- Instance errors name the workspace even after its connection row is gone
-- from a join's point of view, and one problem is reported once while open
-- (Slack retries events; revocation is seen by many jobs at once).
ALTER TABLE sap_instance_errors
    ADD COLUMN team_id   text,
    ADD COLUMN team_name text;
CREATE UNIQUE INDEX sap_instance_errors_one_open
    ON sap_instance_errors (connection_id, kind) WHERE resolved_at IS NULL;
