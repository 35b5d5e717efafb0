# POST /api/v1/events: the engine's signature, every malformed-event case
# named by its field, durable storage with the jobs the settings ask for,
# duplicates.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use JSON::PP;
use lib 't/lib';
use SAP::Test qw(psql json_of wait_until admin_request);
use SAP::Engine qw(sample_event post_event post_raw next_event_id);
use SAP::Slack qw(reset_connections);

my @missing = (
    ['event_id'], ['type'], ['product'], ['occurred_at'], ['approval'], ['approval', 'id'],
    ['approval', 'name'], ['approval', 'url'], ['approval', 'definition'],
    ['approval', 'definition', 'id'], ['approval', 'subject'], ['approval', 'subject', 'title'],
    ['step'], ['step', 'id'], ['step', 'name'], ['step', 'kind'], ['recipients'],
);
my @invalid = (
    # [description, field, mutate]
    ['unknown type', 'type', sub { $_[0]{type} = 'approval_exploded' }],
    ['unknown product', 'product', sub { $_[0]{product} = 'bitbucket' }],
    ['event_id not a string', 'event_id', sub { $_[0]{event_id} = 42 }],
    ['empty event_id', 'event_id', sub { $_[0]{event_id} = '' }],
    ['event_id over 200 bytes', 'event_id', sub { $_[0]{event_id} = 'x' x 201 }],
    ['approval not an object', 'approval', sub { $_[0]{approval} = 'A-1' }],
    ['approval.id over 200 bytes', 'approval.id', sub { $_[0]{approval}{id} = 'a' x 201 }],
    ['step.kind not approval or vote', 'step.kind', sub { $_[0]{step}{kind} = 'poll' }],
    ['step.required negative', 'step.required', sub { $_[0]{step}{required} = -1 }],
    ['step.decisions not an array', 'step.decisions', sub { $_[0]{step}{decisions} = {} }],
    ['recipients not an array', 'recipients', sub { $_[0]{recipients} = {} }],
    ['a recipient not an object', 'recipients[0]', sub { $_[0]{recipients} = ['cy@example.com'] }],
    ['a recipient without email', 'recipients[0].email', sub { delete $_[0]{recipients}[0]{email} }],
    ['a recipient email without @', 'recipients[0].email', sub { $_[0]{recipients}[0]{email} = 'cy' }],
    ['an email with a line break', 'recipients[0].email',
     sub { $_[0]{recipients}[0]{email} = "cy\@example.com\r\nBcc: all\@example.com" }],
    ['external not a boolean', 'recipients[0].external', sub { $_[0]{recipients}[0]{external} = 'yes' }],
    ['a delegate without email', 'recipients[0].delegates[0].email',
     sub { $_[0]{recipients}[0]{delegates} = [{ account_id => 'u-4' }] }],
    ['delegates not an array', 'recipients[0].delegates', sub { $_[0]{recipients}[0]{delegates} = 'u-4' }],
    ['options.action_buttons not a boolean', 'options.action_buttons',
     sub { $_[0]{options}{action_buttons} = 'yes' }],
    ['requester not an object', 'approval.requester', sub { $_[0]{approval}{requester} = 'Ada' }],
    ['decision_recorded without decision', 'decision', sub { $_[0]{type} = 'decision_recorded' }],
    ['decision without by', 'decision.by',
     sub { $_[0]{type} = 'decision_recorded'; $_[0]{decision} = { decision => 'approved' } }],
    ['decision without its verdict', 'decision.decision',
     sub { $_[0]{type} = 'decision_recorded'; $_[0]{decision} = { by => { account_id => 'u-2' } } }],
    ['approver_reassigned without reassigned', 'reassigned', sub { $_[0]{type} = 'approver_reassigned' }],
    ['reassigned without to', 'reassigned.to',
     sub { $_[0]{type} = 'approver_reassigned'; $_[0]{reassigned} = { from => { account_id => 'u-3' } } }],
);

plan tests => 29 + 2 * @missing + 2 * @invalid;

reset_connections();   # no workspace: the mechanism is native
sub count_events { psql('SELECT count(*) FROM sap_engine_events') }
sub jobs_of {
    my ($id) = @_;
    psql("SELECT count(*) FROM sap_jobs WHERE payload->>'event_id' = '$id'");
}
sub mechanism {
    my ($mechanism) = @_;
    psql("UPDATE sap_settings SET mechanism = '$mechanism'");
    admin_request('DELETE', '/admin/api/diagnostics/cache', headers => ['Content-Type' => 'application/json']);
}

# ---- accepted and stored durably -------------------------------------------
my $event = sample_event();
my $res = post_event($event);
is $res->code, 202, 'a valid event is accepted with 202';
is_deeply json_of($res), { status => 'accepted', event_id => $event->{event_id} }, 'the answer names it';
is psql("SELECT type || '|' || product || '|' || approval_id || '|' || step_id FROM sap_engine_events "
        . "WHERE event_id = '$event->{event_id}'"), 'approval_requested|jira|A-1001|S-1',
   'the event is stored';
is psql("SELECT payload->'approval'->'subject'->>'title' FROM sap_engine_events WHERE event_id = '$event->{event_id}'"),
   'Q3 budget', 'with its whole payload';

# native mechanism: planned at once, nothing to do, and the event says so
like psql("SELECT outcome FROM sap_engine_events WHERE event_id = '$event->{event_id}' AND dispatched_at IS NOT NULL"),
     qr/^native: nothing sent/, 'native mechanism: planned on arrival, nothing is sent, and the outcome says so';
is jobs_of($event->{event_id}), 0, 'no job';
is psql("SELECT count(*) FROM sap_notification_history WHERE event_id = '$event->{event_id}'"), 0,
   'no history row for a native notification';

# another mechanism: the event is stored together with its jobs
mechanism('email');
my $mailed = sample_event(recipients => [
    { account_id => 'u-3', display_name => 'Cy', email => 'cy@example.com' },
    { account_id => 'u-5', display_name => 'Eve', email => 'eve@example.com' } ]);
is post_event($mailed)->code, 202, 'with the email mechanism';
is psql("SELECT string_agg(kind || ':' || (payload->>'recipient') || ':' || (payload->>'via'), ',' ORDER BY id) "
        . "FROM sap_jobs WHERE payload->>'event_id' = '$mailed->{event_id}'"),
   'notify.recipient:0:email,notify.recipient:1:email', 'a job per recipient was stored with the event';
is psql("SELECT outcome FROM sap_engine_events WHERE event_id = '$mailed->{event_id}'"), 'email: 2 recipients',
   'the outcome says what was planned';
ok wait_until(20, sub { psql("SELECT count(*) FROM sap_notification_history WHERE event_id = '$mailed->{event_id}' "
                             . "AND status = 'SENT'") == 2 }), 'the workers deliver both';

# ---- duplicates ------------------------------------------------------------
my $again = post_event({ %$mailed, type => 'approval_reminder' });
is $again->code, 200, 'the same event_id again: 200';
is json_of($again)->{status}, 'duplicate', 'answered as a duplicate';
is psql("SELECT type FROM sap_engine_events WHERE event_id = '$mailed->{event_id}'"), 'approval_requested',
   'the first event stays as it was';
is jobs_of($mailed->{event_id}), 2, 'no second set of jobs';
select undef, undef, undef, 1.5;   # time for a wrongly queued second delivery to show
is psql("SELECT count(*) FROM sap_notification_history WHERE event_id = '$mailed->{event_id}'"), 2,
   'and no second notification';
mechanism('native');

# ---- signatures and size -------------------------------------------------
my $body = encode_json(sample_event());
my $before = count_events();
is post_raw($body, sign => { secret => 'not-the-engine-secret' })->code, 401, 'wrong secret: 401';
is post_raw($body, sign => { ts => time - 301 })->code, 401, 'timestamp over 5 minutes old: 401';
is post_raw($body, sign => { ts => time + 301 })->code, 401, 'timestamp over 5 minutes ahead: 401';
is post_raw($body, headers => ['X-Approvals-Signature' => 'v0=' . ('0' x 64)])->code, 401,
   'a signature that does not match: 401';
{
    my $ua = LWP::UserAgent->new;
    my $plain = $ua->post(SAP::Engine::events_url(), 'Content-Type' => 'application/json', Content => $body);
    is $plain->code, 401, 'unsigned: 401';
    is json_of($plain)->{error}, 'bad_signature', 'with a clear error';
}
my $huge = encode_json(sample_event(padding => 'x' x (512 * 1024)));
is post_raw($huge)->code, 413, 'a body over 512 KB: 413';
is count_events(), $before, 'none of them stored anything';

# ---- malformed events ------------------------------------------------------
is post_raw('{"event_id": ')->code, 400, 'malformed JSON: 400';
is post_raw('["an", "array"]')->code, 400, 'a JSON array: 400';

for my $path (@missing) {
    my $bad = sample_event();
    my $node = $bad;
    $node = $node->{$_} for @{$path}[0 .. $#$path - 1];
    delete $node->{ $path->[-1] };
    my $field = join '.', @$path;
    my $r = post_event($bad);
    is $r->code, 400, "missing $field: 400";
    is_deeply [@{ json_of($r) }{qw(error field)}], ['invalid_event', $field], "… naming $field";
}
for my $case (@invalid) {
    my ($what, $field, $mutate) = @$case;
    my $bad = sample_event();
    $mutate->($bad);
    my $r = post_event($bad);
    is $r->code, 400, "$what: 400";
    is json_of($r)->{field}, $field, "… naming $field" or diag $r->content;
}
is count_events(), $before, 'no malformed event was stored';

# ---- what is not required ------------------------------------------------
my $lean = sample_event(type => 'approval_completed', future_field => { anything => 1 });
delete $lean->{step};
delete $lean->{options};
delete $lean->{approval}{requester};
is post_event($lean)->code, 202, 'approval_completed without a step, with unknown fields: accepted';
my $empty = sample_event(recipients => []);
is post_event($empty)->code, 202, 'no recipients is a valid event (a channel may still be told)';
