-- mod_slack_approvals: interactive approvals in Slack (issue 5).

-- A click becomes one job whose dedup_key is the decision's request_id
-- (who, which message, which step, what decision): a double click or
-- Slack's retry of the same payload finds the job already there. A job
-- that failed (the engine could not be reached, the user could not be
-- matched) may be queued again by clicking again.
ALTER TABLE sap_jobs ADD COLUMN dedup_key text;
CREATE UNIQUE INDEX sap_jobs_dedup ON sap_jobs (dedup_key) WHERE dedup_key IS NOT NULL;

-- The latest event of a step: the vote options and the comment rule of a
-- modal, the names in the feedback.
CREATE INDEX sap_engine_events_step ON sap_engine_events (product, approval_id, step_id, received_at);
