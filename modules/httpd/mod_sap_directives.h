/* httpd.conf directive names, in one place (docs/configuration.md documents them). */
#ifndef MOD_SAP_DIRECTIVES_H
#define MOD_SAP_DIRECTIVES_H

#define SAP_DIR_ENABLE              "SlackApprovals"
#define SAP_DIR_PUBLIC_URL          "SlackApprovalsPublicURL"
#define SAP_DIR_CLIENT_ID           "SlackApprovalsClientID"
#define SAP_DIR_CLIENT_SECRET_FILE  "SlackApprovalsClientSecretFile"
#define SAP_DIR_SIGNING_SECRET_FILE "SlackApprovalsSigningSecretFile"
#define SAP_DIR_TOKEN_KEY_FILE      "SlackApprovalsTokenKeyFile"
#define SAP_DIR_TOKEN_PREV_KEY_FILE "SlackApprovalsTokenPreviousKeyFile"
#define SAP_DIR_SLACK_API           "SlackApprovalsSlackAPI"
#define SAP_DIR_SLACK_AUTHORIZE_URL "SlackApprovalsSlackAuthorizeURL"
#define SAP_DIR_ENGINE_URL          "SlackApprovalsEngineURL"
#define SAP_DIR_ENGINE_TOKEN_FILE   "SlackApprovalsEngineTokenFile"
#define SAP_DIR_ENGINE_SECRET_FILE  "SlackApprovalsEngineSecretFile"
#define SAP_DIR_MAIL_RELAY          "SlackApprovalsMailRelay"
#define SAP_DIR_MAIL_FROM           "SlackApprovalsMailFrom"
#define SAP_DIR_CACHE               "SlackApprovalsCache"
#define SAP_DIR_WORKERS             "SlackApprovalsWorkers"
#define SAP_DIR_HISTORY_DAYS        "SlackApprovalsHistoryDays"
#define SAP_DIR_ALLOW_INSECURE_HTTP "SlackApprovalsAllowInsecureHTTP"

/* the handler name for SetHandler */
#define SAP_HANDLER_NAME            "slack-approvals"

#define SAP_DEFAULT_SLACK_API       "https://slack.com/api"
#define SAP_DEFAULT_AUTHORIZE_URL   "https://slack.com/oauth/v2/authorize"
#define SAP_DEFAULT_CACHE           "shmcb"
#define SAP_DEFAULT_WORKERS         4
#define SAP_MAX_WORKERS             64
#define SAP_DEFAULT_HISTORY_DAYS    30
#define SAP_MAX_HISTORY_DAYS        3650

#endif
