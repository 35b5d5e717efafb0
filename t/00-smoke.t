use strict;
use warnings FATAL => 'all';
use Apache::Test;
use Apache::TestRequest qw(GET);
use JSON::PP;

plan tests => 3;

my $res = GET '/slack-approvals/healthz';
ok $res->code == 200 or diag $res->as_string;
my $health = eval { decode_json($res->content) } || {};
ok(($health->{db} // '') eq 'ok');
ok(($health->{workers}{threads} // 0) >= 1);
