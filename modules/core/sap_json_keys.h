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

#endif
