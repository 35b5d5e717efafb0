#!/usr/bin/perl
# The cache diagnostics endpoint (/admin/api/diagnostics/cache/KEY) against
# the running test httpd: PUT/GET/DELETE round trips, TTL expiry, bad input,
# and that the socache is shared by all of httpd's child processes.
use strict;
use warnings FATAL => 'all';
use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest ();
use HTTP::Request;
use JSON::PP;
use Time::HiRes ();
use lib 't/lib';
use SAP::Test qw(admin_request json_of base_url module_path);

plan tests => 31;

my $DIAG = '/admin/api/diagnostics/cache';
my $RUN = "$$-" . int(Time::HiRes::time() * 1000);   # keys unique to this run
my $UA = Apache::TestRequest::user_agent(reset => 1, keep_alive => 0, requests_redirectable => 0);

sub check {
    my ($cond, $name) = @_;
    local $Test::TestLevel = $Test::TestLevel + 1;
    return ok t_cmp($cond ? 1 : 0, 1, $name);
}

sub put_value {
    my ($key, $json) = @_;
    return admin_request(PUT => "$DIAG/$key", json => $json);
}

# Every GET on its own connection (Connection: close), so that successive
# GETs may be answered by different child processes.
sub get_value {
    my ($key) = @_;
    return admin_request(GET => "$DIAG/$key", headers => ['Connection' => 'close']);
}

# ---------------------------------------------------------------- round trips

{
    my $key = "roundtrip-$RUN";
    my $value = "value \x{e9}\x{2713} $RUN";
    my $res = put_value($key, {value => $value, ttl => 60});
    ok t_cmp($res->code, 200, 'PUT a value: 200');
    ok t_cmp(json_of($res)->{found}, JSON::PP::true, 'PUT answers found: true');

    $res = get_value($key);
    my $got = json_of($res);
    ok t_cmp($res->code, 200, 'GET it: 200');
    ok t_cmp($got->{found}, JSON::PP::true, 'GET finds the value');
    ok t_cmp($got->{value}, $value, 'GET returns the value unchanged (UTF-8 included)');
    check(($got->{pid} // '') =~ /^\d+$/, 'answers carry the pid of the child process');

    $res = put_value($key, {value => 'replaced', ttl => 60});
    ok t_cmp(json_of(get_value($key))->{value}, 'replaced', 'a second PUT replaces the value');

    $res = admin_request(DELETE => "$DIAG/$key", headers => ['Content-Type' => 'application/json']);
    ok t_cmp($res->code, 200, 'DELETE: 200');
    $got = json_of(get_value($key));
    ok t_cmp($got->{found}, JSON::PP::false, 'after DELETE, GET does not find it');
    check(!defined $got->{value}, 'after DELETE, GET returns no value');

    $got = json_of(get_value("never-stored-$RUN"));
    ok t_cmp($got->{found}, JSON::PP::false, 'GET of a key never stored: not found');

    # Keys live apart: another key is not affected by the first one.
    put_value("a-$RUN", {value => 'A', ttl => 60});
    put_value("b-$RUN", {value => 'B', ttl => 60});
    ok t_cmp(json_of(get_value("a-$RUN"))->{value}, 'A', 'two keys keep their own values (a)');
    ok t_cmp(json_of(get_value("b-$RUN"))->{value}, 'B', 'two keys keep their own values (b)');
}

# ---------------------------------------------------------------- TTL

{
    my $key = "ttl-$RUN";
    my $res = put_value($key, {value => 'short-lived', ttl => 1});
    ok t_cmp($res->code, 200, 'PUT with ttl 1: 200');
    ok t_cmp(json_of(get_value($key))->{found}, JSON::PP::true, 'found right after the PUT');
    Time::HiRes::sleep(2.2);
    ok t_cmp(json_of(get_value($key))->{found}, JSON::PP::false, 'gone after its 1 s TTL');

    $key = "ttl-long-$RUN";
    put_value($key, {value => 'long-lived', ttl => 3600});
    ok t_cmp(json_of(get_value($key))->{found}, JSON::PP::true,
             'a value with ttl 3600 is still there after the short one expired');
}

# ---------------------------------------------------------------- bad input

{
    my $key = "bad-$RUN";
    for my $case ([{value => 'v', ttl => 0}, 'ttl 0'],
                  [{value => 'v', ttl => 99999}, 'ttl 99999'],
                  [{ttl => 60}, 'missing value'],
                  [{value => 'v'}, 'missing ttl'],
                  [{value => 42, ttl => 60}, 'value not a string']) {
        my $res = put_value($key, $case->[0]);
        ok t_cmp($res->code, 400, "PUT with $case->[1]: 400");
    }
    ok t_cmp(json_of(get_value($key))->{found}, JSON::PP::false, 'refused PUTs stored nothing');

    my $res = admin_request(PUT => "$DIAG/$key", body => '{"value": "v", "ttl": 60',
                            headers => ['Content-Type' => 'application/json']);
    ok t_cmp($res->code, 400, 'PUT with malformed JSON: 400');

    $res = admin_request(PUT => "$DIAG/$key", body => '{"value": "v", "ttl": 60}');
    ok t_cmp($res->code, 415, 'PUT without Content-Type application/json: 415');

    $res = admin_request(GET => "$DIAG/" . ('k' x 250));
    ok t_cmp($res->code, 400, 'a key over 200 bytes: 400');

    $res = $UA->request(HTTP::Request->new(GET => base_url() . module_path() . "$DIAG/$key"));
    ok t_cmp($res->code, 401, 'cache diagnostics without credentials: 401');
}

# ---------------------------------------------------------------- shared by all children

{
    my $key = "shared-$RUN";
    my $value = "shared across processes $RUN";
    my $res = put_value($key, {value => $value, ttl => 300});
    my $put_pid = json_of($res)->{pid} // -1;
    ok t_cmp($res->code, 200, 'PUT the shared value: 200');

    my ($other, $tries) = (undef, 0);
    while (!$other && $tries++ < 300) {
        my $got = json_of(get_value($key));
        $other = $got if defined $got->{pid} && $got->{pid} != $put_pid;
    }
    t_debug("PUT answered by pid $put_pid; another child answered after $tries GETs");
    check($other, 'a GET on a new connection reached another child process');
    ok t_cmp($other && $other->{found} ? 1 : 0, 1, "that child (pid "
             . ($other ? $other->{pid} : '?') . ") finds the value PUT by pid $put_pid");
    ok t_cmp($other ? $other->{value} : undef, $value, 'with the same value');
}
