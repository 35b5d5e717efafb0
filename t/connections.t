# Workspace connections: the OAuth install, its refusals, the 10-workspace
# limit under races, and the admin API (list, rename, default, delete, test
# message) against the fake Slack.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use JSON::PP;
use URI;
use URI::QueryParam;
use POSIX ();
use MIME::Base64 ();
use lib 't/lib';
use SAP::Test qw(psql psql_rows admin_request json_of base_url module_path secret);
use SAP::Slack qw(slack_control slack_calls slack_reset browser start_install callback
                  install_team redirect_query reset_connections);

plan tests => 139;

reset_connections();
slack_reset();
my $settings_url = base_url() . module_path() . '/admin/settings/';
my $callback_url = base_url() . module_path() . '/slack/oauth/callback';
my @tokens_seen;

sub connection_rows { psql_rows('SELECT team_id, status, is_default::int FROM sap_connections ORDER BY id') }
sub count_connections { psql('SELECT count(*) FROM sap_connections') }
sub fresh_state {
    my $res = start_install();
    return URI->new($res->header('Location'))->query_param('state');
}

# ---- the whole install, through the fake's authorize page ----------------
{
    my $start = start_install();
    is $start->code, 302, 'install redirects to Slack';
    my $authorize = URI->new($start->header('Location'));
    is $authorize->scheme . '://' . $authorize->host_port . $authorize->path,
       "http://127.0.0.1:$ENV{SAP_FAKE_SLACK_PORT}/oauth/v2/authorize", 'to SlackApprovalsSlackAuthorizeURL';
    is $authorize->query_param('client_id'), '1111.2222', 'with the client id';
    is $authorize->query_param('scope'), 'chat:write,chat:write.public,im:write,users:read,users:read.email',
       'the five bot scopes';
    is $authorize->query_param('redirect_uri'), $callback_url, 'redirect_uri is PublicURL + /slack/oauth/callback';
    my $state = $authorize->query_param('state');
    like $state, qr/\A[A-Za-z0-9_-]{43}\z/, 'state: 32 random bytes, base64url';
    is $start->header('Cache-Control'), 'no-store', 'the redirect is not cached';
    is psql("SELECT count(*) FROM sap_oauth_states WHERE admin_user = 'admin' "
            . "AND expires_at BETWEEN now() + interval '9 minutes' AND now() + interval '10 minutes 5 seconds'"),
       1, 'the state is stored for the admin with a 10-minute life';
    is psql('SELECT count(*) FROM sap_oauth_states WHERE state_hash = ' . "'$state'"), 0,
       'only its hash is stored';

    # The admin's browser shows Slack's page and the admin clicks Allow.
    my $page = browser()->get($authorize);
    is $page->code, 200, "Slack's authorize page";
    my $decide = browser()->post("http://127.0.0.1:$ENV{SAP_FAKE_SLACK_PORT}/oauth/v2/authorize/decide", {
        client_id => '1111.2222', scope => $authorize->query_param('scope'), redirect_uri => $callback_url,
        state => $state, team_id => 'T0ACME0001', team_name => 'Acme', decision => 'allow' });
    is $decide->code, 302, 'Allow sends the browser back';
    my $back = URI->new($decide->header('Location'));
    is $back->scheme . '://' . $back->host_port . $back->path, $callback_url, 'to our callback';

    my $done = browser()->get($back);
    is $done->code, 302, 'the callback redirects';
    my $query = redirect_query($done);
    like $done->header('Location'), qr/\A\Q$settings_url\E\?/, 'to the settings page';
    is_deeply $query, {slack_install => 'ok', outcome => 'created', team => 'Acme'},
              'saying the workspace was connected';
    unlike $done->header('Location'), qr/code=|state=|xox/, 'no code, state or token in that URL';

    my ($exchange) = slack_calls('oauth.v2.access');
    ok $exchange, 'the code was exchanged with oauth.v2.access';
    my $basic = 'Basic ' . MIME::Base64::encode_base64('1111.2222:' . secret('client_secret'), '');
    is $exchange->{headers}{authorization}, $basic, 'with HTTP Basic client authentication';
    is $exchange->{args}{redirect_uri}, $callback_url, 'and the same redirect_uri';
    ok !exists $exchange->{args}{client_secret}, 'the secret is not in the form';
    my $token = $exchange->{response}{body}{access_token};
    push @tokens_seen, $token;
    my ($test) = grep { ($_->{headers}{authorization} // '') eq "Bearer $token" } slack_calls('auth.test');
    ok $test, 'the new token was confirmed with auth.test';

    is_deeply [connection_rows()], [['T0ACME0001', 'active', 1]], 'one active connection, the default';
    is psql('SELECT mechanism FROM sap_settings'), 'slack', 'the first connection switches the mechanism to Slack';
    is psql("SELECT installed_by || '|' || team_name || '|' || display_name || '|' || scopes FROM sap_connections"),
       'admin|Acme|Acme|chat:write,chat:write.public,im:write,users:read,users:read.email',
       'who installed it, its name and scopes are stored';
    is psql("SELECT position(convert_to('$token', 'UTF8') in token_ciphertext) FROM sap_connections"), 0,
       'the token column does not hold the plaintext token';
    is psql("SELECT length(token_ciphertext) FROM sap_connections"), 12 + length($token) + 16,
       'it holds nonce + ciphertext + tag (AES-256-GCM)';
    is psql("SELECT token_fingerprint IS NOT NULL AND token_fingerprint <> '$token' FROM sap_connections"), 't',
       'a fingerprint, not the token, identifies the installation';
    is psql('SELECT used_at IS NOT NULL FROM sap_oauth_states'), 't', 'the state is used up';

    my $again = callback(code => 'whatever', state => $state);
    is redirect_query($again)->{reason}, 'used_state', 'the same state a second time is refused';
}

# ---- refusals ---------------------------------------------------------------
{
    my $state = fresh_state();
    my $res = callback(error => 'access_denied', state => $state);
    is_deeply redirect_query($res), {slack_install => 'error', reason => 'access_denied'},
              'Cancel on Slack\'s page: access_denied on the settings page';

    my $forged = callback(code => 'x', state => 'A' x 43);
    is redirect_query($forged)->{reason}, 'invalid_state', 'a forged state is refused';
    my $garbage = callback(code => 'x', state => '../etc/passwd');
    is redirect_query($garbage)->{reason}, 'invalid_state', 'a malformed state is refused';
    my $none = callback(code => 'x');
    is redirect_query($none)->{reason}, 'invalid_state', 'a missing state is refused';

    my $old = fresh_state();
    psql("UPDATE sap_oauth_states SET expires_at = now() - interval '1 second' WHERE used_at IS NULL");
    my $expired = callback(code => 'x', state => $old);
    is redirect_query($expired)->{reason}, 'expired_state', 'an expired state is refused';

    my $minted = slack_control('POST', 'oauth/codes', {team_id => 'T0BAD00001', redirect_uri => $callback_url});
    my $used = fresh_state();
    callback(code => 'no-such-code', state => $used);
    my $reused = callback(code => $minted->{code}, state => $used);
    is redirect_query($reused)->{reason}, 'used_state', 'a reused state is refused';

    my $bad_code = callback(code => 'no-such-code', state => fresh_state());
    is redirect_query($bad_code)->{reason}, 'invalid_code', "Slack's invalid_code reaches the settings page";

    my $other_uri = slack_control('POST', 'oauth/codes', {team_id => 'T0BAD00002',
                                                          redirect_uri => 'https://elsewhere.example/cb'});
    my $mismatch = callback(code => $other_uri->{code}, state => fresh_state());
    is redirect_query($mismatch)->{reason}, 'bad_redirect_uri', "Slack's bad_redirect_uri too";

    my $narrow = slack_control('POST', 'oauth/codes', {team_id => 'T0BAD00003', redirect_uri => $callback_url,
                                                       scopes => 'chat:write'});
    my $scopes = callback(code => $narrow->{code}, state => fresh_state());
    is redirect_query($scopes)->{reason}, 'missing_scope', 'a grant without the needed scopes is refused';

    my $no_code = callback(state => fresh_state());
    is redirect_query($no_code)->{reason}, 'missing_code', 'a callback without code is refused';

    is_deeply [map { $_->[0] } connection_rows()], ['T0ACME0001'], 'none of them stored a connection';

    my $anonymous = browser()->get(base_url() . module_path() . '/admin/slack/install');
    is $anonymous->code, 401, 'starting an install needs the admin login';
}

# ---- the limit ----------------------------------------------------------------
{
    for my $n (2 .. 10) {
        my ($res, $token) = install_team(sprintf('T0LIMIT%03d', $n), "Team $n");
        push @tokens_seen, $token;
        die "install $n failed: " . ($res->header('Location') // '') . "\n"
            unless redirect_query($res)->{slack_install} eq 'ok';
    }
    is count_connections(), 10, 'ten workspaces connected';
    my ($eleventh) = install_team('T0LIMIT011', 'Team 11');
    is_deeply redirect_query($eleventh), {slack_install => 'error', reason => 'limit_reached'},
              'the 11th is refused with limit_reached';
    is count_connections(), 10, 'still ten';
    is psql("SELECT count(*) FROM sap_connections WHERE team_id = 'T0LIMIT011'"), 0, 'the 11th is not stored';

    my ($again) = install_team('T0LIMIT005', 'Team 5 renamed in Slack');
    is_deeply redirect_query($again), {slack_install => 'ok', outcome => 'updated', team => 'Team 5 renamed in Slack'},
              'installing a connected workspace again is allowed at the limit';
    is psql("SELECT team_name || '|' || display_name FROM sap_connections WHERE team_id = 'T0LIMIT005'"),
       'Team 5 renamed in Slack|Team 5', 'Slack\'s name is refreshed, the display name kept';
    is psql('SELECT count(*) FROM sap_connections WHERE is_default'), 1, 'exactly one default';
}

# ---- 20 concurrent installs onto 8 existing -------------------------------------
{
    psql("DELETE FROM sap_connections WHERE team_id IN ('T0LIMIT009', 'T0LIMIT010')");
    is count_connections(), 8, 'eight connections before the race';
    my @prepared = map {
        my $state = fresh_state();
        my $minted = slack_control('POST', 'oauth/codes', {team_id => sprintf('T0RACE%04d', $_),
                                                            redirect_uri => $callback_url});
        [$state, $minted->{code}]
    } 1 .. 20;
    my @pids;
    for my $pair (@prepared) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $res = callback(code => $pair->[1], state => $pair->[0]);
            POSIX::_exit(($res->header('Location') // '') =~ /slack_install=ok/ ? 0
                         : ($res->header('Location') // '') =~ /limit_reached/ ? 1 : 2);
        }
        push @pids, $pid;
    }
    my %outcome;
    for my $pid (@pids) {
        waitpid $pid, 0;
        $outcome{$? >> 8}++;
    }
    is count_connections(), 10, '20 concurrent installs end with exactly 10 connections';
    is $outcome{0} // 0, 2, 'two installs succeeded';
    is $outcome{1} // 0, 18, 'the other 18 were told the limit is reached';
    is psql('SELECT count(*) FROM sap_connections WHERE is_default'), 1, 'still exactly one default';
}

# ---- listing never shows a token -------------------------------------------------
my $list = admin_request('GET', '/admin/api/connections');
is $list->code, 200, 'GET /admin/api/connections';
my $listed = json_of($list);
is scalar @{ $listed->{connections} }, 10, 'lists the ten';
is $listed->{limit}, 10, 'and the limit';
my $text = $list->content;
ok !(grep { index($text, $_) >= 0 } @tokens_seen), 'no token in the list';
unlike $text, qr/ciphertext|xox[bp]-/, 'not even encrypted';
my ($acme) = grep { $_->{team_id} eq 'T0ACME0001' } @{ $listed->{connections} };
is $acme->{is_default}, JSON::PP::true, 'the first workspace is the default';
is $acme->{status}, 'active', 'active';

# ---- rename -------------------------------------------------------------------
{
    my $id = $acme->{id};
    my $res = admin_request('PATCH', "/admin/api/connections/$id", json => {display_name => 'Acme HQ'});
    is $res->code, 200, 'rename';
    is json_of($res)->{display_name}, 'Acme HQ', 'answers the renamed connection';
    my ($shown) = grep { $_->{id} == $id } @{ json_of(admin_request('GET', '/admin/api/connections'))->{connections} };
    is $shown->{display_name}, 'Acme HQ', 'the cached list shows the new name at once (the write invalidated it)';

    # The list is cached: a change behind the module's back shows only after a write.
    psql("UPDATE sap_connections SET display_name = 'Changed in SQL' WHERE id = $id");
    ($shown) = grep { $_->{id} == $id } @{ json_of(admin_request('GET', '/admin/api/connections'))->{connections} };
    is $shown->{display_name}, 'Acme HQ', 'the list comes from the cache';
    my $flush = admin_request('DELETE', '/admin/api/diagnostics/cache', headers => ['Content-Type' => 'application/json']);
    is $flush->code, 200, 'an operator can drop the cached connections';
    ($shown) = grep { $_->{id} == $id } @{ json_of(admin_request('GET', '/admin/api/connections'))->{connections} };
    is $shown->{display_name}, 'Changed in SQL', 'after which the list is read again';
    my $spaced = admin_request('PATCH', "/admin/api/connections/$id", json => {display_name => "  Acme \t"});
    is json_of($spaced)->{display_name}, 'Acme', 'white space around a name is trimmed';

    is admin_request('PATCH', "/admin/api/connections/$id", json => {display_name => ''})->code, 400,
       'an empty name is refused';
    is admin_request('PATCH', "/admin/api/connections/$id", json => {display_name => '   '})->code, 400,
       'a name of spaces only is refused';
    is admin_request('PATCH', "/admin/api/connections/$id", json => {display_name => 'x' x 81})->code, 400,
       'a name over 80 characters is refused';
    is admin_request('PATCH', "/admin/api/connections/$id", json => {display_name => "a\nb"})->code, 400,
       'control characters are refused';
    is admin_request('PATCH', '/admin/api/connections/999999', json => {display_name => 'x'})->code, 404,
       'an unknown connection is 404';
    is admin_request('PATCH', "/admin/api/connections/$id", body => '{"display_name":"x"}')->code, 415,
       'a write without a JSON content type is refused';
    is admin_request('PATCH', "/admin/api/connections/$id", json => {display_name => 'Evil'},
                     headers => [Origin => 'https://evil.example'])->code, 403, 'a foreign Origin is refused';
    is psql("SELECT display_name FROM sap_connections WHERE id = $id"), 'Acme', 'the refused calls changed nothing';
}

# ---- default ------------------------------------------------------------------
{
    my ($other) = psql("SELECT id FROM sap_connections WHERE team_id = 'T0LIMIT003'");
    my $res = admin_request('POST', "/admin/api/connections/$other/default", json => {});
    is $res->code, 200, 'set another default';
    is_deeply [map { $_->[0] } psql_rows('SELECT id FROM sap_connections WHERE is_default')], [$other],
              'exactly one default, the new one';
    psql("UPDATE sap_connections SET status = 'revoked' WHERE team_id = 'T0LIMIT004'");
    my ($revoked) = psql("SELECT id FROM sap_connections WHERE team_id = 'T0LIMIT004'");
    my $refused = admin_request('POST', "/admin/api/connections/$revoked/default", json => {});
    is $refused->code, 409, 'a revoked connection cannot become the default';
    like json_of($refused)->{message}, qr/re-authorise/, 'and the admin is told to re-authorise';
    is psql('SELECT id FROM sap_connections WHERE is_default'), $other, 'the default did not move';
    psql("UPDATE sap_connections SET status = 'active' WHERE team_id = 'T0LIMIT004'");
    is admin_request('POST', '/admin/api/connections/999999/default', json => {})->code, 404, 'unknown: 404';
    is admin_request('GET', "/admin/api/connections/$other/default")->code, 405, 'GET on /default: 405';
}

# ---- delete -------------------------------------------------------------------
{
    my ($default) = psql('SELECT id FROM sap_connections WHERE is_default');
    my ($team) = psql("SELECT team_id FROM sap_connections WHERE id = $default");
    psql("INSERT INTO sap_definition_overrides (product, definition_id, connection_id, channel) "
         . "VALUES ('jira', 'D-7', $default, 'C0FIN')");
    my $revokes_before = scalar slack_calls('auth.revoke');
    my $res = admin_request('DELETE', "/admin/api/connections/$default", headers => ['Content-Type' => 'application/json']);
    is $res->code, 200, 'delete the default connection';
    my $answer = json_of($res);
    is $answer->{revoked}, JSON::PP::true, 'its token was revoked at Slack';
    is scalar slack_calls('auth.revoke'), $revokes_before + 1, 'with one auth.revoke';
    is psql("SELECT count(*) FROM sap_connections WHERE team_id = '$team'"), 0, 'the row is gone';
    my ($oldest_active) = psql("SELECT id FROM sap_connections WHERE status = 'active' ORDER BY created_at, id LIMIT 1");
    is $answer->{default_connection_id}, $oldest_active, 'the oldest active connection is the default now';
    is psql('SELECT count(*) FROM sap_connections WHERE is_default'), 1, 'exactly one default';
    is psql("SELECT coalesce(connection_id::text, 'default') FROM sap_definition_overrides WHERE definition_id = 'D-7'"),
       'default', 'a definition that named it falls back to the default';
    is admin_request('DELETE', "/admin/api/connections/$default", headers => ['Content-Type' => 'application/json'])->code, 404, 'deleting it again: 404';

    # Slack refusing auth.revoke does not keep the connection.
    my ($next) = psql("SELECT id FROM sap_connections WHERE team_id = 'T0LIMIT002'");
    slack_control('POST', 'inject', {method => 'auth.revoke', error => 'fatal_error'});
    my $forced = admin_request('DELETE', "/admin/api/connections/$next", headers => ['Content-Type' => 'application/json']);
    is $forced->code, 200, 'delete goes on when auth.revoke fails';
    is json_of($forced)->{revoked}, JSON::PP::false, 'and says the token was not revoked';
    is psql("SELECT count(*) FROM sap_connections WHERE id = $next"), 0, 'the row is gone all the same';
    psql("DELETE FROM sap_definition_overrides");
}

# ---- test messages --------------------------------------------------------------
{
    my ($id) = psql("SELECT id FROM sap_connections WHERE team_id = 'T0LIMIT006'");
    slack_control('POST', 'channels', [{id => 'C0GENERAL1', team_id => 'T0LIMIT006', name => 'general'},
                                       {id => 'G0SECRET01', team_id => 'T0LIMIT006', name => 'secret',
                                        is_private => JSON::PP::true, bot_member => JSON::PP::false}]);
    slack_control('POST', 'users', {id => 'U0CY000001', team_id => 'T0LIMIT006', email => 'cy@example.com'});

    my $ok = admin_request('POST', "/admin/api/connections/$id/test", json => {channel => 'C0GENERAL1'});
    is $ok->code, 200, 'a test message to a channel';
    is json_of($ok)->{channel}, 'C0GENERAL1', 'names the channel';
    my ($posted) = @{ slack_control('GET', 'messages?channel=C0GENERAL1')->{messages} };
    like $posted->{text}, qr/Test message .* sent by admin/, 'the message reached the channel';

    my $dm = admin_request('POST', "/admin/api/connections/$id/test", json => {email => 'cy@example.com'});
    is $dm->code, 200, 'a test message to a user by email';
    like json_of($dm)->{channel}, qr/\AD/, 'it went to a direct message';

    my %cases = (
        channel_not_found => {channel => 'C0NOPE0001'},
        not_in_channel    => {channel => 'G0SECRET01'},
        users_not_found   => {email => 'nobody@example.com'},
    );
    for my $code (sort keys %cases) {
        my $res = admin_request('POST', "/admin/api/connections/$id/test", json => $cases{$code});
        is $res->code, 422, "$code: 422";
        my $body = json_of($res);
        is $body->{error}, $code, "$code: Slack's code";
        ok length($body->{message} // '') > 20 && $body->{message} !~ /\Q$code\E\z/,
           "$code: explained in words ($body->{message})";
    }
    is admin_request('POST', "/admin/api/connections/$id/test", json => {})->code, 400,
       'neither channel nor email: 400';
    is admin_request('POST', "/admin/api/connections/$id/test",
                     json => {channel => 'C0GENERAL1', email => 'cy@example.com'})->code, 400, 'both: 400';

    slack_control('POST', 'inject', {method => 'chat.postMessage', status => 500, times => -1});
    my $down = admin_request('POST', "/admin/api/connections/$id/test", json => {channel => 'C0GENERAL1'});
    is $down->code, 502, 'Slack failing with 5xx after the retries: 502';
    slack_control('DELETE', 'inject');

    # A token that Slack revoked behind our back: the test message finds out.
    my $token = json_of(admin_request('GET', '/admin/api/connections')) && do {
        my ($call) = grep { ($_->{response}{body}{team}{id} // '') eq 'T0LIMIT006' } slack_calls('oauth.v2.access');
        $call->{response}{body}{access_token};
    };
    slack_control('POST', 'tokens/revoke', {token => $token});
    my $revoked = admin_request('POST', "/admin/api/connections/$id/test", json => {channel => 'C0GENERAL1'});
    is $revoked->code, 422, 'a revoked token: 422';
    is json_of($revoked)->{error}, 'token_revoked', 'token_revoked';
    is json_of($revoked)->{connection_invalidated}, JSON::PP::true, 'the connection was invalidated';
    is psql("SELECT status || '|' || status_reason FROM sap_connections WHERE id = $id"), 'revoked|token_revoked',
       'it is marked revoked';
    is psql("SELECT count(*) FROM sap_instance_errors WHERE connection_id = $id AND kind = 'token_revoked' "
            . 'AND resolved_at IS NULL'), 1, 'an instance error is recorded';
    my $after = admin_request('POST', "/admin/api/connections/$id/test", json => {channel => 'C0GENERAL1'});
    is $after->code, 409, 'later calls are not tried against Slack: 409';
    like json_of($after)->{message}, qr/re-authorise/, 'with re-authorise guidance';

    my $errors = json_of(admin_request('GET', '/admin/api/errors'))->{errors};
    my ($listed_error) = grep { ($_->{connection_id} // 0) == $id } @$errors;
    ok $listed_error, 'GET /admin/api/errors lists it';
    like $listed_error->{action}, qr/Re-authorise this workspace/, 'with guidance';
    like $listed_error->{reauthorize_url}, qr{/admin/slack/install\z}, 'and the install link';

    # Re-authorising restores it and resolves the error.
    my ($res) = install_team('T0LIMIT006', 'Team 6');
    is_deeply redirect_query($res), {slack_install => 'ok', outcome => 'restored', team => 'Team 6'},
              'installing a revoked workspace again restores it';
    is psql("SELECT id || '|' || status FROM sap_connections WHERE team_id = 'T0LIMIT006'"), "$id|active",
       'the same connection, active';
    is psql("SELECT count(*) FROM sap_instance_errors WHERE connection_id = $id AND resolved_at IS NULL"), 0,
       'its error is resolved';
    is scalar(grep { ($_->{connection_id} // 0) == $id } @{ json_of(admin_request('GET', '/admin/api/errors'))->{errors} }),
       0, 'and no longer listed';
    is admin_request('POST', "/admin/api/connections/$id/test", json => {channel => 'C0GENERAL1'})->code, 200,
       'test messages work again (the cached token was replaced)';

    # The decrypted token is cached: a damaged ciphertext goes unnoticed until the cache is dropped.
    psql("UPDATE sap_connections SET token_ciphertext = set_byte(token_ciphertext, 0, get_byte(token_ciphertext, 0) # 1) "
         . "WHERE id = $id");
    is admin_request('POST', "/admin/api/connections/$id/test", json => {channel => 'C0GENERAL1'})->code, 200,
       'the token comes from the cache (the damaged row is not read)';
    admin_request('DELETE', '/admin/api/diagnostics/cache', headers => ['Content-Type' => 'application/json']);
    my $damaged = admin_request('POST', "/admin/api/connections/$id/test", json => {channel => 'C0GENERAL1'});
    is $damaged->code, 409, 'once dropped, the row is read and refused: the ciphertext is authenticated';
    like json_of($damaged)->{message}, qr/does not decrypt/, 'saying so';
}

# ---- secrets stay secret ---------------------------------------------------------
{
    my @secrets = (secret('client_secret'), secret('signing_secret'), @tokens_seen);
    my $log = do { local (@ARGV, $/) = (Apache::Test::vars('t_logs') . '/error_log'); <> };
    ok !(grep { index($log, $_) >= 0 } @secrets), 'no token, client secret or signing secret in the error log';
    my $access = do { local (@ARGV, $/) = (Apache::Test::vars('t_logs') . '/access_log'); <> } // '';
    ok !(grep { index($access, $_) >= 0 } @secrets), 'nor in the access log';
    my $errors = admin_request('GET', '/admin/api/errors?all=1')->content;
    ok !(grep { index($errors, $_) >= 0 } @secrets), 'nor in the errors API';
}

# ---- the Slack app manifest agrees with the module -------------------------------
{
    my $manifest = do { local (@ARGV, $/) = ("$ENV{SAP_TOP}/conf/slack-app-manifest.yaml"); <> };
    my ($bot) = $manifest =~ /^\s*bot:\s*\n((?:\s+-\s*\S+.*\n)+)/m;
    my @scopes = ($bot // '') =~ /^\s+-\s*(\S+)/mg;
    is join(',', @scopes), 'chat:write,chat:write.public,im:write,users:read,users:read.email',
       'the manifest asks for exactly the scopes the install requests';
    my ($events) = $manifest =~ /^\s*bot_events:\s*\n((?:\s+-\s*\S+.*\n)+)/m;
    is join(',', ($events // '') =~ /^\s+-\s*(\S+)/mg), 'app_uninstalled,tokens_revoked',
       'and subscribes to the two events the module handles';
    my $public = 'https://approvals.example.com/slack-approvals';
    like $manifest, qr{^\s+-\s*\Q$public\E/slack/oauth/callback\s*$}m, 'its redirect URL is the callback';
    like $manifest, qr{^\s*request_url:\s*\Q$public\E/slack/events\s*$}m, 'its events URL is /slack/events';
    like $manifest, qr{^\s*request_url:\s*\Q$public\E/slack/interactions\s*$}m,
         'its interactivity URL is /slack/interactions';
}

# ---- unknown paths and ids -----------------------------------------------------
is admin_request('GET', '/admin/api/connections/abc')->code, 404, 'a non-numeric id: 404';
is admin_request('POST', '/admin/api/connections/1/nothing', json => {})->code, 404, 'an unknown action: 404';
is browser()->get(base_url() . module_path() . '/admin/api/connections')->code, 401,
   'the connection API needs the admin login';
