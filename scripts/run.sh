#!/bin/bash
# make run: installs what is missing, builds, starts PostgreSQL (kept under
# ./var between runs, migrated), the fakes, and httpd with the module on
# 127.0.0.1:8080 in the foreground. Ctrl-C stops everything.
set -euo pipefail

SAP_TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$SAP_TOP"

bash scripts/install-deps.sh
make -s module > "${TMPDIR:-/tmp}/sap-build.log" 2>&1 || { cat "${TMPDIR:-/tmp}/sap-build.log" >&2; exit 1; }

PG_PORT=${SAP_RUN_PG_PORT:-55439}
SLACK_PORT=${SAP_RUN_SLACK_PORT:-8081}
ENGINE_PORT=${SAP_RUN_ENGINE_PORT:-8082}
SMTP_PORT=${SAP_RUN_SMTP_PORT:-2525}

# PostgreSQL runs as 'postgres': its data must sit where that user can reach
# it. ./var/pg if the checkout is reachable, else a per-checkout directory
# under /var/tmp (linked from ./var/pg).
mkdir -p var
pg_dir="$SAP_TOP/var/pg"
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$SAP_TOP/var"; then
  pg_dir="/var/tmp/mod_slack_approvals-$(echo "$SAP_TOP" | sha1sum | cut -c1-12)/pg"
  mkdir -p "$(dirname "$pg_dir")"; chmod 0755 "$(dirname "$pg_dir")"
  ln -sfn "$pg_dir" "$SAP_TOP/var/pg"
fi

# Runtime files (secrets, logs, htpasswd) where httpd's children can read them.
SAP_RUN_DIR=$(mktemp -d /tmp/sap-run.XXXXXX)
chmod 0755 "$SAP_RUN_DIR"
mkdir -p "$SAP_RUN_DIR/htdocs"
# The settings page (ui/), where httpd's children can read it (conf/local.conf).
cp -R ui "$SAP_RUN_DIR/ui"
chmod -R u=rwX,go=rX "$SAP_RUN_DIR/ui"
export SAP_UI_DIR="$SAP_RUN_DIR/ui"
export SAP_TOP SAP_RUN_DIR
export SAP_ADMIN_PASSWORD=admin
# kept beside the database: the token key must outlive the tokens it encrypts
export SAP_TEST_SECRETS
SAP_TEST_SECRETS="$(dirname "$pg_dir")/secrets"
# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh

httpd_pid=
finish() {
  trap - EXIT INT TERM
  [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null && wait "$httpd_pid" 2>/dev/null || true
  sap_env_stop
  rm -rf "$SAP_RUN_DIR"
  echo "make run: stopped."
}
trap finish EXIT
trap 'exit 0' INT TERM

# The fake Slack's sandbox workspace (the authorize page's default team) has
# #general, #approvals and two users, so test messages work out of the box.
# Its bot tokens are kept beside the database, like the tokens the module stored:
# a workspace connected in an earlier run still works.
SAP_FAKE_SLACK_SEED="$SAP_TOP/conf/sandbox-slack.json" \
SAP_FAKE_SLACK_TOKENS="$SAP_TEST_SECRETS/fake-slack-tokens.json" \
  sap_env_start "$pg_dir" "$PG_PORT" "$SLACK_PORT" "$ENGINE_PORT" "$SMTP_PORT"
export SAP_MODULE_SO="$SAP_TOP/.libs/mod_slack_approvals.so"

apache2 -t -f "$SAP_TOP/conf/local.conf" >/dev/null
apache2 -DFOREGROUND -f "$SAP_TOP/conf/local.conf" &
httpd_pid=$!

for _ in $(seq 1 50); do
  curl -fsS http://127.0.0.1:8080/slack-approvals/healthz >/dev/null 2>&1 && break
  sleep 0.2
done

cat <<MSG

mod_slack_approvals sandbox is running (Ctrl-C stops everything):
  settings page: http://127.0.0.1:8080/slack-approvals/admin/settings/   (user admin, password admin)
                 (ui/ is copied at start: restart make run to see edits)
  health:        http://127.0.0.1:8080/slack-approvals/healthz
  admin API:     http://127.0.0.1:8080/slack-approvals/admin/api/…   (user admin, password admin)
                 e.g. curl -u admin:admin -H 'Content-Type: application/json' -d '{}' \\
                      http://127.0.0.1:8080/slack-approvals/admin/api/probes
  fake Slack:    http://127.0.0.1:$SAP_FAKE_SLACK_PORT/api   (control: /_control/calls)
  fake engine:   http://127.0.0.1:$SAP_FAKE_ENGINE_PORT     (control: /_control/decisions)
  an event:      scripts/sandbox-event [TYPE] [PRODUCT]   (connect the Sandbox workspace first; then see
                 the fake Slack's /_control/messages and …/admin/api/history)
  SMTP sink:     smtp://127.0.0.1:$SAP_FAKE_SMTP_PORT   (messages: http://127.0.0.1:$SAP_FAKE_SMTP_CONTROL_PORT/_control/messages)
  PostgreSQL:    psql "$SAP_TEST_DBPARAMS"
  data:          $pg_dir (kept between runs)
MSG
wait "$httpd_pid"
