# Background workers and the job queue (DESIGN section 9): exactly-once runs,
# graceful restart, lease expiry, two httpd instances on one database, cleanup.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use lib 't/lib';
use SAP::Test qw(psql psql_rows admin_request json_of wait_until);
use SAP::Httpd;

plan tests => 39;

sub enqueue_probes {
    my ($count, $extra) = @_;
    $extra //= '{}';
    psql("WITH probe AS (INSERT INTO sap_queue_probes (requested_by) "
         . "SELECT 'workers.t' FROM generate_series(1, $count) RETURNING id) "
         . "INSERT INTO sap_jobs (kind, payload) SELECT 'queue.probe', "
         . "jsonb_build_object('probe_id', id) || '$extra'::jsonb FROM probe");
    return psql("SELECT max(id) FROM sap_queue_probes") - $count + 1;
}

sub probes_from {
    my ($first) = @_;
    return psql_rows("SELECT p.id, p.runs, j.state, j.attempts, p.ran_by FROM sap_queue_probes p "
                     . "JOIN sap_jobs j ON (j.payload->>'probe_id')::bigint = p.id "
                     . "WHERE p.id >= $first ORDER BY p.id");
}

sub all_done_from {
    my ($first, $count) = @_;
    return psql("SELECT count(*) FROM sap_jobs WHERE kind = 'queue.probe' AND state = 'done' "
                . "AND (payload->>'probe_id')::bigint >= $first") == $count;
}

sub httpd_pid {
    open my $fh, '<', Apache::Test::vars('t_logs') . '/httpd.pid' or die "no httpd.pid: $!";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

# --- 1. one probe through the API: stored, pushed, run once ---
my $res = admin_request(POST => '/admin/api/probes', json => {});
ok t_cmp($res->code, 202, 'probe accepted');
my $probe = json_of($res);
ok wait_until(10, sub {
    my $got = json_of(admin_request(GET => "/admin/api/probes/$probe->{id}"));
    ($got->{job_state} // '') eq 'done';
}), 'probe job done';
my $got = json_of(admin_request(GET => "/admin/api/probes/$probe->{id}"));
ok t_cmp($got->{runs}, 1, 'probe ran exactly once');
ok t_cmp($got->{job_attempts}, 1, 'in one attempt');
ok t_cmp($got->{requested_by}, 'admin', 'requested_by is the httpd user');
ok $got->{ran_by} =~ /^[^:]+:\d+:[0-9a-f]{8}$/, 'ran_by names host:pid:nonce';

# --- 2. a burst of 200 queued jobs: each run exactly once, in parallel ---
# (50 ms each: one child alone would need 2.5 s, so the others' pollers join in)
my $first = enqueue_probes(200, '{"sleep_ms": 50}');
ok wait_until(30, sub { all_done_from($first, 200) }), '200 probes done';
my @rows = probes_from($first);
ok t_cmp(scalar(grep { $_->[1] == 1 } @rows), 200, 'each ran exactly once');
ok t_cmp(scalar(grep { $_->[3] == 1 } @rows), 200, 'each claimed once');
my %owners = map { $_->[4] => 1 } @rows;
ok keys(%owners) >= 2, 'work spread over more than one child process';

# --- 3. jobs queued just before a graceful restart all run exactly once ---
# 60 due now, some in flight when the restart begins (300 ms each), and 30 due
# 2 s later, when the old children are stopping and the new ones starting
$first = enqueue_probes(60, '{"sleep_ms": 300}');
enqueue_probes(30);
psql("UPDATE sap_jobs SET run_after = now() + interval '2 seconds' WHERE kind = 'queue.probe' "
     . "AND state = 'queued' AND (payload->>'probe_id')::bigint >= $first + 60");
kill 'USR1', httpd_pid() or die "cannot signal httpd";
ok wait_until(60, sub { all_done_from($first, 90) }), 'all 90 done after graceful restart';
@rows = probes_from($first);
ok t_cmp(scalar(grep { $_->[1] == 1 } @rows), 90, 'none ran twice, none lost');
ok wait_until(20, sub { (GET '/slack-approvals/healthz')->code == 200 }), 'healthy after restart';

# --- 4. a job whose worker died (lease expired) is run again ---
my ($dead_probe) = psql("INSERT INTO sap_queue_probes (requested_by) VALUES ('workers.t') RETURNING id") =~ /(\d+)/;
my ($dead_job) = psql("INSERT INTO sap_jobs (kind, payload, state, attempts, lease_owner, lease_until) "
    . "VALUES ('queue.probe', jsonb_build_object('probe_id', $dead_probe), 'running', 1, "
    . "'crashed-node:4242', now() - interval '1 second') RETURNING id") =~ /(\d+)/;
ok wait_until(10, sub { psql("SELECT state FROM sap_jobs WHERE id = $dead_job") eq 'done' }),
   'expired lease re-claimed and finished';
ok t_cmp(psql("SELECT attempts FROM sap_jobs WHERE id = $dead_job"), 2, 'second attempt');
ok t_cmp(psql("SELECT runs FROM sap_queue_probes WHERE id = $dead_probe"), 1, 'probe ran once');
ok psql("SELECT ran_by FROM sap_queue_probes WHERE id = $dead_probe") ne 'crashed-node:4242',
   'run by a live worker';

# a worker really killed mid-job: its lease runs out (fast-forwarded here
# instead of waiting 120 s) and another worker runs the job
$res = admin_request(POST => '/admin/api/probes', json => { sleep_ms => 8000 });
my $killed = json_of($res);
my $victim_owner;
ok wait_until(10, sub {
    $victim_owner = psql("SELECT lease_owner FROM sap_jobs WHERE id = $killed->{job_id} AND state = 'running'");
    length $victim_owner;
}), 'long job claimed';
my $running = json_of(admin_request(GET => "/admin/api/probes/$killed->{id}"));
ok !defined $running->{ran_at} && !defined $running->{ran_by} && $running->{job_state} eq 'running',
   'a probe that has not run yet shows ran_at/ran_by as null (SQL NULL is not "")';
my ($victim_pid) = $victim_owner =~ /:(\d+):/;
ok $victim_pid && kill('KILL', $victim_pid), "worker process $victim_pid killed";
psql("UPDATE sap_jobs SET lease_until = now() - interval '1 second' WHERE id = $killed->{job_id}");
ok wait_until(20, sub {
    psql("SELECT state FROM sap_jobs WHERE id = $killed->{job_id}") eq 'done';
}), 'killed worker\'s job finished by another worker';
my ($killed_runs, $killed_attempts, $killed_ran_by) = @{ (psql_rows("SELECT p.runs, j.attempts, "
    . "p.ran_by FROM sap_queue_probes p JOIN sap_jobs j ON j.id = $killed->{job_id} "
    . "WHERE p.id = $killed->{id}"))[0] };
ok t_cmp($killed_runs, 1, 'ran to completion once');
ok t_cmp($killed_attempts, 2, 'on the second attempt');
ok $killed_ran_by ne $victim_owner, 'by a live worker';

# a live lease is left alone
my ($held_job) = psql("INSERT INTO sap_jobs (kind, payload, state, attempts, lease_owner, lease_until) "
    . "VALUES ('queue.probe', '{\"probe_id\": 1}', 'running', 1, 'busy-node:1', "
    . "now() + interval '1 hour') RETURNING id") =~ /(\d+)/;
sleep 2;
ok t_cmp(psql("SELECT state || ':' || attempts || ':' || lease_owner FROM sap_jobs WHERE id = $held_job"),
         'running:1:busy-node:1', 'a job under a live lease is not taken');
psql("DELETE FROM sap_jobs WHERE id = $held_job");

# a job that exhausted its attempts through expired leases is failed, not run
my ($exhausted) = psql("INSERT INTO sap_jobs (kind, payload, state, attempts, max_attempts, lease_owner, lease_until) "
    . "VALUES ('queue.probe', '{\"probe_id\": 1}', 'running', 5, 5, 'crashed-node:1', "
    . "now() - interval '1 second') RETURNING id") =~ /(\d+)/;
ok wait_until(10, sub { psql("SELECT state FROM sap_jobs WHERE id = $exhausted") eq 'failed' }),
   'exhausted job failed';
ok t_cmp(psql("SELECT last_error FROM sap_jobs WHERE id = $exhausted"),
         qr/lease expired/, 'with the reason');

# --- 5. an unknown job kind is put back, not lost (a newer node may know it) ---
my ($unknown) = psql("INSERT INTO sap_jobs (kind) VALUES ('from.the.future') RETURNING id") =~ /(\d+)/;
ok wait_until(10, sub { psql("SELECT last_error IS NOT NULL FROM sap_jobs WHERE id = $unknown") eq 't' }),
   'unknown kind tried';
my ($state, $error, $later, $attempts) = @{ (psql_rows("SELECT state, last_error, "
    . "run_after > now() + interval '50 seconds', attempts FROM sap_jobs WHERE id = $unknown"))[0] };
ok t_cmp($state, 'queued', 'back in the queue');
ok t_cmp($error, qr/no handler for job kind 'from\.the\.future'/, 'with the reason');
ok t_cmp($later, 't', 'offered again in a minute');
ok t_cmp($attempts, 0, 'the attempt does not count: it is never failed for being unknown');
psql("DELETE FROM sap_jobs WHERE id = $unknown");

# --- 6. two httpd instances on one database never run the same job twice ---
my $second = SAP::Httpd->new(name => 'second');
$second->start;
wait_until(10, sub { $second->worker_owners >= 1 });
# 300 jobs of 50 ms: long enough that both instances' workers get a share
$first = enqueue_probes(300, '{"sleep_ms": 50}');
ok wait_until(60, sub { all_done_from($first, 300) }), '300 probes done by two instances';
@rows = probes_from($first);
ok t_cmp(scalar(grep { $_->[1] == 1 } @rows), 300, 'each exactly once across instances');
my %second_owners = map { $_ => 1 } $second->worker_owners;
my $by_second = grep { $second_owners{$_->[4]} } @rows;
ok $by_second > 0 && $by_second < 300, "both instances worked ($by_second by the second)";
$second->stop;

# --- 7. cleanup: old history, expired states and finished jobs go; recent stay ---
psql("INSERT INTO sap_notification_history (created_at, status, recipient) VALUES "
     . "(now() - interval '40 days', 'SENT', 'old\@example.test'), (now() - interval '2 days', 'SENT', 'new\@example.test')");
psql("INSERT INTO sap_oauth_states (state_hash, admin_user, expires_at) VALUES "
     . "('old-state', 'admin', now() - interval '1 minute'), ('live-state', 'admin', now() + interval '10 minutes')");
psql("UPDATE sap_jobs SET finished_at = now() - interval '2 hours' WHERE state = 'done'");
my $done_before = psql("SELECT count(*) FROM sap_jobs WHERE state = 'done'");
kill 'USR1', httpd_pid();   # new children run the cleanup a few seconds after they start
ok wait_until(30, sub { psql("SELECT count(*) FROM sap_notification_history WHERE recipient = 'old\@example.test'") == 0 }),
   'history older than 30 days removed';
ok t_cmp(psql("SELECT count(*) FROM sap_notification_history WHERE recipient = 'new\@example.test'"), 1,
         'recent history kept');
ok t_cmp(psql("SELECT string_agg(state_hash, ',') FROM sap_oauth_states"), 'live-state',
         'expired OAuth state removed, live one kept');
ok $done_before > 0 && psql("SELECT count(*) FROM sap_jobs WHERE state = 'done' AND finished_at < now() - interval '1 hour'") == 0,
   'finished jobs removed';
