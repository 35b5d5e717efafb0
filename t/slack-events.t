# Slack's Events API about our installations: app_uninstalled and
# tokens_revoked, delivered signed by the fake Slack (as Slack delivers them)
# or built here for the edge cases: bad and stale signatures, retries,
# unknown teams, events about an older installation.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request;
use lib 't/lib';
use SAP::Test qw(psql admin_request json_of sign_headers wait_until);
use SAP::Slack qw(slack_control slack_calls slack_reset install_team redirect_query events_url
                  reset_connections);

plan tests => 43;

reset_connections();
slack_reset();

my %token;
for my $team (qw(T0EVT00001 T0EVT00002 T0EVT00003 T0EVT00004)) {
    my ($res, $token) = install_team($team, "Team $team");
    die "install of $team failed\n" unless redirect_query($res)->{slack_install} eq 'ok';
    $token{$team} = $token;
}

sub status_of { psql("SELECT status || '|' || coalesce(status_reason, '') FROM sap_connections WHERE team_id = '$_[0]'") }
sub open_errors { psql("SELECT coalesce(string_agg(kind, ',' ORDER BY kind), '') FROM sap_instance_errors "
                       . "WHERE team_id = '$_[0]' AND resolved_at IS NULL") }
sub listed_status {
    my ($team) = @_;
    my ($conn) = grep { $_->{team_id} eq $team } @{ json_of(admin_request('GET', '/admin/api/connections'))->{connections} };
    return $conn->{status};
}
sub bot_of { psql("SELECT bot_user_id FROM sap_connections WHERE team_id = '$_[0]'") }

# An event_callback envelope as Slack sends it.
sub envelope {
    my ($team, $event, %opt) = @_;
    return encode_json({
        token => 'verification', team_id => $team, api_app_id => 'A0FAKEAPP01', event => $event,
        type => 'event_callback', event_id => 'Ev' . int(rand 1e9), event_time => $opt{time} // time,
        authorizations => [{enterprise_id => undef, team_id => $team, user_id => bot_of($team),
                            is_bot => JSON::PP::true, is_enterprise_install => JSON::PP::false}],
        is_ext_shared_channel => JSON::PP::false, event_context => '4-x',
    });
}

sub post_event {
    my ($body, %opt) = @_;
    my @sig = sign_headers(body => $body, ($opt{ts} ? (ts => $opt{ts}) : ()),
                           ($opt{secret} ? (secret => $opt{secret}) : ()));
    my $req = HTTP::Request->new(POST => events_url(),
                                 ['Content-Type' => 'application/json', @sig, @{ $opt{headers} // [] }], $body);
    return LWP::UserAgent->new(timeout => 30)->request($req);
}

# ---- the app is uninstalled from a workspace ----------------------------------
is listed_status('T0EVT00001'), 'active', 'the list (now cached) shows the workspace active';
my $uninstall = slack_control('POST', 'teams/uninstall', {team_id => 'T0EVT00001', deliver_to => events_url()});
is_deeply [map { $_->{event_type} } @{ $uninstall->{deliveries} }], ['app_uninstalled', 'tokens_revoked'],
          'Slack delivered app_uninstalled, then tokens_revoked';
is_deeply [map { $_->{status} } @{ $uninstall->{deliveries} }], [200, 200], 'both acknowledged with 200';
is status_of('T0EVT00001'), 'uninstalled|app_uninstalled', 'the connection is marked uninstalled';
is open_errors('T0EVT00001'), 'app_uninstalled', 'one instance error: the app was uninstalled';
is listed_status('T0EVT00001'), 'uninstalled', 'the cached list was invalidated';
my ($error) = grep { ($_->{team_id} // '') eq 'T0EVT00001' } @{ json_of(admin_request('GET', '/admin/api/errors'))->{errors} };
like $error->{message}, qr/uninstalled/, 'the error says what happened';
like $error->{action}, qr/Re-authorise/, 'and what to do';

my $posts = scalar slack_calls('chat.postMessage');
my ($id1) = psql("SELECT id FROM sap_connections WHERE team_id = 'T0EVT00001'");
my $test = admin_request('POST', "/admin/api/connections/$id1/test", json => {channel => 'C0ANY00001'});
is $test->code, 409, 'work for the uninstalled workspace is refused';
is scalar slack_calls('chat.postMessage'), $posts, 'without calling Slack';

# ---- a bot token is revoked ---------------------------------------------------
my $revoke = slack_control('POST', 'tokens/revoke', {token => $token{T0EVT00002}, deliver_to => events_url()});
is $revoke->{delivery}{status}, 200, 'tokens_revoked acknowledged';
is status_of('T0EVT00002'), 'revoked|tokens_revoked', 'the connection is marked revoked';
is open_errors('T0EVT00002'), 'token_revoked', 'with an instance error';

# uninstalled wins over revoked, never the reverse
my $later = slack_control('POST', 'teams/uninstall', {team_id => 'T0EVT00002', deliver_to => events_url(),
                                                      events => ['app_uninstalled']});
is status_of('T0EVT00002'), 'uninstalled|app_uninstalled', 'app_uninstalled after tokens_revoked: uninstalled';
is open_errors('T0EVT00002'), 'app_uninstalled,token_revoked', 'both problems are listed';

# ---- Slack retries the same event ------------------------------------------------
{
    my $body = envelope('T0EVT00003', {type => 'tokens_revoked', tokens => {oauth => [], bot => [bot_of('T0EVT00003')]}});
    my $first = post_event($body);
    is $first->code, 200, 'tokens_revoked built here: 200';
    my $retry = post_event($body, headers => ['X-Slack-Retry-Num' => 1, 'X-Slack-Retry-Reason' => 'http_timeout']);
    is $retry->code, 200, 'the retry of the same event: 200';
    is psql("SELECT count(*) FROM sap_instance_errors WHERE team_id = 'T0EVT00003'"), 1,
       'the retry is a harmless duplicate: one instance error';
    is status_of('T0EVT00003'), 'revoked|tokens_revoked', 'the connection is revoked once';
}

# ---- signatures ---------------------------------------------------------------------
{
    my $body = envelope('T0EVT00004', {type => 'app_uninstalled'});
    my $forged = post_event($body, secret => 'not-the-signing-secret');
    is $forged->code, 401, 'app_uninstalled with a wrong signature: 401';
    my $stale = post_event($body, ts => time - 600);
    is $stale->code, 401, 'with a stale timestamp: 401';
    my $future = post_event($body, ts => time + 600);
    is $future->code, 401, 'with a timestamp from the future: 401';
    my $unsigned = LWP::UserAgent->new->request(HTTP::Request->new(
        POST => events_url(), ['Content-Type' => 'application/json'], $body));
    is $unsigned->code, 401, 'unsigned: 401';
    my $tokens = envelope('T0EVT00004', {type => 'tokens_revoked', tokens => {bot => [bot_of('T0EVT00004')]}});
    is post_event($tokens, secret => 'nope')->code, 401, 'tokens_revoked with a wrong signature: 401';
    is status_of('T0EVT00004'), 'active|', 'none of them changed the connection';
    is open_errors('T0EVT00004'), '', 'nor recorded an error';
    my $via_fake = slack_control('POST', 'teams/uninstall', {team_id => 'T0EVT00004', deliver_to => events_url(),
                                                             timestamp => time - 3600});
    is_deeply [map { $_->{status} } @{ $via_fake->{deliveries} }], [401, 401],
              "Slack's own deliveries with an hour-old timestamp are refused too";
    is status_of('T0EVT00004'), 'active|', 'and change nothing';
}

# ---- events that are not about our installation ---------------------------------------
{
    my $unknown = post_event(envelope('T0NOBODY01', {type => 'app_uninstalled'}));
    is $unknown->code, 200, 'an event for an unknown team is acknowledged';
    ok wait_until(5, sub {
        my $log = do { local (@ARGV, $/) = (Apache::Test::vars('t_logs') . '/error_log'); <> };
        $log =~ /app_uninstalled for unknown workspace T0NOBODY01 ignored/;
    }), 'and logged';

    my $users_only = post_event(envelope('T0EVT00004', {type => 'tokens_revoked',
                                                        tokens => {oauth => ['U0SOMEONE1'], bot => []}}));
    is $users_only->code, 200, 'tokens_revoked for user tokens only: 200';
    is status_of('T0EVT00004'), 'active|', 'our bot token is not named: nothing changes';

    my $old = post_event(envelope('T0EVT00004', {type => 'app_uninstalled'}, time => time - 300));
    is $old->code, 200, 'an app_uninstalled sent before the current installation: 200';
    is status_of('T0EVT00004'), 'active|', 'the newer installation stays active';

    my $other_type = post_event(envelope('T0EVT00004', {type => 'app_home_opened'}));
    is $other_type->code, 200, 'other event types are acknowledged';
    my $no_event = post_event(encode_json({type => 'event_callback', team_id => 'T0EVT00004'}));
    is $no_event->code, 400, 'an event_callback without an event: 400';
    my $no_team = post_event(encode_json({type => 'event_callback', event => {type => 'app_uninstalled'}}));
    is $no_team->code, 400, 'app_uninstalled without team_id: 400';
    is status_of('T0EVT00004'), 'active|', 'still active';
}

# ---- re-authorisation -----------------------------------------------------------------
{
    my ($res) = install_team('T0EVT00001', 'Team T0EVT00001');
    is redirect_query($res)->{outcome}, 'restored', 'installing the uninstalled workspace again restores it';
    is status_of('T0EVT00001'), 'active|', 'active again, the reason cleared';
    is open_errors('T0EVT00001'), '', 'its errors are resolved';
    is listed_status('T0EVT00001'), 'active', 'the list shows it at once';
    slack_control('POST', 'channels', {id => 'C0EVT00001', team_id => 'T0EVT00001', name => 'general'});
    is admin_request('POST', "/admin/api/connections/$id1/test", json => {channel => 'C0EVT00001'})->code, 200,
       'and it works with the new token';
}
