# Shared by scripts/test.sh and scripts/run.sh (sourced, not run): secrets,
# ports, PostgreSQL and the fakes for one run. Everything started here is
# recorded in $SAP_RUN_DIR/pids and stopped by sap_env_stop.

sap_free_port() {
  perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1) or die; print $s->sockport'
}

# Writes the secret files the configuration names (DESIGN section 3), those
# that do not exist yet: make run keeps them (the token key must outlive the
# tokens it encrypts). The htpasswd goes where httpd's children (User nobody)
# can read it.
sap_make_secrets() {
  local dir=$1 htpasswd=$2 name
  mkdir -p "$dir"
  chmod 0700 "$dir"
  for name in client_secret:24 signing_secret:16 token_key:32 engine_token:20 engine_secret:16; do
    [ -s "$dir/${name%%:*}" ] || (umask 077; openssl rand -hex "${name##*:}" > "$dir/${name%%:*}")
  done
  htpasswd -bcB "$htpasswd" admin "${SAP_ADMIN_PASSWORD:-admin-password}" 2>/dev/null
  chmod 0644 "$htpasswd"
}

# Starts a fake in the background and waits for its READY line; echoes its JSON.
sap_start_fake() {
  local name=$1; shift
  local out="$SAP_RUN_DIR/$name.out" i
  node "$SAP_TOP/t/fakes/$name.js" "$@" > "$out" 2> "$SAP_RUN_DIR/$name.err" &
  echo $! >> "$SAP_RUN_DIR/pids"
  for i in $(seq 1 100); do
    if grep -q '^READY ' "$out" 2>/dev/null; then
      sed -n 's/^READY //p' "$out" | head -n 1
      return 0
    fi
    sleep 0.1
  done
  echo "could not start fake $name:" >&2
  cat "$SAP_RUN_DIR/$name.err" >&2
  return 1
}

json_field() { perl -MJSON::PP -e 'print JSON::PP::decode_json($ARGV[0])->{$ARGV[1]}' "$1" "$2"; }

# Starts PostgreSQL (migrated) and the three fakes; exports what
# t/conf/extra.conf.in and conf/local.conf read.
sap_env_start() {
  local pg_dir=$1 pg_port=$2 slack_port=${3:-0} engine_port=${4:-0} smtp_port=${5:-0}
  local ready
  export SAP_TOP SAP_RUN_DIR
  export SAP_TEST_SECRETS=${SAP_TEST_SECRETS:-$SAP_RUN_DIR/secrets}
  export SAP_HTPASSWD="$SAP_RUN_DIR/htpasswd"
  sap_make_secrets "$SAP_TEST_SECRETS" "$SAP_HTPASSWD"
  "$SAP_TOP/scripts/pg.sh" start "$pg_dir" "$pg_port"
  echo "$pg_dir" > "$SAP_RUN_DIR/pg_dir"
  export SAP_TEST_DBPARAMS
  SAP_TEST_DBPARAMS=$("$SAP_TOP/scripts/pg.sh" conninfo "$pg_dir" "$pg_port")
  export SAP_TEST_PGPORT=$pg_port
  "$SAP_TOP/scripts/sap-migrate" "$SAP_TEST_DBPARAMS" >/dev/null
  ready=$(sap_start_fake fake-slack --port "$slack_port" --signing-secret-file "$SAP_TEST_SECRETS/signing_secret" \
          --client-id "${SAP_CLIENT_ID:-1111.2222}" --client-secret-file "$SAP_TEST_SECRETS/client_secret" \
          ${SAP_FAKE_SLACK_SEED:+--seed "$SAP_FAKE_SLACK_SEED"} \
          ${SAP_FAKE_SLACK_TOKENS:+--tokens-file "$SAP_FAKE_SLACK_TOKENS"})
  export SAP_FAKE_SLACK_PORT; SAP_FAKE_SLACK_PORT=$(json_field "$ready" port)
  ready=$(sap_start_fake fake-engine --port "$engine_port" --token-file "$SAP_TEST_SECRETS/engine_token" \
          --secret-file "$SAP_TEST_SECRETS/engine_secret")
  export SAP_FAKE_ENGINE_PORT; SAP_FAKE_ENGINE_PORT=$(json_field "$ready" port)
  ready=$(sap_start_fake smtp-sink --port "$smtp_port" --control-port 0)
  export SAP_FAKE_SMTP_PORT SAP_FAKE_SMTP_CONTROL_PORT
  SAP_FAKE_SMTP_PORT=$(json_field "$ready" port)
  SAP_FAKE_SMTP_CONTROL_PORT=$(json_field "$ready" control_port)
}

sap_env_stop() {
  local pid
  if [ -f "$SAP_RUN_DIR/pids" ]; then
    while read -r pid; do
      kill "$pid" 2>/dev/null || true
    done < "$SAP_RUN_DIR/pids"
    while read -r pid; do
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done < "$SAP_RUN_DIR/pids"
    rm -f "$SAP_RUN_DIR/pids"
  fi
  if [ -f "$SAP_RUN_DIR/pg_dir" ]; then
    "$SAP_TOP/scripts/pg.sh" stop "$(cat "$SAP_RUN_DIR/pg_dir")" || true
    rm -f "$SAP_RUN_DIR/pg_dir"
  fi
}
