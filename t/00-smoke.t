use strict;
use warnings FATAL => 'all';
use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use lib 't/lib';
use SAP::Test qw(json_of);

plan tests => 3;

my $res = GET '/slack-approvals/healthz';
ok t_cmp($res->code, 200, 'healthz answers 200');
my $health = json_of($res);
ok t_cmp($health->{db}, 'ok', 'database reachable');
ok $health->{workers}{threads} >= 1;
