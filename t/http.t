#!/usr/bin/perl
# The module's HTTP surface against the running test httpd (DESIGN section 4):
# /healthz (and its 503 in a virtual host whose database is unreachable),
# Slack's /slack/events (signatures, timestamps, JSON, body limit), routing,
# the admin rules (auth, Content-Type, Origin) with queue probes.
# The cache diagnostics endpoint is in t/cache.t.
use strict;
use warnings FATAL => 'all';
use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest ();
use HTTP::Request;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use MIME::Base64 ();
use Time::HiRes ();
use lib 't/lib';
use SAP::Test qw(secret sign_headers admin_request json_of psql wait_until base_url
                 module_path);

plan tests => 77;

$SIG{PIPE} = 'IGNORE';

my $MAX_BODY = 512 * 1024;
my $EVENTS = module_path() . '/slack/events';
my $UA = Apache::TestRequest::user_agent(reset => 1, keep_alive => 0, requests_redirectable => 0);

# Test.pm's ok($a, $b) compares $a with $b: a condition with a name goes here.
sub check {
    my ($cond, $name) = @_;
    local $Test::TestLevel = $Test::TestLevel + 1;
    return ok t_cmp($cond ? 1 : 0, 1, $name);
}

sub request {
    my ($method, $path, $headers, $body) = @_;
    return $UA->request(HTTP::Request->new($method, base_url() . $path, $headers || [], $body));
}

# A POST to /slack/events; headers are given whole (signed or not).
sub post_events {
    my ($body, @headers) = @_;
    return request(POST => $EVENTS, ['Content-Type' => 'application/json', @headers], $body);
}

sub is_json_response {
    my ($res) = @_;
    return ($res->header('Content-Type') // '') =~ m{^application/json\b};
}

# Waits until the start of a wall-clock second, so that a request sent now is
# answered within the same second: timestamps at exactly ±299/±301 seconds
# then test the 5-minute window and not the clock's luck.
sub at_second_start {
    my $now = Time::HiRes::time();
    my $frac = $now - int($now);
    Time::HiRes::sleep(1 - $frac + 0.01) if $frac > 0.3;
    return int(Time::HiRes::time());
}

# A raw HTTP/1.1 exchange: sends $head (the request line and headers, CRLF
# separated, without the blank line) and the body parts; returns the status,
# the whole response, the seconds it took and whether the server closed the
# connection (EOF) within $timeout.
sub raw_exchange {
    my (%args) = @_;
    my $timeout = $args{timeout} // 10;
    my $cfg = Apache::Test::config();
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $cfg->{vars}{port},
                                     Proto => 'tcp', Timeout => 5)
        or die "cannot connect to httpd: $!";
    my $started = Time::HiRes::time();
    my $head = $args{head};
    syswrite $sock, "$head\r\n\r\n" or die "write: $!";
    for my $part (@{ $args{parts} || [] }) {
        my $off = 0;
        while ($off < length $part) {
            my $n = syswrite $sock, $part, length($part) - $off, $off;
            last unless $n;    # the server stopped reading and closed: fine
            $off += $n;
        }
    }
    my $sel = IO::Select->new($sock);
    my ($response, $eof) = ('', 0);
    while (Time::HiRes::time() - $started < $timeout) {
        next unless $sel->can_read(0.2);
        my $n = sysread $sock, my $chunk, 65536;
        if (!$n) {
            $eof = 1;
            last;
        }
        $response .= $chunk;
    }
    close $sock;
    my ($status) = $response =~ m{^HTTP/1\.\d (\d{3})};
    return (status => $status // 0, response => $response, eof => $eof,
            seconds => Time::HiRes::time() - $started);
}

sub body_of_raw {
    my ($raw) = @_;
    my (undef, $body) = split /\r\n\r\n/, $raw, 2;
    $body //= '';
    # un-chunk if needed (httpd answers small bodies with Content-Length, but be safe)
    if ($raw =~ /^Transfer-Encoding:\s*chunked/mi) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)\r\n//) {
            my $len = hex $1;
            last unless $len;
            $out .= substr($body, 0, $len, '');
            $body =~ s/^\r\n//;
        }
        $body = $out;
    }
    return eval { decode_json($body) } // {};
}

my $hostport = do { my $cfg = Apache::Test::config(); "$cfg->{vars}{servername}:$cfg->{vars}{port}" };

# ---------------------------------------------------------------- healthz

{
    my $res = request(GET => module_path() . '/healthz');
    my $h = json_of($res);
    ok t_cmp($res->code, 200, 'healthz: 200');
    ok t_cmp(is_json_response($res) ? 1 : 0, 1, 'healthz: JSON content type');
    ok t_cmp($h->{db}, 'ok', 'healthz: db ok');
    ok t_cmp($h->{status}, 'ok', 'healthz: status ok');
    check(defined $h->{schema}{version} && $h->{schema}{version} =~ /^\d+$/
       && $h->{schema}{version} == $h->{schema}{expected}, 'healthz: schema version equals expected');
    check((3 == grep { defined $h->{queue}{$_} && $h->{queue}{$_} =~ /^\d+$/ } qw(queued running failed)),
       'healthz: queue has numeric queued, running, failed');
    ok t_cmp($h->{workers}{threads}, 4, 'healthz: 4 worker threads (SlackApprovalsWorkers 4)');
    check((defined $h->{workers}{busy} && $h->{workers}{busy} =~ /^\d+$/
        && $h->{workers}{busy} <= 4), 'healthz: workers.busy is a number from 0 to threads');
    ok t_cmp($h->{cache}{provider}, 'shmcb', 'healthz: cache provider shmcb (the default)');

    opendir my $dh, $ENV{SAP_TEST_SECRETS} or die "SAP_TEST_SECRETS: $!";
    my @names = grep { -f "$ENV{SAP_TEST_SECRETS}/$_" } readdir $dh;
    closedir $dh;
    my @leaked = grep { my $s = secret($_); length $s >= 8 && index($res->content, $s) >= 0 } @names;
    check(@names >= 5 && !@leaked, 'healthz: body contains none of the ' . scalar(@names)
       . ' secrets' . (@leaked ? " (leaked: @leaked)" : ''));
}

# healthz where the database cannot be reached: its own virtual host.
{
    my $url = "http://127.0.0.1:$ENV{SAP_BADDB_PORT}" . module_path() . '/healthz';
    my $t0 = Time::HiRes::time();
    my $res = $UA->request(HTTP::Request->new(GET => $url));
    my $h = json_of($res);
    t_debug("bad-db healthz: " . $res->as_string);
    ok t_cmp($res->code, 503, 'healthz with the database down: 503');
    ok t_cmp($h->{db}, 'error', 'healthz with the database down: db error');
    ok t_cmp($h->{status}, 'unavailable', 'healthz with the database down: status unavailable');
    check(Time::HiRes::time() - $t0 < 10, 'healthz with the database down answers promptly');

    # that host protects no admin Location: the admin API fails closed
    (my $admin_url = $url) =~ s{/healthz$}{/admin/api/probes/1};
    $res = $UA->request(HTTP::Request->new(GET => $admin_url));
    ok t_cmp($res->code, 403, 'admin API without httpd authentication configured: 403');
    ok t_cmp(json_of($res)->{error}, 'authentication_required', 'admin API fails closed: says why');
}

# ---------------------------------------------------------------- /slack/events

my $challenge = 'chal-' . join('', map { ('a' .. 'z')[rand 26] } 1 .. 20);
my $verify = encode_json({token => 'legacy', challenge => $challenge, type => 'url_verification'});

{
    my $res = post_events($verify, sign_headers(body => $verify));
    ok t_cmp($res->code, 200, 'url_verification signed correctly: 200');
    ok t_cmp(json_of($res)->{challenge}, $challenge, 'url_verification: the challenge comes back');

    my %h = sign_headers(body => $verify);
    (my $bad = $h{'X-Slack-Signature'}) =~ s/^v0=(.)/'v0=' . ($1 eq '0' ? '1' : '0')/e;
    $res = post_events($verify, 'X-Slack-Request-Timestamp' => $h{'X-Slack-Request-Timestamp'},
                       'X-Slack-Signature' => $bad);
    ok t_cmp($res->code, 401, 'one hex digit of the signature changed: 401');
    ok t_cmp(json_of($res)->{error}, 'bad_signature', 'wrong signature: JSON error bad_signature');
    check(index($res->content, $challenge) < 0, 'wrong signature: the challenge is not answered');

    $res = post_events($verify, sign_headers(body => $verify, secret => 'not-the-signing-secret'));
    ok t_cmp($res->code, 401, 'signed with another secret: 401');

    $res = post_events($verify, sign_headers(body => $verify, secret => secret('engine_secret')));
    ok t_cmp($res->code, 401, 'signed with the engine secret: 401');

    # signed over a different body than the one sent
    $res = post_events($verify, sign_headers(body => $verify . ' '));
    ok t_cmp($res->code, 401, 'signature over another body: 401');

    $res = post_events($verify);
    ok t_cmp($res->code, 401, 'no signature headers: 401');
    ok t_cmp(json_of($res)->{error}, 'bad_signature', 'no signature headers: JSON error');

    %h = sign_headers(body => $verify);
    $res = post_events($verify, 'X-Slack-Signature' => $h{'X-Slack-Signature'});
    ok t_cmp($res->code, 401, 'signature without timestamp header: 401');
    $res = post_events($verify, 'X-Slack-Request-Timestamp' => $h{'X-Slack-Request-Timestamp'});
    ok t_cmp($res->code, 401, 'timestamp without signature header: 401');

    $res = post_events($verify, 'X-Slack-Request-Timestamp' => $h{'X-Slack-Request-Timestamp'},
                       'X-Slack-Signature' => 'v0=abc');
    ok t_cmp($res->code, 401, 'malformed signature header: 401');

    my $now = at_second_start();
    $res = post_events($verify, sign_headers(body => $verify, ts => $now - 301));
    ok t_cmp($res->code, 401, 'timestamp now-301 (stale): 401');
    ok t_cmp(json_of($res)->{error}, 'bad_signature', 'stale timestamp: JSON error');

    $now = at_second_start();
    $res = post_events($verify, sign_headers(body => $verify, ts => $now + 301));
    ok t_cmp($res->code, 401, 'timestamp now+301 (future): 401');

    $now = at_second_start();
    $res = post_events($verify, sign_headers(body => $verify, ts => $now - 299));
    ok t_cmp($res->code, 200, 'timestamp now-299 (inside the window): 200');

    $now = at_second_start();
    $res = post_events($verify, sign_headers(body => $verify, ts => $now + 299));
    ok t_cmp($res->code, 200, 'timestamp now+299 (inside the window): 200');

    my $broken = '{"type": "url_verification", "challenge": ';
    $res = post_events($broken, sign_headers(body => $broken));
    ok t_cmp($res->code, 400, 'malformed JSON with a valid signature: 400');
    ok t_cmp(json_of($res)->{error}, 'malformed_json', 'malformed JSON: JSON error malformed_json');

    my $no_type = encode_json({challenge => 'x'});
    $res = post_events($no_type, sign_headers(body => $no_type));
    ok t_cmp($res->code, 400, 'event without a type: 400');

    my $mention = encode_json({
        token => 'legacy', team_id => 'T0001', api_app_id => 'A0001', type => 'event_callback',
        event_id => 'Ev0001', event_time => time,
        event => {type => 'app_mention', user => 'U0001', text => '<@U0BOT> hi', ts => '1.2',
                  channel => 'C0001', event_ts => '1.2'},
    });
    $res = post_events($mention, sign_headers(body => $mention));
    ok t_cmp($res->code, 200, 'event_callback with an ignored event (app_mention): 200');
}

# Body limit: 512 KB. Exactly the limit is accepted (valid JSON padded with
# whitespace, so the answer proves the whole body was read and verified).
{
    my $json = encode_json({type => 'url_verification', challenge => 'big-one'});
    my $exact = $json . (' ' x ($MAX_BODY - length $json));
    my $res = post_events($exact, sign_headers(body => $exact));
    ok t_cmp($res->code, 200, 'a signed body of exactly 512 KB is accepted');
    ok t_cmp(json_of($res)->{challenge}, 'big-one', 'the 512 KB body was read whole');

    # One byte more, with Content-Length: 413 (sent raw: the server may close early).
    my $over = $exact . ' ';
    my %h = sign_headers(body => $over);
    my %r = raw_exchange(
        head => join("\r\n", "POST $EVENTS HTTP/1.1", "Host: $hostport",
                     'Content-Type: application/json', 'Content-Length: ' . length($over),
                     map { "$_: $h{$_}" } sort keys %h),
        parts => [$over]);
    ok t_cmp($r{status}, 413, 'a signed body of 512 KB + 1 byte: 413');
    ok t_cmp(body_of_raw($r{response})->{error}, 'payload_too_large', '413 carries a JSON error');

    # A huge Content-Length and only a little body: the answer must come at
    # once (the server does not wait for the body) and the connection close.
    %r = raw_exchange(
        head => join("\r\n", "POST $EVENTS HTTP/1.1", "Host: $hostport",
                     'Content-Type: application/json', 'Content-Length: 1073741824',
                     'X-Slack-Request-Timestamp: ' . time, 'X-Slack-Signature: v0=' . ('0' x 64)),
        parts => ['{"type":"url_verification",'], timeout => 8);
    t_debug("huge Content-Length: $r{seconds}s eof=$r{eof}: $r{response}");
    ok t_cmp($r{status}, 413, 'Content-Length of 1 GB with a few bytes sent: 413');
    check($r{status} == 413 && $r{seconds} < 3, 'the 413 comes without waiting for the body');
    check($r{eof} && $r{response} =~ /^Connection:\s*close/mi,
       'after the 413 the server closes the connection');

    # Expect: 100-continue with a body over the limit: the client is told
    # 413 at once, never invited to send the body.
    %r = raw_exchange(
        head => join("\r\n", "POST $EVENTS HTTP/1.1", "Host: $hostport",
                     'Content-Type: application/json', 'Content-Length: ' . ($MAX_BODY + 1),
                     'Expect: 100-continue',
                     'X-Slack-Request-Timestamp: ' . time, 'X-Slack-Signature: v0=' . ('0' x 64)),
        timeout => 8);
    t_debug("100-continue: $r{seconds}s eof=$r{eof}: $r{response}");
    ok t_cmp($r{status}, 413, 'Expect: 100-continue over the limit: 413 first, no 100 Continue');

    # Chunked, over the limit, and never finished: the server must stop
    # reading at 512 KB + 1 and answer 413 without waiting for the last chunk.
    my $chunk = 'x' x 65536;
    my @parts = map { sprintf("%x\r\n%s\r\n", length $chunk, $chunk) } 1 .. 9;   # 576 KB
    %r = raw_exchange(
        head => join("\r\n", "POST $EVENTS HTTP/1.1", "Host: $hostport",
                     'Content-Type: application/json', 'Transfer-Encoding: chunked',
                     'X-Slack-Request-Timestamp: ' . time, 'X-Slack-Signature: v0=' . ('0' x 64)),
        parts => \@parts, timeout => 8);
    t_debug("chunked: $r{seconds}s eof=$r{eof}");
    ok t_cmp($r{status}, 413, 'a chunked body over 512 KB (last chunk never sent): 413');
    check($r{eof}, 'after the chunked 413 the server closes the connection');
}

# ---------------------------------------------------------------- routing

{
    my $res = request(GET => module_path() . '/no/such/endpoint');
    ok t_cmp($res->code, 404, 'unknown path below the Location: 404');
    ok t_cmp(json_of($res)->{error}, 'not_found', 'unknown path: JSON error not_found');

    $res = request(GET => $EVENTS);
    ok t_cmp($res->code, 405, 'GET /slack/events: 405');
    ok t_cmp(json_of($res)->{error}, 'method_not_allowed', '405 carries a JSON error');

    $res = request(POST => module_path() . '/healthz', ['Content-Type' => 'application/json'], '{}');
    ok t_cmp($res->code, 405, 'POST /healthz: 405');

    # Not below the Location: httpd's own 404, not ours.
    $res = request(GET => '/slack-approvalsX/healthz');
    check($res->code == 404 && !is_json_response($res), '/slack-approvalsX/healthz is not the module\'s');
    $res = request(GET => '/healthz');
    check($res->code == 404 && !is_json_response($res), '/healthz (outside the Location) is not the module\'s');
}

# ---------------------------------------------------------------- admin rules

sub probe_count { psql('SELECT count(*) FROM sap_queue_probes') =~ s/\s+//gr }

# The origin of the SlackApprovalsPublicURL in effect (the generated extra.conf).
sub public_origin {
    my $file = Apache::Test::config()->{vars}{t_conf} . '/extra.conf';
    open my $fh, '<', $file or die "$file: $!";
    while (<$fh>) {
        return lc $1 if m{^\s*SlackApprovalsPublicURL\s+"?(\w+://[^/"\s]+)};
    }
    die "no SlackApprovalsPublicURL in $file\n";
}

{
    my $res = request(POST => module_path() . '/admin/api/probes',
                      ['Content-Type' => 'application/json'], '{}');
    ok t_cmp($res->code, 401, 'admin API without credentials: 401');
    check(($res->header('WWW-Authenticate') // '') =~ /^Basic/i, '401 asks for Basic auth');

    $res = request(GET => module_path() . '/admin/api/probes/1',
                   [Authorization => 'Basic ' . MIME::Base64::encode_base64('admin:wrong', '')]);
    ok t_cmp($res->code, 401, 'admin API with a wrong password: 401');

    my $before = probe_count();
    $res = admin_request(POST => '/admin/api/probes', body => '{}');
    ok t_cmp($res->code, 415, 'POST probes without Content-Type: 415');
    ok t_cmp(json_of($res)->{error}, 'json_required', '415 carries json_required');

    $res = admin_request(POST => '/admin/api/probes', body => '{}',
                         headers => ['Content-Type' => 'text/plain']);
    ok t_cmp($res->code, 415, 'POST probes with Content-Type text/plain: 415');

    $res = admin_request(POST => '/admin/api/probes', json => {},
                         headers => [Origin => 'http://evil.example.test']);
    ok t_cmp($res->code, 403, 'POST probes with a foreign Origin: 403');
    ok t_cmp(json_of($res)->{error}, 'bad_origin', 'foreign Origin: bad_origin');

    for my $bad (-1, 10001, 'x') {
        $res = admin_request(POST => '/admin/api/probes', json => {sleep_ms => $bad});
        ok t_cmp($res->code, 400, "POST probes with sleep_ms $bad: 400");
    }
    ok t_cmp(probe_count(), $before, 'refused probe requests created no probe');

    my $origin = public_origin();
    t_debug("public origin: $origin; server: " . base_url());
    (my $other_port = $origin) =~ s/(:\d+)?$/:1/;
    $res = admin_request(POST => '/admin/api/probes', json => {},
                         headers => [Origin => $other_port]);
    ok t_cmp($res->code, 403, 'POST probes with the public origin on another port: 403');

    $res = admin_request(POST => '/admin/api/probes', json => {},
                         headers => [Origin => $origin]);
    my $created = json_of($res);
    ok t_cmp($res->code, 202, 'POST probes with Origin equal to the public origin: 202');
    check(($created->{id} // '') =~ /^\d+$/ && ($created->{job_id} // '') =~ /^\d+$/,
       'the 202 names the probe and its job');

    my $probe = {};
    wait_until(10, sub {
        $probe = json_of(admin_request(GET => "/admin/api/probes/" . ($created->{id} // 0)));
        ($probe->{runs} // 0) >= 1 && ($probe->{job_state} // '') eq 'done';
    });
    ok t_cmp($probe->{runs}, 1, 'the probe ran exactly once');
    ok t_cmp($probe->{job_state}, 'done', 'its job is done');
    ok t_cmp($probe->{requested_by}, 'admin', 'requested_by is the authenticated user');

    $res = admin_request(GET => '/admin/api/probes/999999999');
    ok t_cmp($res->code, 404, 'GET an unknown probe: 404');
    $res = admin_request(GET => '/admin/api/probes/abc');
    ok t_cmp($res->code, 400, 'GET probe abc: 400');
}

# ---------------------------------------------------------------- HEAD

# HTTP requires HEAD wherever GET is served (load balancers use it).
{
    my $res = request(HEAD => module_path() . '/healthz');
    ok t_cmp($res->code, 200, 'HEAD /healthz: 200 like GET');
    ok t_cmp(length($res->content), 0, 'HEAD /healthz: no body');
}
