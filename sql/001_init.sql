-- mod_slack_approvals: initial schema. Applied by scripts/sap-migrate, which
-- records the version in sap_schema_migrations under an advisory lock.

-- Slack workspaces connected through OAuth (at most 10: enforced under an
-- advisory lock by the module, see docs/architecture.md).
CREATE TABLE sap_connections (
    id                bigserial PRIMARY KEY,
    team_id           text NOT NULL UNIQUE,
    team_name         text NOT NULL,
    display_name      text NOT NULL,
    bot_user_id       text,
    app_id            text,
    token_ciphertext  bytea NOT NULL,            -- AES-256-GCM: nonce || ciphertext || tag
    token_key_version integer NOT NULL DEFAULT 1,
    scopes            text NOT NULL DEFAULT '',
    is_default        boolean NOT NULL DEFAULT false,
    status            text NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'revoked', 'uninstalled')),
    installed_by      text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- exactly one default at most
CREATE UNIQUE INDEX sap_connections_one_default ON sap_connections (is_default) WHERE is_default;

-- OAuth install states: single use, 10-minute TTL, bound to the admin user.
CREATE TABLE sap_oauth_states (
    state_hash  text PRIMARY KEY,                -- SHA-256 of the state, never the state
    admin_user  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX sap_oauth_states_expires ON sap_oauth_states (expires_at);

-- Global settings: one row.
CREATE TABLE sap_settings (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    mechanism        text NOT NULL DEFAULT 'native' CHECK (mechanism IN ('native', 'email', 'slack')),
    delivery_mode    text NOT NULL DEFAULT 'dm' CHECK (delivery_mode IN ('dm', 'channel', 'both')),
    default_channel  text,
    updated_by       text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sap_settings (id) VALUES (true);

-- Per-definition workspace and channel overrides.
CREATE TABLE sap_definition_overrides (
    product        text NOT NULL CHECK (product IN ('jira', 'confluence')),
    definition_id  text NOT NULL,
    connection_id  bigint REFERENCES sap_connections (id) ON DELETE SET NULL,
    channel        text,
    updated_by     text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product, definition_id)
);

-- Message templates: product x notification type. A missing row means the default.
CREATE TABLE sap_templates (
    product            text NOT NULL CHECK (product IN ('jira', 'confluence')),
    notification_type  text NOT NULL,
    slack_body         text NOT NULL,
    email_subject      text NOT NULL,
    email_body         text NOT NULL,
    updated_by         text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product, notification_type)
);

-- Events received from the approval engine (a duplicate event_id is ignored).
CREATE TABLE sap_engine_events (
    event_id     text PRIMARY KEY,
    type         text NOT NULL,
    product      text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    payload      jsonb NOT NULL
);
CREATE INDEX sap_engine_events_received ON sap_engine_events (received_at);

-- The durable outbox: workers claim with FOR UPDATE SKIP LOCKED and a lease.
CREATE TABLE sap_jobs (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL,
    payload       jsonb NOT NULL DEFAULT '{}',
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 5,
    run_after     timestamptz NOT NULL DEFAULT now(),
    lease_owner   text,
    lease_until   timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX sap_jobs_due ON sap_jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX sap_jobs_leased ON sap_jobs (lease_until) WHERE state = 'running';
CREATE INDEX sap_jobs_finished ON sap_jobs (finished_at) WHERE state IN ('done', 'failed');

-- Every Slack message sent, for in-place updates over the approval's lifecycle.
CREATE TABLE sap_slack_messages (
    id                    bigserial PRIMARY KEY,
    connection_id         bigint REFERENCES sap_connections (id) ON DELETE CASCADE,
    channel_id            text NOT NULL,
    ts                    text NOT NULL,
    thread_root_ts        text,
    product               text NOT NULL,
    approval_id           text NOT NULL,
    step_id               text NOT NULL,
    recipient_account_id  text,
    recipient_slack_user  text,
    delegate_of           text,                  -- account id of the approver a delegate acts for
    kind                  text NOT NULL CHECK (kind IN ('dm', 'channel')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sap_slack_messages_step ON sap_slack_messages (approval_id, step_id);
CREATE INDEX sap_slack_messages_channel_ts ON sap_slack_messages (channel_id, ts);

-- Notification history (admin activity log).
CREATE TABLE sap_notification_history (
    id                 bigserial PRIMARY KEY,
    created_at         timestamptz NOT NULL DEFAULT now(),
    event_id           text,
    product            text,
    notification_type  text,
    approval_id        text,
    step_id            text,
    recipient          text,
    channel            text,
    connection_id      bigint REFERENCES sap_connections (id) ON DELETE SET NULL,
    status             text NOT NULL CHECK (status IN ('SENT', 'UPDATED', 'FAILED')),
    error              text
);
CREATE INDEX sap_notification_history_created ON sap_notification_history (created_at);
CREATE INDEX sap_notification_history_status ON sap_notification_history (status, created_at);

-- Errors an admin must see on the settings page (revoked token, uninstalled app).
CREATE TABLE sap_instance_errors (
    id             bigserial PRIMARY KEY,
    connection_id  bigint REFERENCES sap_connections (id) ON DELETE CASCADE,
    kind           text NOT NULL,
    message        text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz
);
CREATE INDEX sap_instance_errors_open ON sap_instance_errors (created_at) WHERE resolved_at IS NULL;

-- Queue probes: an admin's end-to-end check that workers run stored jobs.
CREATE TABLE sap_queue_probes (
    id            bigserial PRIMARY KEY,
    requested_by  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    runs          integer NOT NULL DEFAULT 0,
    ran_at        timestamptz,
    ran_by        text
);
