-- mod_slack_approvals: notification dispatch (issue 4).

-- What became of each engine event: dispatched_at when its notifications
-- were planned, outcome in words ("slack: 3 recipients, dm",
-- "native: nothing sent", …).
ALTER TABLE sap_engine_events
    ADD COLUMN approval_id   text,
    ADD COLUMN step_id       text,
    ADD COLUMN dispatched_at timestamptz,
    ADD COLUMN outcome       text;

-- Channels are stored as Slack's id (what chat.postMessage answered when the
-- setting was checked) and shown by the name the admin typed.
ALTER TABLE sap_settings ADD COLUMN default_channel_name text;
ALTER TABLE sap_definition_overrides ADD COLUMN channel_name text;

-- Which notification a Slack message belongs to, and to whom it went.
ALTER TABLE sap_slack_messages
    ADD COLUMN event_id          text,
    ADD COLUMN notification_type text,
    ADD COLUMN recipient_email   text;

-- A row per recipient per notification and way (dm, channel, email).
-- recipient is the person's email (or account id when there is none);
-- delegate_of the approver a delegate was notified for; fallback what became
-- of the email fallback of a FAILED row ("sent", "not sent: …").
ALTER TABLE sap_notification_history
    ADD COLUMN recipient_name text,
    ADD COLUMN delegate_of    text,
    ADD COLUMN kind           text CHECK (kind IN ('dm', 'channel', 'email')),
    ADD COLUMN slack_user_id  text,
    ADD COLUMN fallback       text;
-- A job that runs again (its worker died, the database failed half-way)
-- finds what it already delivered and does not deliver it twice.
CREATE UNIQUE INDEX sap_notification_history_once
    ON sap_notification_history (event_id, kind, recipient, coalesce(delegate_of, ''))
    WHERE event_id IS NOT NULL AND status <> 'UPDATED';
CREATE INDEX sap_notification_history_recipient ON sap_notification_history (recipient, created_at);
