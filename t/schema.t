# The schema check at child start (DESIGN section 5 / issue "Storage"): an
# httpd on a database whose schema is behind, or was never migrated, says so
# in its log and answers /healthz with 503. Uses databases of its own.
use strict;
use warnings FATAL => 'all';
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use lib 't/lib';
use SAP::Httpd;
use SAP::Test qw(wait_until);

my $pg_port = $ENV{SAP_TEST_PGPORT} or plan skip_all => 'run through make test';
plan tests => 12;

my $admin = "host=127.0.0.1 port=$pg_port user=postgres dbname=postgres";
my %db = (behind => "sap_schema_behind_$$", empty => "sap_schema_empty_$$");
my @servers;

sub admin_sql { system('psql', $admin, '-X', '-q', '-c', $_[0]) == 0 or die "psql failed: $_[0]\n" }
sub conninfo { "host=127.0.0.1 port=$pg_port user=postgres dbname=$_[0] connect_timeout=5" }

END {
    $_->stop for @servers;
    admin_sql("DROP DATABASE IF EXISTS $_ WITH (FORCE)") for values %db;
}

admin_sql("CREATE DATABASE $_") for values %db;
system("$ENV{SAP_TOP}/scripts/sap-migrate", conninfo($db{behind})) == 0 or die "sap-migrate failed\n";
my $migrations = `psql '${\ conninfo($db{behind})}' -X -A -t -c "SELECT string_agg(format('(%s, %L)', version, name), ', ') FROM sap_schema_migrations"`;
chomp $migrations;
$migrations or die "cannot read the applied migrations\n";
system('psql', conninfo($db{behind}), '-X', '-q', '-c', 'DELETE FROM sap_schema_migrations') == 0
    or die "cannot rewind the schema version\n";

sub healthz {
    my ($server) = @_;
    my $res = HTTP::Tiny->new(timeout => 15)->get('http://127.0.0.1:' . $server->port . '/slack-approvals/healthz');
    return ($res->{status}, eval { decode_json($res->{content}) } // {});
}

# --- a schema that is behind ---
my $behind = SAP::Httpd->new(name => 'schema-behind', dbparams => conninfo($db{behind}));
push @servers, $behind;
$behind->start;
ok wait_until(15, sub { $behind->error_log =~ /database schema is at version 0, this module needs \d+: run sap-migrate/ }),
   'the log says the schema is behind and what to run';
my ($status, $health) = healthz($behind);
is $status, 503, 'healthz 503 while the schema is behind';
is $health->{db}, 'ok', 'the database itself is reachable';
is $health->{schema}{version}, 0, 'reports the version found';
ok $health->{schema}{expected} >= 1, 'and the version needed';
is $health->{status}, 'unavailable', 'status unavailable';

# once the version is recorded again (as sap-migrate records it), healthz recovers
system('psql', conninfo($db{behind}), '-X', '-q', '-c',
       "INSERT INTO sap_schema_migrations (version, name) VALUES $migrations") == 0 or die;
($status, $health) = healthz($behind);
is $status, 200, 'healthz 200 once the schema is current';

# --- a database that was never migrated ---
my $empty = SAP::Httpd->new(name => 'schema-empty', dbparams => conninfo($db{empty}));
push @servers, $empty;
$empty->start;
ok wait_until(15, sub { $empty->error_log =~ /cannot open a database connection: .*sap-migrate/ }),
   'the log says to migrate';
ok $empty->error_log =~ /failed to initialise prepared SQL statements|DBD/,
   'mod_dbd says its statements could not be prepared';
($status, $health) = healthz($empty);
is $status, 503, 'healthz 503 on an unmigrated database';
is $health->{db}, 'error', 'db error';
ok !exists $health->{schema}, 'no schema claimed';
