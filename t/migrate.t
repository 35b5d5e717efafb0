# scripts/sap-migrate and sql/: idempotent runs, --status, the schema it
# builds, concurrent runs, a broken migration rolled back whole, and the
# constraints the module relies on. Works on databases of its own on the test
# cluster, dropped at the end.
use strict;
use warnings FATAL => 'all';
use Test::More;
use File::Copy qw(copy);
use File::Path qw(make_path);
use POSIX ();
use lib "t/lib";
use SAP::Test qw(run_command);

my $top = $ENV{SAP_TOP} or plan skip_all => 'SAP_TOP unset: run through make test';
my $run_dir = $ENV{SAP_RUN_DIR} or plan skip_all => 'SAP_RUN_DIR unset: run through make test';
my $pg_port = $ENV{SAP_TEST_PGPORT} or plan skip_all => 'SAP_TEST_PGPORT unset: run through make test';

my $migrate = "$top/scripts/sap-migrate";
my $sql_dir = "$top/sql";

sub conninfo { my ($db) = @_; return "host=127.0.0.1 port=$pg_port user=postgres dbname=$db" }

sub run { return run_command(@_) }

# psql on database $db; returns (exit code, output: unaligned, tuples only).
sub psql_on {
    my ($db, $sql) = @_;
    my ($rc, $out) = run('psql', conninfo($db), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
                         '-c', $sql);
    chomp $out;
    return ($rc, $out);
}

# The output of SQL that must work.
sub query {
    my ($db, $sql) = @_;
    my ($rc, $out) = psql_on($db, $sql);
    die "psql failed on $db ($rc): $sql\n$out\n" if $rc;
    return $out;
}

my %created;
sub fresh_db {
    my ($db) = @_;
    query('postgres', qq{DROP DATABASE IF EXISTS "$db" WITH (FORCE)});
    query('postgres', qq{CREATE DATABASE "$db"});
    $created{$db} = 1;
    return $db;
}

END {
    for my $db (sort keys %created) {
        my ($rc, $out) = psql_on('postgres', qq{DROP DATABASE IF EXISTS "$db" WITH (FORCE)});
        diag "could not drop database $db: $out" if $rc;
    }
}

# What sql/ holds now: the run must end at its highest number.
my @files = sort map { m{/(\d{3}_[^/]+)\.sql\z} ? $1 : () } glob("$sql_dir/*.sql");
my ($latest) = map { /^0*(\d+)_/ ? $1 : () } $files[-1] // "000_";
$latest //= 0;
ok(@files && $files[0] eq '001_init', 'sql/ starts with 001_init') or diag "@files";

# ---- one database, migrated twice -------------------------------------------

my $db = fresh_db("sap_migrate_test_$$");
my ($rc, $out) = run($migrate, conninfo($db));
ok($rc == 0 && $out =~ /^sap-migrate: applied 001_init$/m
   && $out =~ /^sap-migrate: schema version $latest \(${\ scalar @files} applied now\)$/m,
   'first run applies 001_init and prints the version') or diag "exit $rc:\n$out";

($rc, $out) = run($migrate, conninfo($db));
ok($rc == 0 && $out =~ /^sap-migrate: schema version $latest \(0 applied now\)$/m && $out !~ /applied \d{3}_/,
   'second run applies nothing') or diag "exit $rc:\n$out";

($rc, $out) = run($migrate, '--status', conninfo($db));
ok($rc == 0 && $out =~ /^001_init: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m && $out !~ /pending/,
   '--status lists 001_init with a timestamp') or diag "exit $rc:\n$out";

is(query($db, 'SELECT version, name FROM sap_schema_migrations WHERE version = 1'), '1|init',
   'version 1 recorded once, named init');

my @tables = qw(sap_connections sap_oauth_states sap_settings sap_definition_overrides sap_templates
                sap_engine_events sap_jobs sap_slack_messages sap_notification_history
                sap_instance_errors sap_queue_probes sap_schema_migrations);
my %have = map { $_ => 1 } split /\n/,
    query($db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
is_deeply([grep { !$have{$_} } @tables], [], 'every expected table exists');

is(query($db, 'SELECT mechanism, delivery_mode, default_channel IS NULL FROM sap_settings'), 'native|dm|t',
   'sap_settings: one row, mechanism native, delivery dm, no default channel');

# ---- constraints --------------------------------------------------------------

# SQL that must fail with an error matching $why.
sub rejected {
    my ($name, $sql, $why) = @_;
    my ($rc, $text) = psql_on($db, $sql);
    ok($rc != 0 && $text =~ $why, "rejected: $name") or diag "exit $rc:\n$text";
}

sub accepted {
    my ($name, $sql) = @_;
    my ($rc, $text) = psql_on($db, $sql);
    ok($rc == 0, "accepted: $name") or diag "exit $rc:\n$text";
}

sub connection_sql {
    my ($team, $default, $status) = @_;
    return "INSERT INTO sap_connections (team_id, team_name, display_name, token_ciphertext, "
         . "token_key_version, is_default" . ($status ? ', status' : '')
         . ") VALUES ('$team', 'Team $team', 'Team $team', '\\x00', 7, $default"
         . ($status ? ", '$status'" : '') . ')';
}

accepted('a default connection', connection_sql('T1', 'true'));
rejected('a second default connection', connection_sql('T2', 'true'),
         qr/duplicate key value violates unique constraint "sap_connections_one_default"/);
accepted('a second connection that is not the default', connection_sql('T3', 'false'));
accepted('a third one, not the default either', connection_sql('T4', 'false'));
is(query($db, 'SELECT count(*), count(*) FILTER (WHERE is_default) FROM sap_connections'), '3|1',
   'three connections, one default');
rejected('the same team twice', connection_sql('T1', 'false'), qr/sap_connections_team_id_key/);
rejected('a connection status outside active/revoked/uninstalled', connection_sql('T5', 'false', 'deleted'),
         qr/sap_connections_status_check/);

rejected('a connection without the version of its token key',
         "INSERT INTO sap_connections (team_id, team_name, display_name, token_ciphertext) "
         . "VALUES ('T6', 'T6', 'T6', '\\x00')", qr/token_key_version/);
my $error_sql = "INSERT INTO sap_instance_errors (connection_id, kind, message) "
              . "SELECT id, 'token_revoked', 'm' FROM sap_connections WHERE team_id = 'T1'";
accepted('an open instance error', $error_sql);
rejected('a second open error of the same kind for one connection', $error_sql,
         qr/sap_instance_errors_one_open/);
accepted('once resolved, the same kind may be reported again',
         "UPDATE sap_instance_errors SET resolved_at = now(); $error_sql");

accepted('a queued job', "INSERT INTO sap_jobs (kind, state) VALUES ('probe', 'queued')");
rejected('a job in an unknown state', "INSERT INTO sap_jobs (kind, state) VALUES ('probe', 'pending')",
         qr/sap_jobs_state_check/);
rejected('a job moved to an unknown state', "UPDATE sap_jobs SET state = 'lost'", qr/sap_jobs_state_check/);

accepted('history rows SENT, UPDATED, FAILED',
         "INSERT INTO sap_notification_history (status) VALUES ('SENT'), ('UPDATED'), ('FAILED')");
rejected('a history status outside SENT/UPDATED/FAILED',
         "INSERT INTO sap_notification_history (status) VALUES ('DELIVERED')",
         qr/sap_notification_history_status_check/);
rejected('a lower-case history status', "INSERT INTO sap_notification_history (status) VALUES ('sent')",
         qr/sap_notification_history_status_check/);

rejected('a second settings row', 'INSERT INTO sap_settings (id) VALUES (false)', qr/sap_settings_id_check/);
rejected('an unknown notification mechanism', "UPDATE sap_settings SET mechanism = 'sms'",
         qr/sap_settings_mechanism_check/);
rejected('an unknown delivery mode', "UPDATE sap_settings SET delivery_mode = 'thread'",
         qr/sap_settings_delivery_mode_check/);
rejected('an unknown message kind',
         "INSERT INTO sap_slack_messages (channel_id, ts, product, approval_id, step_id, kind) "
         . "VALUES ('C1', '1.2', 'jira', 'A-1', 'S-1', 'group')", qr/sap_slack_messages_kind_check/);
rejected('an override for an unknown product',
         "INSERT INTO sap_definition_overrides (product, definition_id) VALUES ('bitbucket', 'D-1')",
         qr/sap_definition_overrides_product_check/);

# ---- five at once ---------------------------------------------------------------

my $conc = fresh_db("sap_migrate_test_${$}_conc");
my @runs;
for (1 .. 5) {
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        exec $migrate, conninfo($conc) or POSIX::_exit(127);
    }
    push @runs, $fh;
}
my (@codes, @outs);
for my $fh (@runs) {
    local $/;
    push @outs, <$fh> // '';
    close $fh;
    push @codes, $? >> 8;
}
is_deeply(\@codes, [0, 0, 0, 0, 0], 'five concurrent runs all exit 0') or diag join "\n", @outs;
is(scalar(grep { /^sap-migrate: applied 001_init$/m } @outs), 1, 'exactly one of them applied 001_init');
is(query($conc, 'SELECT count(*) FROM sap_schema_migrations WHERE version = 1'), 1,
   'version 1 is recorded exactly once');
is(query($conc, 'SELECT count(*) FROM sap_settings'), 1, 'and sap_settings has its one row');

# Paths and names with a space and a quote reach psql intact.
my $odd_dir = "$run_dir/migrate t/it's here";
make_path($odd_dir);
open my $odd, '>', "$odd_dir/900_it's odd.sql" or die "$odd_dir: $!";
print {$odd} "CREATE TABLE sap_migrate_t_odd (id integer);\n";
close $odd;
($rc, $out) = run($migrate, '--sql-dir', $odd_dir, conninfo($conc));
ok($rc == 0 && $out =~ /^sap-migrate: applied 900_it's odd$/m, 'a path with a space and a quote')
    or diag "exit $rc:\n$out";
is(query($conc, 'SELECT name FROM sap_schema_migrations WHERE version = 900'), "it's odd",
   'its name is recorded as it is');

# ---- a broken migration ------------------------------------------------------------

my $broken_dir = "$run_dir/migrate-broken";
make_path($broken_dir);
copy("$sql_dir/001_init.sql", "$broken_dir/001_init.sql") or die "copy: $!";
open my $fh, '>', "$broken_dir/002_broken.sql" or die "$broken_dir: $!";
print {$fh} <<'SQL';
-- changes an existing table, creates one, then fails
ALTER TABLE sap_settings ADD COLUMN broken_column integer;
UPDATE sap_settings SET mechanism = 'email';
CREATE TABLE sap_broken_probe (id integer);
SELEC 1;
SQL
close $fh;

my $broken = fresh_db("sap_migrate_test_${$}_broken");
($rc, $out) = run($migrate, '--sql-dir', $broken_dir, conninfo($broken));
ok($rc != 0 && $out =~ /^sap-migrate: applied 001_init$/m && $out =~ /002_broken failed/
   && $out =~ /syntax error/, 'a broken 002 fails with a non-zero exit and says which') or diag "exit $rc:\n$out";
is(query($broken, 'SELECT string_agg(version::text, \',\' ORDER BY version) FROM sap_schema_migrations'), '1',
   'only version 1 is recorded');
is(query($broken, "SELECT to_regclass('public.sap_broken_probe') IS NULL"), 't',
   'the table 002 created before failing does not exist');
is(query($broken, "SELECT count(*) FROM information_schema.columns "
               . "WHERE table_name = 'sap_settings' AND column_name = 'broken_column'"), 0,
   'the column 002 added does not exist');
is(query($broken, 'SELECT mechanism FROM sap_settings'), 'native', 'the row 002 updated is unchanged');

($rc, $out) = run($migrate, '--sql-dir', $broken_dir, conninfo($broken));
ok($rc != 0 && $out !~ /applied 001_init/ && $out =~ /002_broken failed/, 'a second run fails the same way')
    or diag "exit $rc:\n$out";
($rc, $out) = run($migrate, '--status', '--sql-dir', $broken_dir, conninfo($broken));
ok($rc == 0 && $out =~ /^001_init: \d{4}-/m && $out =~ /^002_broken: pending$/m, '--status shows 002 pending')
    or diag "exit $rc:\n$out";

# Two files with one number: the second must not be skipped as "applied".
my $dup_dir = "$run_dir/migrate-dup";
make_path($dup_dir);
copy("$sql_dir/001_init.sql", "$dup_dir/001_init.sql") or die "copy: $!";
for my $name (qw(002_first 002_second)) {
    open my $out_fh, '>', "$dup_dir/$name.sql" or die "$dup_dir: $!";
    print {$out_fh} "CREATE TABLE sap_$name (id integer);\n";
    close $out_fh;
}
($rc, $out) = run($migrate, '--sql-dir', $dup_dir, conninfo($broken));
ok($rc != 0 && $out =~ /share the number\(s\) 002/, 'two migrations numbered 002 are refused')
    or diag "exit $rc:\n$out";
is(query($broken, "SELECT to_regclass('public.sap_002_first') IS NULL"), 't', 'and neither was applied');

# ---- bad invocations ------------------------------------------------------------------

($rc, $out) = run($migrate);
ok($rc == 2 && $out =~ /^usage: sap-migrate/m, 'no CONNINFO: usage, exit 2') or diag "exit $rc:\n$out";
($rc, $out) = run($migrate, '--sql-dir', "$run_dir/migrate-none", conninfo($db));
ok($rc != 0 && $out =~ /no migrations directory/, 'a missing --sql-dir is refused') or diag "exit $rc:\n$out";
($rc, $out) = run($migrate, "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=3");
ok($rc != 0 && $out =~ /cannot reach the database/ && $out =~ /port 1 failed/,
   'an unreachable database: non-zero exit and psql\'s reason') or diag "exit $rc:\n$out";

done_testing();
