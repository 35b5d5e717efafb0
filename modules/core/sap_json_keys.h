/* JSON keys used by the module, in one place. */
#ifndef SAP_JSON_KEYS_H
#define SAP_JSON_KEYS_H

/* job payloads */
#define SAP_JK_PROBE_ID        "probe_id"
#define SAP_JK_SLEEP_MS        "sleep_ms"

/* /healthz and admin API answers */
#define SAP_JK_STATUS          "status"
#define SAP_JK_DB              "db"
#define SAP_JK_SCHEMA          "schema"
#define SAP_JK_VERSION         "version"
#define SAP_JK_EXPECTED        "expected"
#define SAP_JK_WORKERS         "workers"
#define SAP_JK_THREADS         "threads"
#define SAP_JK_BUSY            "busy"
#define SAP_JK_QUEUE           "queue"
#define SAP_JK_QUEUED          "queued"
#define SAP_JK_RUNNING         "running"
#define SAP_JK_FAILED          "failed"
#define SAP_JK_CACHE           "cache"
#define SAP_JK_PROVIDER        "provider"
#define SAP_JK_ERROR           "error"
#define SAP_JK_MESSAGE         "message"
#define SAP_JK_ID              "id"
#define SAP_JK_JOB_ID          "job_id"
#define SAP_JK_JOB_STATE       "job_state"
#define SAP_JK_JOB_ATTEMPTS    "job_attempts"
#define SAP_JK_REQUESTED_BY    "requested_by"
#define SAP_JK_CREATED_AT      "created_at"
#define SAP_JK_RAN_AT          "ran_at"
#define SAP_JK_RAN_BY          "ran_by"
#define SAP_JK_RUNS            "runs"
#define SAP_JK_KEY             "key"
#define SAP_JK_VALUE           "value"
#define SAP_JK_TTL             "ttl"
#define SAP_JK_PID             "pid"
#define SAP_JK_FOUND           "found"

/* Slack Events API */
#define SAP_JK_TYPE            "type"
#define SAP_JK_CHALLENGE       "challenge"
#define SAP_JK_EVENT           "event"
#define SAP_JK_EVENT_ID        "event_id"
#define SAP_JK_EVENT_TIME      "event_time"
#define SAP_JK_TEAM_ID         "team_id"
#define SAP_JK_TOKENS          "tokens"
#define SAP_JK_BOT             "bot"

/* Slack Web API answers */
#define SAP_JK_OK              "ok"
#define SAP_JK_CHANNEL         "channel"
#define SAP_JK_TS              "ts"
#define SAP_JK_USER            "user"
#define SAP_JK_TEXT            "text"
#define SAP_JK_EMAIL           "email"

/* oauth.v2.access answers */
#define SAP_JK_ACCESS_TOKEN    "access_token"
#define SAP_JK_TOKEN_TYPE      "token_type"
#define SAP_JK_SCOPE           "scope"
#define SAP_JK_TEAM            "team"
#define SAP_JK_NAME            "name"
#define SAP_JK_ENTERPRISE      "enterprise"
#define SAP_JK_AUTHED_USER     "authed_user"

/* connections (admin API; cache entries) */
#define SAP_JK_CONNECTIONS     "connections"
#define SAP_JK_TEAM_NAME       "team_name"
#define SAP_JK_DISPLAY_NAME    "display_name"
#define SAP_JK_ENTERPRISE_ID   "enterprise_id"
#define SAP_JK_BOT_USER_ID     "bot_user_id"
#define SAP_JK_APP_ID          "app_id"
#define SAP_JK_SCOPES          "scopes"
#define SAP_JK_IS_DEFAULT      "is_default"
#define SAP_JK_STATUS_REASON   "status_reason"
#define SAP_JK_STATUS_CHANGED_AT "status_changed_at"
#define SAP_JK_INSTALLED_BY    "installed_by"
#define SAP_JK_UPDATED_AT      "updated_at"
#define SAP_JK_TOKEN           "token"
#define SAP_JK_FINGERPRINT     "fingerprint"
#define SAP_JK_DEFAULT_ID      "default_connection_id"
#define SAP_JK_LIMIT           "limit"
#define SAP_JK_REVOKED         "revoked"

/* instance errors */
#define SAP_JK_ERRORS          "errors"
#define SAP_JK_CONNECTION_ID   "connection_id"
#define SAP_JK_KIND            "kind"
#define SAP_JK_RESOLVED_AT     "resolved_at"
#define SAP_JK_ACTION          "action"
#define SAP_JK_REAUTHORIZE_URL "reauthorize_url"
#define SAP_JK_SLACK_ERROR     "slack_error"

#endif
