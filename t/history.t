# GET /admin/api/history: filters by status, recipient and date range,
# sorting, pages, and refusal of bad parameters.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use LWP::UserAgent;
use lib 't/lib';
use SAP::Test qw(psql admin_request json_of);

plan tests => 31;

psql('DELETE FROM sap_notification_history');
# 30 rows: 3 days × 10; every third FAILED; recipients r00 … r29
psql(q{INSERT INTO sap_notification_history (created_at, event_id, product, notification_type, approval_id,
         step_id, recipient, recipient_name, channel, status, error, kind, fallback)
       SELECT timestamptz '2026-11-01 12:00:00+00' + (i / 10) * interval '1 day' + (i % 10) * interval '1 minute',
              'hist-' || i, 'jira', CASE WHEN i % 2 = 0 THEN 'approval_requested' ELSE 'step_completed' END,
              'A-' || i, 'S-1', format('r%s@example.com', lpad(i::text, 2, '0')), format('Person %s', i),
              'D0', CASE WHEN i % 3 = 0 THEN 'FAILED' ELSE 'SENT' END,
              CASE WHEN i % 3 = 0 THEN 'users_not_found' END, 'dm',
              CASE WHEN i % 3 = 0 THEN 'sent' END
       FROM generate_series(0, 29) AS i});

sub page { my ($query) = @_; my $res = admin_request('GET', "/admin/api/history$query"); return ($res, json_of($res)) }

my ($res, $page) = page('');
is $res->code, 200, 'the history';
is $page->{total}, 30, 'counts every row';
is scalar @{ $page->{rows} }, 30, 'one page of up to 50';
is $page->{rows}[0]{recipient}, 'r29@example.com', 'newest first';
is_deeply [ @{ $page->{rows}[0] }{qw(status kind notification_type channel)} ], ['SENT', 'dm', 'step_completed', 'D0'],
   'rows carry what the log shows';

($res, $page) = page('?status=FAILED');
is $page->{total}, 10, 'FAILED only';
ok !grep({ $_->{status} ne 'FAILED' } @{ $page->{rows} }), 'nothing else';
is $page->{rows}[0]{error}, 'users_not_found', 'with the reason';
is $page->{rows}[0]{fallback}, 'sent', 'and the fallback';

($res, $page) = page('?recipient=R07');
is $page->{total}, 1, 'a recipient, any case';
is $page->{rows}[0]{recipient}, 'r07@example.com', 'that one';
($res, $page) = page('?recipient=person%2012');
is $page->{total}, 1, 'by name too';
($res, $page) = page('?recipient=person+12');
is $page->{total}, 1, 'a form-encoded space ("+") is a space';

($res, $page) = page('?from=2026-11-02&to=2026-11-03');
is $page->{total}, 10, 'a date range: one day';
ok !grep({ $_->{created_at} !~ /^2026-11-02T/ } @{ $page->{rows} }), 'that day only';
($res, $page) = page('?from=2026-11-02T12:05:00Z&status=SENT');
is $page->{total}, 10, 'filters combine';
($res, $page) = page('?from=2026-11-02T14:05:00%2B02:00&status=SENT');
is $page->{total}, 10, 'a time with an offset';

($res, $page) = page('?sort=recipient&order=asc&limit=5');
is_deeply [ map { $_->{recipient} } @{ $page->{rows} } ], [ map { sprintf 'r%02d@example.com', $_ } 0 .. 4 ],
          'sorted by recipient, a page of 5';
is $page->{total}, 30, 'the total is of all matching rows';
($res, $page) = page('?sort=recipient&order=asc&limit=5&offset=25');
is_deeply [ map { $_->{recipient} } @{ $page->{rows} } ], [ map { sprintf 'r%02d@example.com', $_ } 25 .. 29 ],
          'the last page';
($res, $page) = page('?sort=status&order=asc&limit=1');
is $page->{rows}[0]{status}, 'FAILED', 'sorted by status';

for my $bad (['?status=LOST', 'status'], ['?from=yesterday', 'from'], ['?to=2026-13-01', 'to'],
             ['?from=2026-02-30', 'from'], ['?to=2026-11-02T12:05:00%2B02:00x', 'to'],
             ['?sort=error', 'sort'], ['?order=up', 'order'], ['?limit=0', 'limit'], ['?limit=201', 'limit']) {
    ($res, $page) = page($bad->[0]);
    is_deeply [$res->code, $page->{field}], [400, $bad->[1]], "$bad->[0] is refused, naming $bad->[1]";
}
my $anonymous = LWP::UserAgent->new->get(SAP::Test::base_url() . SAP::Test::module_path() . '/admin/api/history');
is $anonymous->code, 401, 'admins only';
