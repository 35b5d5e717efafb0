#!/usr/bin/perl
# Tests of the fakes in t/fakes/: fake Slack Web API, fake approval engine,
# SMTP sink. Starts each on port 0, exercises it, stops it (also on failure).
use strict;
use warnings;
use FindBin;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use Net::SMTP;
use Digest::SHA qw(hmac_sha256_hex);
use MIME::Base64 qw(encode_base64 decode_base64);
use File::Temp qw(tempfile);
use Time::HiRes qw(time sleep);
use POSIX qw(WNOHANG);

my $NODE = find_node() or plan skip_all => 'node is not installed';
my $FAKES = "$FindBin::Bin/fakes";
my $JSON = JSON::PP->new->canonical;
my $HTTP = HTTP::Tiny->new(timeout => 20, keep_alive => 1);
my (@PIDS, %PIPES);

END { stop_all() }

sub find_node {
    for my $dir (split /:/, $ENV{PATH} || '') {
        return "$dir/node" if -x "$dir/node";
    }
    return;
}

# ---- process handling -------------------------------------------------------

sub start_fake {
    my ($script, @args) = @_;
    return start_node($script, "$FAKES/$script", '--port', '0', @args);
}

# Starts node with @args; waits for its READY line. Returns {pid, ports…}.
sub start_node {
    my ($script, @args) = @_;
    my $pid = open(my $out, '-|', $NODE, @args)
        or die "cannot start $script: $!";
    push @PIDS, $pid;
    $PIPES{$pid} = $out;
    my $line = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 20;
        my $l = <$out>;
        alarm 0;
        $l;
    };
    die "$script printed no READY line\n" unless defined $line && $line =~ /^READY (\{.*\})\s*$/;
    my $ports = decode_json($1);
    return { pid => $pid, %$ports };
}

# SIGTERM, then SIGKILL if the fake has not exited within 5 s; returns its
# wait status.
sub stop_fake {
    my ($pid) = @_;
    return unless $PIPES{$pid};
    kill 'TERM', $pid;
    my $deadline = time + 5;
    while (waitpid($pid, WNOHANG) == 0) {
        if (time > $deadline) { kill 'KILL', $pid; waitpid($pid, 0); last }
        sleep 0.05;
    }
    my $status = $?;
    close(delete $PIPES{$pid});
    @PIDS = grep { $_ != $pid } @PIDS;
    return $status;
}

sub stop_all {
    local $?;
    my @running = @PIDS;    # stop_fake edits @PIDS
    stop_fake($_) for @running;
}

# ---- HTTP helpers -------------------------------------------------------------

sub decoded {
    my ($res) = @_;
    return eval { decode_json($res->{content}) } // {};
}

# A control call that may fail: (response, decoded body).
sub control_raw {
    my ($fake, $method, $path, $body) = @_;
    my $url = "http://127.0.0.1:$fake->{control_port}/_control/$path";
    my $res = post_json($url, $body, $method);
    return ($res, decoded($res));
}

sub control {
    my ($fake, $method, $path, $body) = @_;
    my ($res, $data) = control_raw($fake, $method, $path, $body);
    die "control $method $path failed: $res->{status} $res->{content}\n" unless $res->{success};
    return $data;
}

# A JSON request (POST by default; no body when $body is undef).
sub post_json {
    my ($url, $body, $method) = @_;
    my %opt = (headers => { 'Content-Type' => 'application/json' });
    $opt{content} = $JSON->encode($body) if defined $body;
    return $HTTP->request($method // 'POST', $url, \%opt);
}

# The JSON of an interactivity body (payload=…, PHP-urlencoded).
sub interactivity_json {
    my ($raw) = @_;
    (my $text = $raw) =~ s/^payload=//;
    $text =~ tr/+/ /;
    $text =~ s/%([0-9A-F]{2})/chr hex $1/ge;
    return decode_json($text);
}

my $SLACK;

# A form-encoded Slack Web API call; returns (response, decoded body).
sub slack_form {
    my ($method, $args, $token) = @_;
    my %headers;
    $headers{Authorization} = "Bearer $token" if defined $token;
    my $res = $HTTP->post_form("http://127.0.0.1:$SLACK->{port}/api/$method", $args || {}, { headers => \%headers });
    return ($res, decoded($res));
}

sub slack_json {
    my ($method, $args, $token, $content_type) = @_;
    my $res = $HTTP->request('POST', "http://127.0.0.1:$SLACK->{port}/api/$method", {
        headers => { Authorization => "Bearer $token",
                     'Content-Type' => $content_type // 'application/json; charset=utf-8' },
        content => $JSON->encode($args),
    });
    return ($res, decoded($res));
}

sub engine_request {
    my ($engine, $method, $path, $body, $token) = @_;
    my %headers = ('Content-Type' => 'application/json');
    $headers{Authorization} = "Bearer $token" if defined $token;
    my %opt = (headers => \%headers);
    $opt{content} = ref $body ? $JSON->encode($body) : $body if defined $body;
    my $res = $HTTP->request($method, "http://127.0.0.1:$engine->{port}$path", \%opt);
    return ($res, decoded($res));
}

# oauth.v2.access as a form POST; client credentials by HTTP Basic when
# $basic = [id, secret] is given. Returns (response, decoded body).
sub oauth_access {
    my ($args, $basic) = @_;
    my %headers;
    $headers{Authorization} = 'Basic ' . encode_base64(join(':', @$basic), '') if $basic;
    my $res = $HTTP->post_form("http://127.0.0.1:$SLACK->{port}/api/oauth.v2.access", $args, { headers => \%headers });
    return ($res, decoded($res));
}

# The query of a Location header as a hash.
sub location_query {
    my ($res) = @_;
    my ($query) = ($res->{headers}{location} // '') =~ /\?(.*)$/;
    my %q;
    for (split /&/, $query // '') {
        my ($k, $v) = map { (my $x = $_) =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $x } split /=/, $_, 2;
        $q{$k} = $v;
    }
    return \%q;
}

# Checks a signed Events API delivery recorded by the engine fake: signature,
# Slackbot headers and the event_callback envelope. Returns the envelope.
sub check_event_delivery {
    my ($call, $what) = @_;
    my ($h, $raw) = ($call->{headers}, $call->{raw_body});
    my $ts = $h->{'x-slack-request-timestamp'};
    is($h->{'x-slack-signature'}, 'v0=' . hmac_sha256_hex("v0:$ts:$raw", 'slack-secret'), "$what: signature verifies");
    ok(abs($ts - time) < 60, "$what: timestamp is now");
    ok($h->{'user-agent'} eq 'Slackbot 1.0 (+https://api.slack.com/robots)' && $h->{accept} eq 'application/json,*/*'
       && $h->{'content-type'} eq 'application/json', "$what: Slackbot User-Agent, Accept, JSON content type");
    my $env = decode_json($raw);
    is_deeply([sort keys %$env], [sort qw(token team_id api_app_id event type event_id event_time authorizations
                                          is_ext_shared_channel event_context)], "$what: envelope fields");
    ok($env->{type} eq 'event_callback' && $env->{event_id} =~ /^Ev[0-9A-Z]{8,}$/ && $env->{event_context} =~ /^4-\S+$/
       && abs($env->{event_time} - time) < 60 && !$env->{is_ext_shared_channel} && length $env->{token},
       "$what: event_callback with event_id, event_time, event_context");
    return $env;
}

sub button_blocks {
    my ($label) = @_;
    return [{ type => 'actions', block_id => 'b1', elements => [
        { type => 'button', action_id => 'approve', value => 'A-1', text => { type => 'plain_text', text => $label } },
    ] }];
}

# ---- start ------------------------------------------------------------------

my (undef, $CLIENT_SECRET_FILE) = tempfile(UNLINK => 1);
{ open(my $fh, '>', $CLIENT_SECRET_FILE) or die "$CLIENT_SECRET_FILE: $!"; print $fh "cli-secret\n"; close $fh }
$SLACK = start_fake('fake-slack.js', '--signing-secret', 'slack-secret',
                    '--client-id', '1111.2222', '--client-secret-file', $CLIENT_SECRET_FILE);
my $ENGINE = start_fake('fake-engine.js', '--token', 'engine-token', '--secret', 'engine-secret');
my $SMTP = start_fake('smtp-sink.js');
like($SLACK->{port}, qr/^\d+$/, 'fake-slack printed READY with its port');
ok($ENGINE->{port} && $ENGINE->{control_port}, 'fake-engine printed READY with its ports');
ok($SMTP->{port} && $SMTP->{control_port} && $SMTP->{port} != $SMTP->{control_port},
   'smtp-sink printed READY with SMTP and control ports');

# ---- Slack: world set-up -------------------------------------------------------

control($SLACK, 'POST', 'teams', { team_id => 'T1', name => 'Acme', domain => 'acme' });
control($SLACK, 'POST', 'tokens', [
    { token => 'xoxb-good', team_id => 'T1', bot_user_id => 'UBOT', scopes => [qw(chat:write im:write users:read users:read.email)] },
    { token => 'xoxb-narrow', team_id => 'T1', bot_user_id => 'UBOT2', scopes => ['chat:write'] },
    { token => 'xoxb-public', team_id => 'T1', bot_user_id => 'UBOT3', scopes => [qw(chat:write chat:write.public)] },
    { token => 'xoxb-old', team_id => 'T1', scopes => ['chat:write'] },
]);
control($SLACK, 'POST', 'users', [
    { id => 'U1', team_id => 'T1', email => 'ada@example.com', name => 'ada', real_name => 'Ada L' },
    { id => 'U2', team_id => 'T1', email => 'gone@example.com', name => 'gone', deleted => JSON::PP::true },
]);
control($SLACK, 'POST', 'channels', [
    { id => 'C1', team_id => 'T1', name => 'approvals', bot_member => JSON::PP::true },
    { id => 'C2', team_id => 'T1', name => 'elsewhere', bot_member => JSON::PP::false },
]);
control($SLACK, 'POST', 'tokens/revoke', { token => 'xoxb-old' });

# ---- Slack: authentication and scopes -------------------------------------------

my ($res, $body) = slack_form('auth.test');
is($res->{status}, 200, 'missing token: HTTP 200');
is_deeply($body, { ok => JSON::PP::false, error => 'not_authed' }, 'missing token: not_authed');
($res, $body) = slack_form('auth.test', {}, 'xoxb-unknown');
is($body->{error}, 'invalid_auth', 'unknown token: invalid_auth');
($res, $body) = slack_form('auth.test', {}, 'xoxb-old');
is($body->{error}, 'token_revoked', 'revoked token: token_revoked');
($res, $body) = slack_form('auth.test', { token => 'xoxb-good' });
ok($body->{ok} && $body->{user_id} eq 'UBOT' && $body->{team_id} eq 'T1', 'auth.test with a token form argument');
($res, $body) = slack_form('users.lookupByEmail', { email => 'ada@example.com' }, 'xoxb-narrow');
is($res->{status}, 200, 'missing scope: HTTP 200');
is_deeply([@$body{qw(ok error needed provided)}], [JSON::PP::false, 'missing_scope', 'users:read.email', 'chat:write'],
          'missing_scope names needed and provided scopes');

# ---- Slack: users and conversations ---------------------------------------------

($res, $body) = slack_form('users.lookupByEmail', { email => 'ADA@example.com' }, 'xoxb-good');
is($body->{ok} && $body->{user}{id}, 'U1', 'users.lookupByEmail finds a user (case-insensitive)');
is($body->{user}{profile}{email}, 'ada@example.com', 'looked-up user carries profile.email');
($res, $body) = slack_form('users.lookupByEmail', { email => 'nobody@example.com' }, 'xoxb-good');
is($body->{error}, 'users_not_found', 'users.lookupByEmail: users_not_found');
($res, $body) = slack_form('users.info', { user => 'U404' }, 'xoxb-good');
is($body->{error}, 'user_not_found', 'users.info: user_not_found');
my (undef, $open1) = slack_form('conversations.open', { users => 'U1' }, 'xoxb-good');
my (undef, $open2) = slack_form('conversations.open', { users => 'U1' }, 'xoxb-good');
like($open1->{channel}{id}, qr/^D[0-9A-Z]+$/, 'conversations.open returns a D… channel id');
is($open2->{channel}{id}, $open1->{channel}{id}, 'conversations.open id is stable per user');
($res, $body) = slack_form('conversations.open', { users => 'U2' }, 'xoxb-good');
is($body->{error}, 'user_disabled', 'conversations.open on a deactivated user: user_disabled');

# ---- Slack: messages ----------------------------------------------------------------

my $dm = $open1->{channel}{id};
($res, $body) = slack_json('chat.postMessage', { channel => $dm, text => 'Please approve', blocks => button_blocks('Approve') }, 'xoxb-good');
ok($body->{ok}, 'chat.postMessage with blocks succeeds') or diag $res->{content};
like($body->{ts}, qr/^\d{10}\.\d{6}$/, 'ts looks like a Slack ts');
is($body->{channel}, $dm, 'chat.postMessage answers the channel');
ok(!exists $body->{warning}, 'no warning when JSON is sent with charset=utf-8');
my $ts = $body->{ts};
my $stored = control($SLACK, 'GET', "messages?channel=$dm")->{messages};
is(scalar(@$stored) && $stored->[0]{ts}, $ts, 'posted message is stored');
($res, $body) = slack_json('chat.update', { channel => $dm, ts => $ts, text => 'Approved by Ada', blocks => [] }, 'xoxb-good');
is($body->{ok} && $body->{text}, 'Approved by Ada', 'chat.update answers the new text');
$stored = control($SLACK, 'GET', "messages?channel=$dm&ts=$ts")->{messages}[0];
ok($stored->{text} eq 'Approved by Ada' && !exists $stored->{blocks} && $stored->{update_count} == 1,
   'chat.update changed the stored message and removed its blocks');
($res, $body) = slack_json('chat.update', { channel => $dm, ts => '1.000001', text => 'x' }, 'xoxb-good');
is($body->{error}, 'message_not_found', 'chat.update of an unknown ts: message_not_found');
($res, $body) = slack_json('chat.update', { channel => $dm, ts => $ts, text => 'x' x 40001 }, 'xoxb-good');
is($body->{error}, 'msg_too_long', 'chat.update with more than 40000 characters: msg_too_long');
($res, $body) = slack_json('chat.postMessage', { channel => 'C2', text => 'hi' }, 'xoxb-good');
is($body->{error}, 'not_in_channel', 'posting to a channel the bot is not in: not_in_channel');
($res, $body) = slack_json('chat.postMessage', { channel => 'C2', text => 'hi' }, 'xoxb-public');
ok($body->{ok}, 'chat:write.public lets the bot post to a public channel it is not in');
($res, $body) = slack_json('chat.postMessage', { channel => 'C1' }, 'xoxb-good');
is($body->{error}, 'no_text', 'no text and no blocks: no_text');
($res, $body) = slack_json('chat.postMessage', { channel => 'C1', text => 'hi' }, 'xoxb-good', 'application/json');
is($body->{warning}, 'missing_charset', 'JSON without charset: warning missing_charset');
is_deeply($body->{response_metadata}{warnings}, ['missing_charset'], 'missing_charset in response_metadata.warnings');

# ---- Slack: Block Kit limits -------------------------------------------------------

my @many = map { { type => 'section', text => { type => 'mrkdwn', text => "line $_" } } } 1 .. 51;
($res, $body) = slack_json('chat.postMessage', { channel => 'C1', text => 'x', blocks => \@many }, 'xoxb-good');
is($res->{status}, 200, 'invalid blocks: HTTP 200');
is($body->{error}, 'invalid_blocks', '51 blocks: invalid_blocks');
like(join(' ', @{ $body->{errors} || [] }), qr/\[json-pointer:\/blocks\]/, '51 blocks: error points at /blocks');
($res, $body) = slack_form('chat.postMessage', { channel => 'C1', text => 'x',
                            blocks => $JSON->encode(button_blocks('y' x 76)) }, 'xoxb-good');
is($body->{error}, 'invalid_blocks', '76-character button text (form field JSON): invalid_blocks');
like($body->{errors}[0], qr/\[json-pointer:\/blocks\/0\/elements\/0\/text\/text\]/, 'error points at the button text');
($res, $body) = slack_json('chat.postMessage', { channel => 'C1', text => 'x', blocks => button_blocks('y' x 75) }, 'xoxb-good');
ok($body->{ok}, '75-character button text is accepted');

# ---- Slack: injected failures and latency --------------------------------------------

control($SLACK, 'POST', 'inject', { method => 'chat.postMessage', status => 429, retry_after => 7 });
($res, $body) = slack_json('chat.postMessage', { channel => 'C1', text => 'x' }, 'xoxb-good');
is($res->{status}, 429, 'injected rate limit: HTTP 429');
is($res->{headers}{'retry-after'}, '7', 'injected rate limit: Retry-After header');
is($body->{error}, 'ratelimited', 'injected rate limit: error ratelimited');
($res, $body) = slack_json('chat.postMessage', { channel => 'C1', text => 'x' }, 'xoxb-good');
ok($res->{status} == 200 && $body->{ok}, 'rate limit applied once (times defaults to 1)');
control($SLACK, 'POST', 'inject', { method => 'users.info', status => 503, times => 2 });
my @statuses = map { (slack_form('users.info', { user => 'U1' }, 'xoxb-good'))[0]{status} } 1 .. 3;
is_deeply(\@statuses, [503, 503, 200], 'injected 503 applies exactly `times` calls');
control($SLACK, 'POST', 'inject', { method => 'auth.test', latency_ms => 300 });
my $t0 = time;
($res, $body) = slack_form('auth.test', {}, 'xoxb-good');
my $elapsed = time - $t0;
ok($elapsed >= 0.3 && $body->{ok}, sprintf('injected latency delays the answer (%.3f s)', $elapsed));
control($SLACK, 'POST', 'inject', { method => 'chat.postMessage', error => 'channel_not_found' });
($res, $body) = slack_json('chat.postMessage', { channel => 'C1', text => 'x' }, 'xoxb-good');
ok($res->{status} == 200 && $body->{error} eq 'channel_not_found', 'injected Slack error is HTTP 200 ok:false');

# ---- Slack: recorded calls -------------------------------------------------------------

my $calls = control($SLACK, 'GET', 'calls?method=chat.update')->{calls};
is(scalar @$calls, 3, 'calls are recorded per method');
is($calls->[0]{headers}{authorization}, 'Bearer xoxb-good', 'recorded call keeps the Authorization header');
is($calls->[0]{args}{text}, 'Approved by Ada', 'recorded call keeps the parsed arguments');
is($calls->[0]{response}{body}{ok}, JSON::PP::true, 'recorded call keeps the answer');
control($SLACK, 'DELETE', 'calls');
is(scalar @{ control($SLACK, 'GET', 'calls')->{calls} }, 0, 'DELETE /_control/calls empties the record');

# ---- Engine ---------------------------------------------------------------------------

control($ENGINE, 'POST', 'users', { account_id => 'u-1', display_name => 'Ada', email => 'Ada@Example.com' });
control($ENGINE, 'POST', 'steps', [
    { approval_id => 'A-1', step_id => 'S-1', approvers => ['u-1', 'u-2', 'u-3'], delegates => { 'u-3' => ['u-4'] }, required => 2 },
    { approval_id => 'A-1', step_id => 'S-0', approvers => ['u-1'], state => 'inactive' },
]);
my %decision = (request_id => 'r-1', product => 'jira', approval_id => 'A-1', step_id => 'S-1',
                actor => { account_id => 'u-1' }, on_behalf_of => undef, decision => 'approve',
                comment => 'fine', votes => [], source => 'slack');
($res, $body) = engine_request($ENGINE, 'POST', '/decisions', \%decision);
is($res->{status}, 401, 'engine: no bearer token -> 401');
is($body->{error}, 'unauthorized', 'engine: 401 body');
($res) = engine_request($ENGINE, 'POST', '/decisions', \%decision, 'wrong');
is($res->{status}, 401, 'engine: wrong bearer token -> 401');
($res, $body) = engine_request($ENGINE, 'POST', '/decisions', \%decision, 'engine-token');
is($res->{status}, 200, 'engine: decision applied -> 200');
is_deeply([$body->{status}, $body->{step}{progress}{approved}, $body->{step}{progress}{pending}], ['applied', 1, 2],
          'engine: applied body carries the step progress');
($res, $body) = engine_request($ENGINE, 'POST', '/decisions', { %decision, request_id => 'r-2' }, 'engine-token');
is($res->{status} . ' ' . $body->{error}, '409 already_decided', 'engine: second decision by the same actor -> 409');
($res, $body) = engine_request($ENGINE, 'POST', '/decisions',
    { %decision, request_id => 'r-3', actor => { account_id => 'u-9' } }, 'engine-token');
is($res->{status} . ' ' . $body->{error}, '403 not_authorized', 'engine: non-approver -> 403');
($res, $body) = engine_request($ENGINE, 'POST', '/decisions',
    { %decision, request_id => 'r-4', actor => { account_id => 'u-4' }, on_behalf_of => { account_id => 'u-3' } }, 'engine-token');
ok($res->{status} == 200 && $body->{step}{state} eq 'completed' && $body->{step}{outcome} eq 'approved',
   'engine: delegate decides on behalf of an approver and completes the step');
($res, $body) = engine_request($ENGINE, 'POST', '/decisions', { %decision, request_id => 'r-5', actor => { account_id => 'u-2' } }, 'engine-token');
is($res->{status} . ' ' . $body->{error}, '410 step_not_active', 'engine: decision on a completed step -> 410');
($res, $body) = engine_request($ENGINE, 'POST', '/decisions', { %decision, request_id => 'r-6', step_id => 'S-0' }, 'engine-token');
is($res->{status}, 410, 'engine: decision on an inactive step -> 410');
my %missing = %decision;
delete $missing{step_id};
($res, $body) = engine_request($ENGINE, 'POST', '/decisions', \%missing, 'engine-token');
ok($res->{status} == 400 && $body->{field} eq 'step_id', 'engine: missing field -> 400 naming it');
is(scalar @{ control($ENGINE, 'GET', 'decisions?approval_id=A-1')->{decisions} }, 2, 'engine: applied decisions are recorded');
($res, $body) = engine_request($ENGINE, 'GET', '/users?email=ada%40EXAMPLE.com', undef, 'engine-token');
ok($res->{status} == 200 && $body->{account_id} eq 'u-1' && $body->{display_name} eq 'Ada', 'engine: users by e-mail -> 200');
($res, $body) = engine_request($ENGINE, 'GET', '/users?email=nobody%40example.com', undef, 'engine-token');
is($res->{status} . ' ' . $body->{error}, '404 not_found', 'engine: unknown e-mail -> 404');
control($ENGINE, 'POST', 'inject', { endpoint => 'users', status => 503 });
($res) = engine_request($ENGINE, 'GET', '/users?email=ada%40example.com', undef, 'engine-token');
is($res->{status}, 503, 'engine: injected 503');

# ---- Signed deliveries (each fake records what the other sends) ------------------------

my $event = { event_id => 'ev-1', type => 'approval_requested', approval => { id => 'A-9', url => 'https://jira.example.com/x' } };
my $sent = control($ENGINE, 'POST', 'send-event', { url => "http://127.0.0.1:$SLACK->{port}/api/auth.test", event => $event });
is($sent->{status}, 200, 'send-event returns the receiver status');
my ($got) = @{ control($SLACK, 'GET', 'calls?method=auth.test')->{calls} };
my $ts_header = $got->{headers}{'x-approvals-request-timestamp'};
ok(abs($ts_header - time) < 60, 'send-event timestamp is now');
is($got->{headers}{'x-approvals-signature'}, 'v0=' . hmac_sha256_hex("v0:$ts_header:$got->{raw_body}", 'engine-secret'),
   'send-event signature verifies with HMAC-SHA256 of v0:ts:body');
is_deeply(decode_json($got->{raw_body}), $event, 'send-event body is the event JSON');

my $payload = { type => 'block_actions', user => { id => 'U1' }, actions => [{ action_id => 'approve', value => 'A-1/S 1' }] };
control($SLACK, 'POST', 'send-slack', { url => "http://127.0.0.1:$ENGINE->{port}/slack/interactions", payload => $payload });
($got) = grep { $_->{path} eq '/slack/interactions' } @{ control($ENGINE, 'GET', 'calls')->{calls} };
my $raw = $got->{raw_body};
my $slack_ts = $got->{headers}{'x-slack-request-timestamp'};
is($got->{headers}{'x-slack-signature'}, 'v0=' . hmac_sha256_hex("v0:$slack_ts:$raw", 'slack-secret'),
   'send-slack signature verifies with the signing secret');
like($raw, qr/^payload=%7B%22[0-9A-Za-z_.+%-]+$/, 'interactivity body is payload= + PHP-urlencoded JSON');
like($raw, qr/A-1%5C%2FS\+1/, 'payload escapes / as \\/ and encodes space as +');
is_deeply(interactivity_json($raw), $payload, 'interactivity payload decodes back to the JSON');

# ---- Slack: OAuth ------------------------------------------------------------------------

my $BASIC = ['1111.2222', 'cli-secret'];
my $issued = control($SLACK, 'POST', 'oauth/codes', { team_id => 'T9', team_name => 'Nine', authed_user => 'U9ADMIN',
                                                       redirect_uri => 'https://module.example/slack/oauth' });
like($issued->{code}, qr/^\d+\.\d+\.[0-9a-f]{64}$/, 'control code looks like a Slack code');
like($issued->{token}, qr/^xoxb-\d+-\d+-[0-9A-Za-z]{24}$/, 'control code names its xoxb- token');
($res, $body) = oauth_access({ code => $issued->{code}, redirect_uri => 'https://module.example/slack/oauth' }, $BASIC);
is($res->{status}, 200, 'oauth.v2.access: HTTP 200');
my $bot_user = $body->{bot_user_id} // '';
like($bot_user, qr/^U[0-9A-Z]+$/, 'oauth.v2.access: bot_user_id is a user id');
is_deeply($body, { ok => JSON::PP::true, access_token => $issued->{token}, token_type => 'bot',
                   scope => 'chat:write,chat:write.public,im:write,users:read,users:read.email',
                   bot_user_id => $bot_user, app_id => 'A0FAKEAPP01', team => { name => 'Nine', id => 'T9' },
                   enterprise => undef, authed_user => { id => 'U9ADMIN' }, is_enterprise_install => JSON::PP::false },
          'oauth.v2.access (HTTP Basic, client secret from a file): Slack\'s answer shape');
my $T9_TOKEN = $body->{access_token};
($res, $body) = slack_form('auth.test', {}, $T9_TOKEN);
ok($body->{ok} && $body->{team_id} eq 'T9' && $body->{team} eq 'Nine' && $body->{user_id} eq $bot_user,
   'auth.test works with the new token');
is($res->{headers}{'x-oauth-scopes'}, 'chat:write,chat:write.public,im:write,users:read,users:read.email',
   'the new token carries the granted scopes');
($res, $body) = oauth_access({ code => $issued->{code}, redirect_uri => 'https://module.example/slack/oauth' }, $BASIC);
is_deeply($body, { ok => JSON::PP::false, error => 'invalid_code' }, 'a used code: invalid_code');

$issued = control($SLACK, 'POST', 'oauth/codes', { team_id => 'T9', scopes => 'chat:write,im:write', token => 'xoxb-t9-second' });
($res, $body) = oauth_access({ code => $issued->{code}, client_id => '1111.2222', client_secret => 'cli-secret' });
ok($body->{ok} && $body->{access_token} eq 'xoxb-t9-second' && $body->{scope} eq 'chat:write,im:write'
   && $body->{bot_user_id} eq $bot_user, 'form client credentials; chosen token and scopes; same bot user per team');
($res, $body) = slack_form('users.info', { user => $bot_user }, 'xoxb-t9-second');
is($body->{error}, 'missing_scope', 'the new token has only the granted scopes');

$issued = control($SLACK, 'POST', 'oauth/codes', { team_id => 'T9', redirect_uri => 'https://module.example/cb' });
my @oauth_errors = (
    [{ code => $issued->{code} }, undef, 'invalid_client_id', 'no client credentials'],
    [{ code => $issued->{code} }, ['9999.9999', 'cli-secret'], 'invalid_client_id', 'unknown client id'],
    [{ code => $issued->{code}, client_id => '1111.2222', client_secret => 'wrong' }, undef, 'bad_client_secret', 'wrong secret'],
    [{ code => 'nope', redirect_uri => 'https://module.example/cb' }, $BASIC, 'invalid_code', 'unknown code'],
    [{ code => $issued->{code} }, $BASIC, 'bad_redirect_uri', 'redirect_uri missing'],
    [{ code => $issued->{code}, redirect_uri => 'https://evil.example/cb' }, $BASIC, 'bad_redirect_uri', 'other redirect_uri'],
    [{ code => $issued->{code}, redirect_uri => 'https://module.example/cb', grant_type => 'refresh_token' }, $BASIC,
     'invalid_grant_type', 'grant_type other than authorization_code'],
);
for my $case (@oauth_errors) {
    my ($args, $basic, $error, $what) = @$case;
    ($res, $body) = oauth_access($args, $basic);
    ok($res->{status} == 200 && !$body->{ok} && $body->{error} eq $error, "oauth.v2.access, $what: $error")
        or diag $res->{content};
}
($res, $body) = oauth_access({ code => $issued->{code}, redirect_uri => 'https://module.example/cb',
                               grant_type => 'authorization_code' }, $BASIC);
ok($body->{ok}, 'failed attempts do not use the code up; grant_type=authorization_code is accepted');
my $T9_TOKEN2 = $body->{access_token};
$issued = control($SLACK, 'POST', 'oauth/codes', { team_id => 'T9', expires_in => 0 });
($res, $body) = oauth_access({ code => $issued->{code} }, $BASIC);
is($body->{error}, 'invalid_code', 'an expired code: invalid_code');
control($SLACK, 'POST', 'oauth/client', { client_id => '3333.4444', client_secret => 'other', app_id => 'A0OTHER' });
$issued = control($SLACK, 'POST', 'oauth/codes', { team_id => 'T8', client_id => '3333.4444' });
($res, $body) = oauth_access({ code => $issued->{code} }, $BASIC);
is($body->{error}, 'invalid_code', 'a code of another client: invalid_code');
($res, $body) = oauth_access({ code => $issued->{code} }, ['3333.4444', 'other']);
ok($body->{ok} && $body->{app_id} eq 'A0OTHER', 'a client added over control exchanges its code (its app_id)');

# ---- Slack: the authorize page ----------------------------------------------------------

my $NOREDIRECT = HTTP::Tiny->new(timeout => 20, max_redirect => 0);
my $authorize = "http://127.0.0.1:$SLACK->{port}/oauth/v2/authorize";
my $callback = 'https://module.example/slack/oauth?install=1';
my $auth_query = $HTTP->www_form_urlencode({ client_id => '1111.2222', scope => 'chat:write,im:write',
                                             redirect_uri => $callback, state => 'st-1' });
$res = $NOREDIRECT->get("$authorize?$auth_query");
is($res->{status}, 200, 'authorize page: 200');
like($res->{headers}{'content-type'}, qr{^text/html}, 'authorize page is HTML');
like($res->{content}, qr{<form method="post" action="/oauth/v2/authorize/decide">}, 'authorize page posts to decide');
like($res->{content}, qr{name="team_id" value="T0SANDBOX1"}, 'workspace id prefilled');
like($res->{content}, qr{name="team_name" value="Sandbox"}, 'workspace name prefilled');
like($res->{content}, qr{name="state" value="st-1"}, 'the form carries state');
ok($res->{content} =~ /value="allow">Allow</ && $res->{content} =~ /value="deny">Cancel</, 'Allow and Cancel buttons');
$res = $NOREDIRECT->get("$authorize?client_id=9999.9999&scope=chat:write&redirect_uri=https://x.example/");
ok($res->{status} == 400 && $res->{content} =~ /invalid_client_id/, 'authorize with an unknown client: 400 error page');

my %form = (client_id => '1111.2222', scope => 'chat:write,im:write', redirect_uri => $callback, state => 'st-1',
            team_id => 'T0SANDBOX1', team_name => 'Sandbox');
$res = $NOREDIRECT->post_form("$authorize/decide", { %form, decision => 'allow' });
is($res->{status}, 302, 'Allow: 302');
like($res->{headers}{location}, qr{^https://module\.example/slack/oauth\?install=1&code=[^&]+&state=st-1$},
     'Allow: redirect_uri + &code=…&state=…');
my $page_code = location_query($res)->{code};
($res, $body) = oauth_access({ code => $page_code, redirect_uri => $callback }, $BASIC);
ok($body->{ok} && $body->{team}{id} eq 'T0SANDBOX1' && $body->{team}{name} eq 'Sandbox' && $body->{scope} eq 'chat:write,im:write',
   'the page\'s code exchanges for a token of the chosen workspace and requested scopes');
$res = $NOREDIRECT->post_form("$authorize/decide", { %form, redirect_uri => 'https://module.example/cb', decision => 'deny' });
is($res->{headers}{location}, 'https://module.example/cb?error=access_denied&state=st-1', 'Cancel: ?error=access_denied&state=…');

control($SLACK, 'POST', 'oauth/auto', { decision => 'allow', team_id => 'T0AUTO', team_name => 'Auto' });
$res = $NOREDIRECT->get("$authorize?$auth_query");
ok($res->{status} == 302 && location_query($res)->{state} eq 'st-1', 'auto allow: GET authorize redirects at once');
($res, $body) = oauth_access({ code => location_query($res)->{code}, redirect_uri => $callback }, $BASIC);
ok($body->{ok} && $body->{team}{id} eq 'T0AUTO' && $body->{team}{name} eq 'Auto', 'auto allow: code for the configured team');
control($SLACK, 'POST', 'oauth/auto', { decision => 'deny' });
$res = $NOREDIRECT->get("$authorize?$auth_query");
is(location_query($res)->{error}, 'access_denied', 'auto deny: redirect with error=access_denied');
control($SLACK, 'POST', 'oauth/auto', { decision => undef });
is($NOREDIRECT->get("$authorize?$auth_query")->{status}, 200, 'decision null: the page again');

# ---- Slack: auth.revoke ------------------------------------------------------------------

($res, $body) = slack_form('auth.revoke', { test => 1 }, 'xoxb-t9-second');
is_deeply($body, { ok => JSON::PP::true, revoked => JSON::PP::false }, 'auth.revoke test=1: revoked false');
ok((slack_form('auth.test', {}, 'xoxb-t9-second'))[1]{ok}, 'test mode revokes nothing');
($res, $body) = slack_form('auth.revoke', {}, 'xoxb-t9-second');
is_deeply($body, { ok => JSON::PP::true, revoked => JSON::PP::true }, 'auth.revoke: revoked true');
is((slack_form('auth.test', {}, 'xoxb-t9-second'))[1]{error}, 'token_revoked', 'a revoked token: token_revoked');
is((slack_form('auth.revoke', {}))[1]{error}, 'not_authed', 'auth.revoke without a token: not_authed');

# ---- Slack: revocation and uninstall events (the engine fake records them) ----------------

control($ENGINE, 'POST', 'inject', { endpoint => '/slack/events', status => 200, body => { ok => JSON::PP::true }, times => -1 });
control($ENGINE, 'DELETE', 'calls');
my $events_url = "http://127.0.0.1:$ENGINE->{port}/slack/events";
control($SLACK, 'POST', 'tokens', { token => 'xoxb-t9-third', team_id => 'T9', bot_user_id => 'UT9BOT3', scopes => ['chat:write'] });
my $revoked = control($SLACK, 'POST', 'tokens/revoke', { token => 'xoxb-t9-third', deliver_to => $events_url,
                                                          headers => { 'X-Slack-Retry-Num' => '1', 'X-Slack-Retry-Reason' => 'http_timeout' } });
ok($revoked->{ok} && $revoked->{token}{revoked}, 'tokens/revoke with deliver_to revokes');
is_deeply([@{ $revoked->{delivery} }{qw(status body)}], [200, '{"ok":true}'], 'tokens/revoke answers the delivery status and body');
my @received = @{ control($ENGINE, 'GET', 'calls')->{calls} };
is(scalar @received, 1, 'one event delivered');
my $env = check_event_delivery($received[0], 'tokens/revoke event');
is_deeply($env->{event}, { type => 'tokens_revoked', tokens => { oauth => [], bot => ['UT9BOT3'] } }, 'tokens_revoked event names the bot user');
is_deeply($env->{authorizations}, [{ enterprise_id => undef, team_id => 'T9', user_id => 'UT9BOT3', is_bot => JSON::PP::true,
                                     is_enterprise_install => JSON::PP::false }], 'authorizations name the bot');
ok($env->{team_id} eq 'T9' && $env->{api_app_id} eq 'A0FAKEAPP01', 'envelope team_id and api_app_id');
ok($received[0]{headers}{'x-slack-retry-num'} eq '1' && $received[0]{headers}{'x-slack-retry-reason'} eq 'http_timeout',
   'extra headers are sent');
is((slack_form('auth.test', {}, 'xoxb-t9-third'))[1]{error}, 'token_revoked', 'the revoked token answers token_revoked');

control($ENGINE, 'DELETE', 'calls');
my $stale = int(time) - 600;
my $uninstall = control($SLACK, 'POST', 'teams/uninstall', { team_id => 'T9', deliver_to => $events_url, timestamp => $stale });
is_deeply([sort @{ $uninstall->{revoked} }], [sort $T9_TOKEN, $T9_TOKEN2],
          'teams/uninstall revokes and lists the live tokens of the team (not the already revoked ones)');
is_deeply([map { $_->{status} } @{ $uninstall->{deliveries} }], [200, 200], 'two deliveries, both answered 200');
@received = @{ control($ENGINE, 'GET', 'calls')->{calls} };
is(scalar @received, 2, 'two events delivered');
my @types = map { decode_json($_->{raw_body})->{event}{type} } @received;
is_deeply(\@types, ['app_uninstalled', 'tokens_revoked'], 'app_uninstalled first, then tokens_revoked');
is($received[0]{headers}{'x-slack-request-timestamp'}, $stale, '`timestamp` signs with a stale time');
is($received[0]{headers}{'x-slack-signature'},
   'v0=' . hmac_sha256_hex("v0:$stale:$received[0]{raw_body}", 'slack-secret'), 'stale-time delivery is still correctly signed');
my $env2 = decode_json($received[1]{raw_body});
is_deeply(decode_json($received[0]{raw_body})->{event}, { type => 'app_uninstalled' }, 'app_uninstalled event');
is_deeply($env2->{event}{tokens}, { oauth => [], bot => [$bot_user] }, 'tokens_revoked lists the bot user once');
isnt(decode_json($received[0]{raw_body})->{event_id}, $env2->{event_id}, 'event ids are unique');
is((slack_form('auth.test', {}, $T9_TOKEN))[1]{error}, 'account_inactive', 'after uninstall the bot token answers account_inactive');
control($ENGINE, 'DELETE', 'calls');
$uninstall = control($SLACK, 'POST', 'teams/uninstall', { team_id => 'T0AUTO', deliver_to => $events_url,
                                                          events => ['tokens_revoked'], error => 'token_revoked' });
@received = @{ control($ENGINE, 'GET', 'calls')->{calls} };
ok(@received == 1 && decode_json($received[0]{raw_body})->{event}{type} eq 'tokens_revoked', '`events` chooses the events');
check_event_delivery($received[0], 'uninstall event');
control($ENGINE, 'DELETE', 'inject');

# ---- Slack: interactivity (clicks, trigger ids, modals, response_url) ----------------

my $ECHO_JS = <<'JS';
const http = require('http');
const server = http.createServer((req, res) => {
  const query = new URL(req.url, 'http://x').searchParams;
  const reply = query.get('reply') || '';
  req.resume();
  req.on('end', () => {
    res.writeHead(Number(query.get('status') || 200), reply ? { 'Content-Type': 'application/json' } : {});
    res.end(reply);
  });
});
server.listen(0, '127.0.0.1', () => console.log('READY ' + JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
JS
my $ECHO = start_node('echo listener', '-e', $ECHO_JS);
# A URL of the listener that answers $reply (a JSON object or '' for an empty body).
sub echo_url {
    my ($reply) = @_;
    my $text = ref $reply ? $JSON->encode($reply) : ($reply // '');
    return "http://127.0.0.1:$ECHO->{port}/slack/interactions?" . $HTTP->www_form_urlencode({ reply => $text });
}
my $INTERACTIONS = "http://127.0.0.1:$ENGINE->{port}/slack/interactions";
my $SLACK_PORT = $SLACK->{port};

sub approval_blocks {
    return [
        { type => 'section', block_id => 'intro', text => { type => 'mrkdwn', text => 'Approve *A-1*?' } },
        { type => 'actions', block_id => 'decide', elements => [
            { type => 'button', action_id => 'approve', value => 'A-1/S 1', style => 'primary',
              text => { type => 'plain_text', text => 'Approve' } },
            { type => 'button', action_id => 'reject', value => 'A-1/S 1', style => 'danger',
              text => { type => 'plain_text', text => 'Reject' },
              confirm => { title => { type => 'plain_text', text => 'Sure?' }, text => { type => 'plain_text', text => 'Reject A-1' },
                           confirm => { type => 'plain_text', text => 'Reject' }, deny => { type => 'plain_text', text => 'Back' } } },
        ] },
    ];
}

sub post_approval {
    my ($channel, $token) = @_;
    my (undef, $posted) = slack_json('chat.postMessage', { channel => $channel, text => 'Approval A-1', blocks => approval_blocks() },
                                     $token // 'xoxb-good');
    return $posted->{ts} // die "chat.postMessage failed\n";
}

sub click {
    my (%args) = @_;
    return control($SLACK, 'POST', 'click', { user => 'U1', action_id => 'approve', deliver => JSON::PP::false, %args });
}

sub trigger { click(@_)->{trigger_id} }

sub plain { { type => 'plain_text', text => $_[0] } }
sub options { [map { { text => plain($_), value => $_ } } @_] }

sub modal {
    my (%extra) = @_;
    return { type => 'modal', callback_id => 'decide_modal', title => plain('Decide A-1'), submit => plain('Send'),
             close => plain('Cancel'), private_metadata => 'A-1/S-1',
             blocks => [
                 { type => 'input', block_id => 'c', label => plain('Comment'),
                   element => { type => 'plain_text_input', action_id => 'comment', multiline => JSON::PP::true } },
                 { type => 'input', block_id => 'd', label => plain('Decision'),
                   element => { type => 'radio_buttons', action_id => 'decision', options => options(qw(approve reject)) } },
                 { type => 'input', block_id => 'v', label => plain('Votes'), optional => JSON::PP::true,
                   element => { type => 'checkboxes', action_id => 'votes', options => options(qw(o1 o2 o3)) } },
                 { type => 'input', block_id => 'n', label => plain('Note'), optional => JSON::PP::true,
                   element => { type => 'plain_text_input', action_id => 'note' } },
             ], %extra };
}

# views.open with a fresh trigger of U1; returns the view.
sub open_modal {
    my (%extra) = @_;
    my (undef, $opened) = slack_json('views.open', { trigger_id => trigger(channel => 'C1', ts => post_approval('C1')),
                                                     view => modal(%extra) }, 'xoxb-good');
    return $opened->{view} // die "views.open failed: " . $JSON->encode($opened) . "\n";
}

control($SLACK, 'POST', 'teams', { team_id => 'T2', name => 'Other', domain => 'other' });
control($SLACK, 'POST', 'tokens', { token => 'xoxb-t2', team_id => 'T2', bot_user_id => 'UBOTT2', scopes => ['chat:write'] });
control($SLACK, 'POST', 'users', { id => 'UT2', team_id => 'T2', name => 'tom' });
control($SLACK, 'POST', 'channels', { id => 'C9', team_id => 'T2', name => 'general' });
control($SLACK, 'POST', 'users', { id => 'U3', team_id => 'T1', name => 'cy' });

# -- trigger ids and views.open

my $approval_ts = post_approval('C1');
my $clicked = click(channel => 'C1', ts => $approval_ts);
ok(!$clicked->{sent} && $clicked->{payload}{type} eq 'block_actions', 'click with deliver false builds the payload only');
like($clicked->{trigger_id}, qr/^\d{13}\.\d{10}\.[0-9a-f]{32}$/, 'trigger_id looks like Slack\'s');
like($clicked->{response_url}, qr{^http://127\.0\.0\.1:$SLACK_PORT/actions/T1/\d+/[0-9A-Za-z]+$}, 'response_url on the fake\'s port');
($res, $body) = slack_json('views.open', { trigger_id => $clicked->{trigger_id}, view => modal() }, 'xoxb-good');
ok($body->{ok}, 'views.open with a fresh trigger (JSON body, view object)') or diag $res->{content};
my $view = $body->{view};
like($view->{id}, qr/^V[0-9A-Z]{8,}$/, 'view id V…');
like($view->{hash}, qr/^\d{10}\.\d+$/, 'view hash <secs>.<digits>');
is_deeply([@$view{qw(team_id type callback_id private_metadata external_id root_view_id previous_view_id app_id
                     app_installed_team_id clear_on_close notify_on_close)}],
          ['T1', 'modal', 'decide_modal', 'A-1/S-1', '', $view->{id}, undef, 'A0FAKEAPP01', 'T1', JSON::PP::false, JSON::PP::false],
          'views.open answers Slack\'s view object');
is_deeply([$view->{state}, $view->{title}, $view->{blocks}[0]{block_id}], [{ values => {} }, plain('Decide A-1'), 'c'],
          'view state, title and blocks as sent');
my ($listed) = grep { $_->{id} eq $view->{id} } @{ control($SLACK, 'GET', 'views?user=U1&state=open')->{views} };
ok($listed && $listed->{callback_id} eq 'decide_modal' && $listed->{hash} eq $view->{hash}, 'GET views lists the open view of the clicking user');
($res, $body) = slack_json('views.open', { trigger_id => $clicked->{trigger_id}, view => modal() }, 'xoxb-good');
is($body->{error}, 'exchanged_trigger_id', 'a used trigger: exchanged_trigger_id');
($res, $body) = slack_json('views.open', { trigger_id => '1234567890123.1234567890.0123456789abcdef0123456789abcdef', view => modal() }, 'xoxb-good');
is($body->{error}, 'invalid_trigger_id', 'an unknown trigger: invalid_trigger_id');
my $t2_trigger = trigger(channel => 'C9', ts => post_approval('C9', 'xoxb-t2'), user => 'UT2');
($res, $body) = slack_json('views.open', { trigger_id => $t2_trigger, view => modal() }, 'xoxb-good');
is($body->{error}, 'invalid_trigger_id', 'a trigger of another team: invalid_trigger_id');
is(control($SLACK, 'POST', 'config', { trigger_ttl_ms => 100 })->{config}{trigger_ttl_ms}, 100, 'config sets the trigger lifetime');
my $old_trigger = trigger(channel => 'C1', ts => $approval_ts);
sleep 0.3;
($res, $body) = slack_json('views.open', { trigger_id => $old_trigger, view => modal() }, 'xoxb-good');
is($body->{error}, 'expired_trigger_id', 'a trigger older than trigger_ttl_ms: expired_trigger_id');
control($SLACK, 'POST', 'config', { trigger_ttl_ms => 3000 });

my $trigger = trigger(channel => 'C1', ts => $approval_ts);
my %long_title = %{ modal() };
$long_title{title} = plain('x' x 25);
($res, $body) = slack_json('views.open', { trigger_id => $trigger, view => \%long_title }, 'xoxb-good');
is_deeply([@$body{qw(ok error)}, $body->{response_metadata}{messages}],
          [JSON::PP::false, 'invalid_arguments', ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]']],
          'a 25-character title: invalid_arguments with a json-pointer message');
($res, $body) = slack_json('views.open', { trigger_id => $trigger, view => { %{ modal() }, type => 'home' } }, 'xoxb-good');
is($body->{error}, 'invalid_arguments', 'a home view: invalid_arguments (modals only)');
($res, $body) = slack_json('views.open', { trigger_id => $trigger }, 'xoxb-good');
is_deeply($body->{response_metadata}{messages}, ['[ERROR] missing required field: view'], 'no view: missing required field');
my @big = map { { type => 'section', text => { type => 'mrkdwn', text => 'y' x 3000 } } } 1 .. 90;
($res, $body) = slack_json('views.open', { trigger_id => $trigger, view => { %{ modal() }, blocks => \@big } }, 'xoxb-good');
is($body->{error}, 'view_too_large', 'a view over 250 kB: view_too_large');
($res, $body) = slack_form('views.open', { trigger_id => $trigger, view => $JSON->encode(modal(callback_id => 'form_modal')) }, 'xoxb-good');
ok($body->{ok} && $body->{view}{callback_id} eq 'form_modal', 'refused views.open calls do not use the trigger up; form body with a JSON string view');

# -- views.update

my $form_view = $body->{view};
($res, $body) = slack_json('views.update', { view_id => $form_view->{id}, hash => '1.2', view => modal() }, 'xoxb-good');
is($body->{error}, 'hash_conflict', 'views.update with a stale hash: hash_conflict');
($res, $body) = slack_json('views.update', { view_id => 'V0NOSUCH00', view => modal() }, 'xoxb-good');
is($body->{error}, 'not_found', 'views.update of an unknown view: not_found');
($res, $body) = slack_json('views.update', { view_id => $form_view->{id}, hash => $form_view->{hash},
                                              view => modal(title => plain('Updated'), external_id => 'ext-1') }, 'xoxb-good');
ok($body->{ok} && $body->{view}{id} eq $form_view->{id} && $body->{view}{title}{text} eq 'Updated'
   && $body->{view}{hash} ne $form_view->{hash}, 'views.update replaces the view and gives it a new hash');
($res, $body) = slack_json('views.update', { external_id => 'ext-1', view => modal(title => plain('Again'), external_id => 'ext-1') }, 'xoxb-good');
ok($body->{ok} && $body->{view}{id} eq $form_view->{id}, 'views.update by external_id');

# -- clicks delivered to the module (the engine fake records them)

control($ENGINE, 'POST', 'inject', { endpoint => '/slack/interactions', status => 200, body => {}, times => -1 });
control($ENGINE, 'DELETE', 'calls');
$clicked = control($SLACK, 'POST', 'click', { url => $INTERACTIONS, channel => 'C1', ts => $approval_ts, action_id => 'approve', user => 'U1' });
ok($clicked->{sent} && $clicked->{status} == 200, 'click delivers to the module and answers its status');
my ($delivered) = @{ control($ENGINE, 'GET', 'calls')->{calls} };
$raw = $delivered->{raw_body};
is($raw, $clicked->{request}{body}, 'the answer carries the exact body sent');
my $sig_ts = $delivered->{headers}{'x-slack-request-timestamp'};
is($delivered->{headers}{'x-slack-signature'}, 'v0=' . hmac_sha256_hex("v0:$sig_ts:$raw", 'slack-secret'),
   'click: signature verifies with the signing secret');
ok($delivered->{headers}{'content-type'} eq 'application/x-www-form-urlencoded'
   && $delivered->{headers}{'user-agent'} eq 'Slackbot 1.0 (+https://api.slack.com/robots)', 'click: form content type, Slackbot User-Agent');
like($raw, qr/^payload=[0-9A-Za-z%+._-]+$/, 'click body: payload= + letters, digits, -_. , + and %XX only');
unlike($raw, qr/%(?![0-9A-F]{2})/, 'click body: every %XX is upper-case hex');
like($raw, qr/A-1%5C%2FS\+1/, 'click body: JSON escapes / as \\/, the form encodes space as +');
like($raw, qr/%22response_url%22%3A%22http%3A%5C%2F%5C%2F127\.0\.0\.1/, 'click body: the response_url has \\/ too');
my $got_payload = interactivity_json($raw);
is_deeply($got_payload, $clicked->{payload}, 'the delivered payload is the one answered');
is_deeply([sort keys %$got_payload], [sort qw(type user api_app_id token container trigger_id team enterprise is_enterprise_install
                                             channel message state response_url actions)], 'block_actions: Slack\'s fields');
is_deeply([@$got_payload{qw(type user api_app_id token container team enterprise is_enterprise_install channel state)}],
          ['block_actions', { id => 'U1', username => 'ada', name => 'ada', team_id => 'T1' }, 'A0FAKEAPP01', 'fakeVerificationToken123',
           { type => 'message', message_ts => $approval_ts, channel_id => 'C1', is_ephemeral => JSON::PP::false },
           { id => 'T1', domain => 'acme' }, undef, JSON::PP::false, { id => 'C1', name => 'approvals' }, { values => {} }],
          'block_actions: user, app, token, container, team, channel, state');
is_deeply($got_payload->{message}, { bot_id => $got_payload->{message}{bot_id}, type => 'message', text => 'Approval A-1', user => 'UBOT',
                                     ts => $approval_ts, team => 'T1', blocks => approval_blocks() }, 'block_actions: the message as posted');
my $action = $got_payload->{actions}[0];
like($action->{action_ts}, qr/^\d{10}\.\d{6}$/, 'action_ts looks like a ts');
is_deeply($action, { action_id => 'approve', block_id => 'decide', text => plain('Approve'), value => 'A-1/S 1', style => 'primary',
                     type => 'button', action_ts => $action->{action_ts} }, 'block_actions: the clicked button');
($res, $body) = slack_json('views.open', { trigger_id => $got_payload->{trigger_id}, view => modal() }, 'xoxb-good');
ok($body->{ok}, 'the delivered trigger_id opens a view');
control($SLACK, 'POST', 'send-slack', { url => $INTERACTIONS, body => $clicked->{request}{body},
                                       content_type => 'application/x-www-form-urlencoded', headers => { 'X-Slack-Retry-Num' => '1' } });
my @again = @{ control($ENGINE, 'GET', 'calls')->{calls} };
ok(@again == 2 && $again[1]{raw_body} eq $raw && $again[1]{headers}{'x-slack-retry-num'} eq '1', 'send-slack resends the identical body as a retry');

my $dm_ts = post_approval($dm);
my $dm_click = click(channel => $dm, ts => $dm_ts, action_id => 'reject', block_id => 'decide', value => 'A-1/S 1');
ok($dm_click->{payload}{channel}{name} eq 'directmessage' && $dm_click->{payload}{actions}[0]{action_id} eq 'reject',
   'a DM click: channel name "directmessage"; block_id / value narrow the button');
control($ENGINE, 'DELETE', 'calls');
my $dismissed = control($SLACK, 'POST', 'click', { url => $INTERACTIONS, channel => $dm, ts => $dm_ts, action_id => 'reject',
                                                 user => 'U1', confirm => JSON::PP::false });
is_deeply($dismissed, { sent => JSON::PP::false, reason => 'dismissed' }, 'a confirm dialog dismissed: nothing sent');
is(scalar @{ control($ENGINE, 'GET', 'calls')->{calls} }, 0, 'a dismissed click delivers nothing');
(undef, $body) = slack_json('chat.postEphemeral', { channel => 'C1', user => 'U1', text => 'Just you', blocks => approval_blocks() }, 'xoxb-good');
my $eph_click = click(channel => 'C1', ts => $body->{message_ts});
ok($eph_click->{payload}{container}{is_ephemeral} && $eph_click->{payload}{message}{text} eq 'Just you',
   'a click in an ephemeral message: container.is_ephemeral true');
($res, $body) = control_raw($SLACK, 'POST', 'click', { channel => 'C1', ts => $body->{message_ts}, action_id => 'approve', user => 'U3',
                                                     deliver => JSON::PP::false });
is("$res->{status} $body->{error}", '400 message_not_visible', 'another user cannot click an ephemeral message');
for my $case ([{ ts => '1.000001' }, 404, 'message_not_found'], [{ action_id => 'nope' }, 404, 'action_not_found'],
              [{ action_id => 'approve', value => 'other' }, 404, 'action_not_found'], [{ user => 'UT2' }, 400, 'unknown_user'],
              [{ user => 'U2' }, 400, 'unknown_user']) {
    my ($r, $b) = control_raw($SLACK, 'POST', 'click', { channel => 'C1', ts => $approval_ts, action_id => 'approve', user => 'U1',
                                                         deliver => JSON::PP::false, %{ $case->[0] } });
    is("$r->{status} " . ($b->{error} // ''), "$case->[1] $case->[2]", "click: $case->[2] (" . $JSON->encode($case->[0]) . ')');
}

# -- response_url

my $resp_url = click(channel => 'C1', ts => $approval_ts)->{response_url};
$res = post_json($resp_url, { text => 'Only you see this' });
is_deeply([$res->{status}, decoded($res)], [200, { ok => JSON::PP::true }], 'response_url: 200 {"ok":true}');
my ($eph) = grep { $_->{text} eq 'Only you see this' } @{ control($SLACK, 'GET', 'messages?channel=C1&ephemeral=true')->{messages} };
ok($eph && $eph->{is_ephemeral} && $eph->{ephemeral_user} eq 'U1', 'response_url: ephemeral by default, for the clicking user');
$res = post_json($resp_url, { replace_original => JSON::PP::true, text => 'Approved by Ada',
                              blocks => [{ type => 'section', text => { type => 'mrkdwn', text => 'Approved' } }] });
my $replaced = control($SLACK, 'GET', "messages?channel=C1&ts=$approval_ts")->{messages}[0];
ok($res->{status} == 200 && $replaced->{text} eq 'Approved by Ada' && $replaced->{blocks}[0]{type} eq 'section'
   && $replaced->{update_count} == 1 && $replaced->{edited}, 'response_url replace_original: the original message is updated');
$res = post_json($resp_url, { response_type => 'in_channel', text => 'Everyone sees this' });
my ($visible) = grep { $_->{text} eq 'Everyone sees this' } @{ control($SLACK, 'GET', 'messages?channel=C1&ephemeral=false')->{messages} };
ok($visible && $visible->{user} eq 'UBOT', 'response_url in_channel: a new visible message from the bot');
is(post_json($resp_url, { text => 'fourth' })->{status}, 200, 'response_url: fourth use');
is(post_json($resp_url, { text => 'fifth' })->{status}, 200, 'response_url: fifth use');
$res = post_json($resp_url, { text => 'sixth' });
is_deeply([$res->{status}, decoded($res)], [404, { ok => JSON::PP::false, error => 'used_url' }], 'response_url: sixth use → 404 used_url');
$res = post_json("http://127.0.0.1:$SLACK_PORT/actions/T1/1/nope", { text => 'x' });
is_deeply([$res->{status}, decoded($res)->{error}], [404, 'invalid_url'], 'unknown response_url: 404 invalid_url');
my @uses = @{ control($SLACK, 'GET', 'calls?method=response_url')->{calls} };
ok(@uses == 7 && $uses[0]{args}{text} eq 'Only you see this' && $uses[0]{response}{status} == 200,
   'response_url uses are recorded with method response_url and the parsed body');
my $del_ts = post_approval('C1');
$resp_url = click(channel => 'C1', ts => $del_ts)->{response_url};
control($SLACK, 'POST', 'inject', { method => 'response_url', status => 500 });
is(post_json($resp_url, { text => 'x' })->{status}, 500, 'injections apply to response_url');
post_json($resp_url, { delete_original => JSON::PP::true });
is(scalar @{ control($SLACK, 'GET', "messages?channel=C1&ts=$del_ts")->{messages} }, 0, 'response_url delete_original deletes the message');
control($SLACK, 'POST', 'config', { response_url_ttl_ms => 0 });
$resp_url = click(channel => 'C1', ts => post_approval('C1'))->{response_url};
sleep 0.05;
is(decoded(post_json($resp_url, { text => 'late' }))->{error}, 'expired_url', 'response_url after its lifetime: expired_url');
control($SLACK, 'POST', 'config', { response_url_ttl_ms => 1800000 });

# -- view submissions

$view = open_modal();
my $submitted = control($SLACK, 'POST', 'submit-view', { url => echo_url(''), view_id => $view->{id},
                                                         answers => { comment => 'Looks good', decision => 'approve', votes => ['o1', 'o3'] } });
ok($submitted->{sent} && $submitted->{status} == 200 && $submitted->{view_state} eq 'closed', 'submit-view; an empty 200 closes the view');
my $sub = interactivity_json($submitted->{request}{body});
is_deeply($sub, $submitted->{payload}, 'the submitted payload is the one answered');
is_deeply([sort keys %$sub], [sort qw(type team user api_app_id token trigger_id view response_urls is_enterprise_install enterprise)],
          'view_submission: Slack\'s fields');
is_deeply([@$sub{qw(type team user api_app_id token response_urls is_enterprise_install enterprise)}],
          ['view_submission', { id => 'T1', domain => 'acme' }, { id => 'U1', username => 'ada', name => 'ada', team_id => 'T1' },
           'A0FAKEAPP01', 'fakeVerificationToken123', [], JSON::PP::false, undef], 'view_submission: team, user, app, token');
like($sub->{trigger_id}, qr/^\d{13}\.\d{10}\.[0-9a-f]{32}$/, 'view_submission carries a new trigger_id');
is_deeply($sub->{view}{state}{values}, {
    c => { comment => { type => 'plain_text_input', value => 'Looks good' } },
    d => { decision => { type => 'radio_buttons', selected_option => { text => plain('approve'), value => 'approve' } } },
    v => { votes => { type => 'checkboxes', selected_options => [{ text => plain('o1'), value => 'o1' }, { text => plain('o3'), value => 'o3' }] } },
    n => { note => { type => 'plain_text_input', value => undef } },
}, 'answers become Slack\'s state: full option objects, unanswered inputs with value null');
is_deeply([@{ $sub->{view} }{qw(id callback_id private_metadata hash)}], [@$view{qw(id callback_id private_metadata hash)}],
          'view_submission: the stored view');
($listed) = grep { $_->{id} eq $view->{id} } @{ control($SLACK, 'GET', 'views?state=closed')->{views} };
ok($listed && $listed->{state} eq 'closed', 'the submitted view is closed');
my ($r, $b) = control_raw($SLACK, 'POST', 'submit-view', { url => echo_url(''), view_id => $view->{id}, answers => {} });
is("$r->{status} $b->{error}", '409 view_not_open', 'a closed view cannot be submitted');

$view = open_modal();
($r, $b) = control_raw($SLACK, 'POST', 'submit-view', { url => echo_url(''), view_id => $view->{id}, answers => { decision => 'maybe' } });
is("$r->{status} $b->{error}", '400 unknown_option', 'an answer that is no option: 400 unknown_option');
($r, $b) = control_raw($SLACK, 'POST', 'submit-view', { url => echo_url(''), view_id => $view->{id}, answers => { nope => 'x' } });
is("$r->{status} $b->{error}", '400 unknown_action', 'an answer for no element of the view: 400 unknown_action');
$submitted = control($SLACK, 'POST', 'submit-view', { url => echo_url({ response_action => 'errors', errors => { c => 'Say more' } }),
                                                      view_id => $view->{id}, answers => { comment => 'x', decision => 'reject' } });
ok($submitted->{view_state} eq 'open' && $submitted->{errors}{c} eq 'Say more', 'response_action errors keeps the view open');
is_deeply($submitted->{payload}{view}{state}{values}{v}, { votes => { type => 'checkboxes', selected_options => [] } },
          'unanswered checkboxes: selected_options []');
($listed) = grep { $_->{id} eq $view->{id} } @{ control($SLACK, 'GET', 'views?state=open')->{views} };
is_deeply($listed->{errors}, { c => 'Say more' }, 'GET views shows the errors');
$submitted = control($SLACK, 'POST', 'submit-view', { url => echo_url({ response_action => 'errors', errors => { intro => 'no' } }),
                                                      view_id => $view->{id}, values => { c => { comment => { type => 'plain_text_input', value => 'y' } } } });
ok($submitted->{view_state} eq 'open' && $submitted->{response_error} =~ /intro/,
   'errors naming a block that is no input block: an error is recorded, the view stays open');
is($submitted->{payload}{view}{state}{values}{c}{comment}{value}, 'y', '`values` in Slack\'s shape are taken as given');
$submitted = control($SLACK, 'POST', 'submit-view', { url => echo_url({ response_action => 'update', view => modal(title => plain('Step 2')) }),
                                                      view_id => $view->{id}, answers => {} });
ok($submitted->{view_state} eq 'open' && $submitted->{view}{title}{text} eq 'Step 2', 'response_action update replaces the view');
$submitted = control($SLACK, 'POST', 'submit-view', { url => echo_url({}), view_id => $view->{id}, answers => {} });
is($submitted->{view_state}, 'closed', '{} closes the view');
$view = open_modal();
$submitted = control($SLACK, 'POST', 'submit-view', { url => echo_url({ response_action => 'push', view => modal(callback_id => 'step2') }),
                                                      view_id => $view->{id}, answers => { comment => 'a', decision => 'approve' } });
my ($pushed) = control($SLACK, 'GET', "views?id=$submitted->{pushed_view_id}")->{views}[0];
ok($submitted->{view_state} eq 'open' && $pushed->{state} eq 'open' && $pushed->{previous_view_id} eq $view->{id}
   && $pushed->{root_view_id} eq $view->{id}, 'response_action push opens a view on top');
$submitted = control($SLACK, 'POST', 'submit-view', { url => echo_url({ response_action => 'clear' }), view_id => $pushed->{id},
                                                      answers => { comment => 'b', decision => 'reject' } });
is_deeply([map { control($SLACK, 'GET', "views?id=$_")->{views}[0]{state} } $view->{id}, $pushed->{id}], ['closed', 'closed'],
          'response_action clear closes every view of the modal');

# -- closing views

$view = open_modal(notify_on_close => JSON::PP::true);
my $closed = control($SLACK, 'POST', 'close-view', { url => echo_url(''), view_id => $view->{id} });
ok($closed->{sent} && $closed->{status} == 200 && $closed->{view_state} eq 'closed', 'close-view with notify_on_close delivers');
my $cp = interactivity_json($closed->{request}{body});
is_deeply([sort keys %$cp], [sort qw(type team user view api_app_id token is_cleared is_enterprise_install enterprise)], 'view_closed: Slack\'s fields');
ok($cp->{type} eq 'view_closed' && !$cp->{is_cleared} && $cp->{view}{id} eq $view->{id} && $cp->{user}{id} eq 'U1',
   'view_closed: the view, the user, is_cleared false');
$view = open_modal();
$closed = control($SLACK, 'POST', 'close-view', { url => echo_url(''), view_id => $view->{id} });
is_deeply($closed, { sent => JSON::PP::false, reason => 'notify_on_close not set', view_state => 'closed' },
          'close-view without notify_on_close: nothing sent');
($listed) = grep { $_->{id} eq $view->{id} } @{ control($SLACK, 'GET', 'views')->{views} };
is($listed->{state}, 'closed', 'the closed view is closed');

control($ENGINE, 'DELETE', 'inject');

# ---- SMTP sink --------------------------------------------------------------------------

control($SMTP, 'POST', 'inject', { stage => 'rcpt', code => 550, address => 'bad@example.com' });
my $smtp = Net::SMTP->new('127.0.0.1', Port => $SMTP->{port}, Hello => 'tester.local', Timeout => 10)
    or die "cannot connect to smtp-sink\n";
ok(defined $smtp->supports('8BITMIME') && defined $smtp->supports('PIPELINING')
   && $smtp->supports('SIZE') && !defined $smtp->supports('STARTTLS') && !defined $smtp->supports('AUTH'),
   'EHLO advertises 8BITMIME, SIZE and PIPELINING, no STARTTLS or AUTH');
$smtp->command('DATA');
is($smtp->response, 5, 'DATA before MAIL is refused');
is($smtp->code, 503, 'bad sequence: 503');
ok($smtp->mail('approvals@example.com'), 'MAIL FROM accepted');
ok(!$smtp->to('bad@example.com') && $smtp->code == 550, 'injected 550 on RCPT');
ok($smtp->to('cy@example.com'), 'RCPT TO accepted');
$smtp->data;
$smtp->datasend("From: approvals\@example.com\nTo: cy\@example.com\nSubject: Approval needed\n\n");
$smtp->datasend(".leading dot\n.\nlast line\n");
ok($smtp->dataend, 'message accepted after DATA');
$smtp->quit;
my $mails = control($SMTP, 'GET', 'messages')->{messages};
is(scalar @$mails, 1, 'sink stored one message');
is_deeply($mails->[0]{rcpt_to}, ['cy@example.com'], 'stored envelope recipients exclude the rejected one');
is($mails->[0]{headers}{subject}, 'Approval needed', 'stored message headers are parsed');
is($mails->[0]{body}, ".leading dot\r\n.\r\nlast line\r\n", 'dot-stuffing is undone');

# ---- speed and clean shutdown -----------------------------------------------------------

my $start = time;
my $ok = 0;
for (1 .. 2000) {
    my ($r, $b) = slack_form('auth.test', {}, 'xoxb-good');
    $ok++ if $b->{ok};
}
my $took = time - $start;
is($ok, 2000, sprintf('fake Slack answered 2000 sequential requests (%.2f s)', $took));
cmp_ok($took, '<', 20, '2000 requests took well under 20 s');

control($SLACK, 'POST', 'config', { trigger_ttl_ms => 50 });
control($SLACK, 'POST', 'reset');
is_deeply([control($SLACK, 'GET', 'config')->{config}{trigger_ttl_ms}, scalar @{ control($SLACK, 'GET', 'views')->{views} },
           decoded(post_json($resp_url, { text => 'x' }))->{error}], [3000, 0, 'invalid_url'],
          'reset restores trigger_ttl_ms 3000 and forgets views and response_urls');
my $after = control($SLACK, 'POST', 'oauth/codes', { team_id => 'T9' });
($res, $body) = oauth_access({ code => $after->{code} }, $BASIC);
ok($body->{ok}, 'reset keeps the command line\'s OAuth client');
$after = control($SLACK, 'POST', 'oauth/codes', { team_id => 'T9' });
($res, $body) = oauth_access({ code => $after->{code} }, ['3333.4444', 'other']);
is($body->{error}, 'invalid_client_id', 'reset forgets clients added over control');

# ---- --tokens-file: a restarted fake still knows the tokens it issued ----------
{
    my (undef, $tokens_file) = tempfile(UNLINK => 1);
    unlink $tokens_file;
    my $first = start_fake('fake-slack.js', '--tokens-file', $tokens_file);
    control($first, 'POST', 'tokens', [ { token => 'xoxb-kept', team_id => 'T0KEEP', scopes => ['chat:write'] },
                                        { token => 'xoxb-gone', team_id => 'T0KEEP' } ]);
    control($first, 'POST', 'tokens/revoke', { token => 'xoxb-gone' });
    is(stop_fake($first->{pid}), 0, 'the fake with a tokens file stops');
    ok(-s $tokens_file, 'the tokens were written');
    my $again = start_fake('fake-slack.js', '--tokens-file', $tokens_file);
    my $api = sub {
        my ($token) = @_;
        return decoded($HTTP->post_form("http://127.0.0.1:$again->{port}/api/auth.test", {},
                                        { headers => { Authorization => "Bearer $token" } }));
    };
    is_deeply([$api->('xoxb-kept')->{team_id}, $api->('xoxb-gone')->{error}, $api->('xoxb-other')->{error}],
              ['T0KEEP', 'token_revoked', 'invalid_auth'],
              'after a restart: the kept token works, the revoked one stays revoked, others are unknown');
    stop_fake($again->{pid});
}

stop_fake($ECHO->{pid});
for my $fake ([slack => $SLACK], [engine => $ENGINE], [smtp => $SMTP]) {
    is(stop_fake($fake->[1]{pid}), 0, "$fake->[0] fake exits 0 on SIGTERM");
}

done_testing();
