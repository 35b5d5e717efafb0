# Notification settings, definition overrides and templates through the
# admin API: defaults, partial updates, every validation error, the channel
# checks against the fake Slack (the notice, Slack's refusals in words, no
# default workspace, a revoked token), overrides with their connection
# rules, templates (get, customise, invalid ones, reset, previews that the
# fake Slack accepts) and that every write is visible at once.
use strict;
use utf8;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use JSON::PP;
use URI::Escape qw(uri_escape_utf8);
use HTTP::Request;
use lib 't/lib';
use SAP::Test qw(psql psql_rows admin_request json_of base_url module_path);
use SAP::Slack qw(slack_control slack_calls slack_reset browser install_team redirect_query
                  reset_connections);

plan tests => 227;

my @types = qw(approval_requested approval_reminder decision_recorded step_completed
               approval_completed step_expired approver_reassigned approval_archived
               approval_deleted approval_outdated);
my @products = qw(jira confluence);
my $json = JSON::PP->new->canonical;

sub settings { json_of(admin_request('GET', '/admin/api/settings')) }
sub put_settings { admin_request('PUT', '/admin/api/settings', json => $_[0]) }
sub def_path { '/admin/api/definitions/' . $_[0] . '/' . uri_escape_utf8($_[1]) }
sub put_definition { admin_request('PUT', def_path($_[0], $_[1]), json => $_[2]) }
sub delete_json { admin_request('DELETE', $_[0], headers => ['Content-Type' => 'application/json']) }
sub messages_in { @{ slack_control('GET', "messages?channel=$_[0]")->{messages} } }
sub warning_codes { [map { $_->{code} } @{ $_[0]->{warnings} // [] }] }
sub stored_settings {
    psql("SELECT mechanism || '|' || delivery_mode || '|' || coalesce(default_channel, '-') || '|' "
         . "|| coalesce(default_channel_name, '-') FROM sap_settings");
}
sub words_ok {
    my ($body, $code, $what) = @_;
    ok length($body->{message} // '') > 20 && $body->{message} !~ /\A\Q$code\E\z/,
       "$what: explained in words ($body->{message})";
}
# A Web API call to the fake Slack with a bot token (JSON body).
sub slack_api {
    my ($method, $token, $body) = @_;
    my $req = HTTP::Request->new(POST => "http://127.0.0.1:$ENV{SAP_FAKE_SLACK_PORT}/api/$method",
                                 ['Content-Type' => 'application/json; charset=utf-8',
                                  Authorization => "Bearer $token"], encode_json($body));
    return json_of(browser()->request($req));
}

# ---- a clean start, through the API (so the caches are dropped too) ------------
reset_connections();
slack_reset();
psql("UPDATE sap_settings SET mechanism = 'native', delivery_mode = 'dm', default_channel = NULL, "
     . "default_channel_name = NULL");
delete_json("/admin/api/templates/$_->[0]/$_->[1]") for map { my $p = $_; map { [$p, $_] } @types } @products;
delete_json(def_path(@$_)) for ['jira', 'D-7'], ['jira', 'D-8'], ['confluence', 'Space approvals Zürich'];
psql('DELETE FROM sap_definition_overrides');

# ---- defaults ---------------------------------------------------------------------
{
    is put_settings({})->code, 200, 'an empty update is allowed (and drops the cached settings)';
    my $res = admin_request('GET', '/admin/api/settings');
    is $res->code, 200, 'GET /admin/api/settings';
    my $s = json_of($res);
    is $s->{mechanism}, 'native', 'before any workspace: the native mechanism';
    is $s->{delivery_mode}, 'dm', 'direct messages';
    ok !defined $s->{default_channel}, 'no default channel';
    ok !defined $s->{default_channel_name}, 'nor its name';
    is_deeply $s->{warnings}, [], 'nothing to warn about';
    is $s->{updated_by}, 'admin', 'who changed them last';
}

my ($res1, $token1) = install_team('T0SET00001', 'Settings One');
die "install failed\n" unless redirect_query($res1)->{slack_install} eq 'ok';
my ($conn1) = psql("SELECT id FROM sap_connections WHERE team_id = 'T0SET00001'");
slack_control('POST', 'channels', [
    {id => 'C0SETGEN01', team_id => 'T0SET00001', name => 'general'},
    {id => 'C0SETAPR01', team_id => 'T0SET00001', name => 'approvals'},
    {id => 'G0SETSEC01', team_id => 'T0SET00001', name => 'secret', is_private => JSON::PP::true,
     bot_member => JSON::PP::false},
    {id => 'C0SETOLD01', team_id => 'T0SET00001', name => 'old', is_archived => JSON::PP::true},
]);
{
    my $s = settings();
    is $s->{mechanism}, 'slack', 'the first workspace switches the mechanism to Slack (seen at once)';
    is $s->{delivery_mode}, 'dm', 'the delivery mode stays dm';
    is_deeply $s->{warnings}, [], 'no warnings with an active default workspace in dm mode';
}

# ---- partial update ---------------------------------------------------------------
{
    my $res = put_settings({delivery_mode => 'channel'});
    is $res->code, 200, 'PUT only the delivery mode';
    my $s = json_of($res);
    is $s->{delivery_mode}, 'channel', 'it changed';
    is $s->{mechanism}, 'slack', 'the mechanism did not';
    is_deeply warning_codes($s), ['no_default_channel'], 'channel mode without a channel: a warning';
    like $s->{warnings}[0]{message}, qr/channel mode needs a default channel or a definition override/i,
         'saying what is missing';
    is settings()->{delivery_mode}, 'channel', 'GET shows it at once (the write dropped the cache)';
    is stored_settings(), 'slack|channel|-|-', 'and it is stored';
    my $both = put_settings({mechanism => 'email', delivery_mode => 'both'});
    is_deeply [@{ json_of($both) }{qw(mechanism delivery_mode)}], ['email', 'both'], 'two keys at once';
    is put_settings({mechanism => 'slack', delivery_mode => 'channel'})->code, 200, 'and back';
}

# ---- validation errors --------------------------------------------------------------
{
    my @cases = (
        [{colour => 'red'}, 'unknown_field', 'colour', 'an unknown key'],
        [{mechanism => 'pigeon'}, 'invalid_field', 'mechanism', 'an unknown mechanism'],
        [{mechanism => 1}, 'invalid_field', 'mechanism', 'a mechanism that is not a string'],
        [{delivery_mode => 'sms'}, 'invalid_field', 'delivery_mode', 'an unknown delivery mode'],
        [{delivery_mode => undef}, 'invalid_field', 'delivery_mode', 'a null delivery mode'],
        [{delivery_mode => ['dm']}, 'invalid_field', 'delivery_mode', 'a delivery mode that is a list'],
        [{default_channel => 42}, 'invalid_field', 'default_channel', 'a channel that is a number'],
        [{default_channel => '#two words'}, 'invalid_field', 'default_channel', 'a channel name with a space'],
        [{default_channel => 'U0CY000001'}, 'invalid_field', 'default_channel', 'a user id as channel'],
        [{default_channel => '#' . ('x' x 81)}, 'invalid_field', 'default_channel', 'a channel name over 80'],
        [{delivery_mode => 'both', mechanism => 'fax'}, 'invalid_field', 'mechanism', 'one bad key among good ones'],
    );
    for my $case (@cases) {
        my ($body, $error, $field, $what) = @$case;
        my $res = put_settings($body);
        is $res->code, 400, "$what: 400";
        my $answer = json_of($res);
        is_deeply [$answer->{error}, $answer->{field}], [$error, $field], "$what: names $field";
    }
    like json_of(put_settings({colour => 'red'}))->{message}, qr/"colour".*"mechanism"/,
         'the unknown key and the accepted ones are named';
    my $bad = admin_request('PUT', '/admin/api/settings', body => '{"mechanism":', headers => ['Content-Type' => 'application/json']);
    is $bad->code, 400, 'malformed JSON: 400';
    is json_of($bad)->{error}, 'malformed_json', 'malformed_json';
    is admin_request('PUT', '/admin/api/settings', body => '["dm"]',
                     headers => ['Content-Type' => 'application/json'])->code, 400, 'a JSON array: 400';
    is admin_request('PUT', '/admin/api/settings', body => '{"delivery_mode":"dm"}')->code, 415,
       'no JSON content type: 415';
    is admin_request('PUT', '/admin/api/settings', json => {delivery_mode => 'dm'},
                     headers => [Origin => 'https://evil.example'])->code, 403, 'a foreign Origin: 403';
    is admin_request('POST', '/admin/api/settings', json => {})->code, 405, 'POST on settings: 405';
    is stored_settings(), 'slack|channel|-|-', 'none of them changed anything';
    is browser()->get(base_url() . module_path() . '/admin/api/settings')->code, 401,
       'the settings need the admin login';
}

# ---- the default channel, checked against Slack --------------------------------------
{
    my $res = put_settings({default_channel => '#approvals'});
    is $res->code, 200, 'a channel by name';
    my $s = json_of($res);
    is $s->{default_channel}, 'C0SETAPR01', "Slack's channel id is stored";
    is $s->{default_channel_name}, '#approvals', 'with the name as typed';
    is_deeply $s->{warnings}, [], 'channel mode has its channel now';
    is stored_settings(), 'slack|channel|C0SETAPR01|#approvals', 'in the database too';
    my @notices = messages_in('C0SETAPR01');
    is scalar @notices, 1, 'one notice was posted to the channel';
    like $notices[0]{text}, qr/This channel will receive approval notifications from Slack Approvals/,
         'saying what the channel is for';
    my ($post) = grep { ($_->{args}{channel} // '') eq '#approvals' } slack_calls('chat.postMessage');
    is $post->{headers}{authorization}, "Bearer $token1", "with the default workspace's token";

    is put_settings({default_channel => '#approvals'})->code, 200, 'the same channel again';
    is scalar(messages_in('C0SETAPR01')), 1, 'is not checked again (no second notice)';
    is put_settings({default_channel => 'C0SETAPR01'})->code, 200, 'nor by its id';
    is scalar(messages_in('C0SETAPR01')), 1, 'still one notice';

    my $by_id = json_of(put_settings({default_channel => 'C0SETGEN01'}));
    is_deeply [@$by_id{qw(default_channel default_channel_name)}], ['C0SETGEN01', 'C0SETGEN01'],
              'a channel by id';
    is scalar(messages_in('C0SETGEN01')), 1, 'got its notice';
    is settings()->{default_channel}, 'C0SETGEN01', 'GET shows the new channel at once';

    my %refusals = (
        channel_not_found => '#nope',
        not_in_channel    => 'G0SETSEC01',
        is_archived       => '#old',
    );
    for my $code (sort keys %refusals) {
        my $refused = put_settings({default_channel => $refusals{$code}, delivery_mode => 'both'});
        is $refused->code, 422, "$code: 422";
        my $body = json_of($refused);
        is $body->{error}, $code, "$code: Slack's code";
        is $body->{slack_error}, $code, "$code: as slack_error";
        is $body->{field}, 'default_channel', "$code: the field";
        words_ok($body, $code, $code);
        is stored_settings(), 'slack|channel|C0SETGEN01|C0SETGEN01', "$code: nothing saved (the mode neither)";
    }
    is scalar(messages_in('G0SETSEC01')) + scalar(messages_in('C0SETOLD01')), 0,
       'nothing reached the refused channels';

    slack_control('POST', 'inject', {method => 'chat.postMessage', status => 503, times => -1});
    my $down = put_settings({default_channel => '#approvals'});
    is $down->code, 502, 'Slack failing with 5xx after the retries: 502';
    is json_of($down)->{error}, 'http_error', 'http_error';
    slack_control('DELETE', 'inject');
    is stored_settings(), 'slack|channel|C0SETGEN01|C0SETGEN01', 'nothing saved';

    is put_settings({default_channel => ''})->code, 200, 'an empty channel clears it';
    is stored_settings(), 'slack|channel|-|-', 'cleared';
    is put_settings({default_channel => '#approvals'})->code, 200, 'set again';
    my $cleared = json_of(put_settings({default_channel => undef}));
    ok !defined $cleared->{default_channel} && !defined $cleared->{default_channel_name}, 'null clears it too';
    is_deeply warning_codes($cleared), ['no_default_channel'], 'and the warning is back';
}

# ---- no default workspace: 409 ----------------------------------------------------------
{
    psql("UPDATE sap_connections SET is_default = false");
    delete_json('/admin/api/diagnostics/cache');
    my $res = put_settings({default_channel => '#general'});
    is $res->code, 409, 'no default workspace to check with: 409';
    is json_of($res)->{error}, 'no_default_workspace', 'no_default_workspace';
    like json_of($res)->{message}, qr/connect a workspace/i, 'saying what to do';
    is_deeply warning_codes(settings()), ['no_default_workspace', 'no_default_channel'],
              'GET warns that Slack has no default workspace';
    psql("UPDATE sap_connections SET is_default = true WHERE id = $conn1");
    delete_json('/admin/api/diagnostics/cache');
    is stored_settings(), 'slack|channel|-|-', 'nothing saved';
}

# ---- a revoked token: the check finds out ---------------------------------------------------
{
    slack_control('POST', 'tokens/revoke', {token => $token1});
    my $res = put_settings({default_channel => '#general'});
    is $res->code, 422, 'a revoked token: 422';
    my $body = json_of($res);
    is $body->{error}, 'token_revoked', 'token_revoked';
    is $body->{connection_invalidated}, JSON::PP::true, 'the connection was invalidated';
    is psql("SELECT status || '|' || status_reason FROM sap_connections WHERE id = $conn1"),
       'revoked|token_revoked', 'it is marked revoked';
    is psql("SELECT count(*) FROM sap_instance_errors WHERE connection_id = $conn1 AND resolved_at IS NULL"), 1,
       'an instance error is recorded';
    my $after = put_settings({default_channel => '#general'});
    is $after->code, 409, 'then: 409, Slack is not asked';
    like json_of($after)->{message}, qr/re-authorise/, 'with re-authorise guidance';
    is_deeply warning_codes(settings()), ['no_default_workspace', 'no_default_channel'],
              'the settings warn that the default workspace is not active';
    is stored_settings(), 'slack|channel|-|-', 'nothing saved';
    my ($again, $new_token) = install_team('T0SET00001', 'Settings One');
    is redirect_query($again)->{outcome}, 'restored', 're-authorised';
    $token1 = $new_token;
    my $ok = put_settings({default_channel => '#general'});
    is $ok->code, 200, 'the check works again';
    is json_of($ok)->{default_channel}, 'C0SETGEN01', 'and stores the channel';
}

# ---- definition overrides ------------------------------------------------------------------
my ($res2, $token2) = install_team('T0SET00002', 'Settings Two');
my ($conn2) = psql("SELECT id FROM sap_connections WHERE team_id = 'T0SET00002'");
my ($res3) = install_team('T0SET00003', 'Settings Three');
my ($conn3) = psql("SELECT id FROM sap_connections WHERE team_id = 'T0SET00003'");
slack_control('POST', 'channels', [
    {id => 'C0SETFIN02', team_id => 'T0SET00002', name => 'finance'},
    {id => 'C0SETHR002', team_id => 'T0SET00002', name => 'hr'},
]);
{
    is_deeply json_of(admin_request('GET', '/admin/api/definitions')), {definitions => []}, 'no overrides yet';
    my $none = admin_request('GET', def_path('jira', 'D-7'));
    is $none->code, 404, 'a definition without override: 404';
    like json_of($none)->{message}, qr/default/, 'it uses the defaults';

    my $res = put_definition('jira', 'D-7', {connection_id => $conn2 + 0, channel => '#finance'});
    is $res->code, 200, 'an override with workspace and channel';
    my $d = json_of($res);
    is_deeply [@$d{qw(product definition_id connection_id channel channel_name updated_by)}],
              ['jira', 'D-7', $conn2, 'C0SETFIN02', '#finance', 'admin'], 'answered as stored';
    is_deeply $d->{warnings}, [], 'no warnings';
    my @notices = messages_in('C0SETFIN02');
    is scalar @notices, 1, "the channel was checked in the override's workspace";
    like $notices[0]{text}, qr/approval notifications .*jira definition D-7/, 'the notice names the definition';
    my ($post) = grep { ($_->{args}{channel} // '') eq '#finance' } slack_calls('chat.postMessage');
    is $post->{headers}{authorization}, "Bearer $token2", "with that workspace's token";
    is psql("SELECT connection_id || '|' || channel || '|' || channel_name FROM sap_definition_overrides "
            . "WHERE product = 'jira' AND definition_id = 'D-7'"), "$conn2|C0SETFIN02|#finance", 'stored';
    is_deeply json_of(admin_request('GET', def_path('jira', 'D-7')))->{channel}, 'C0SETFIN02', 'GET shows it';

    my $moved = json_of(put_definition('jira', 'D-7', {connection_id => $conn2 + 0, channel => '#hr'}));
    is $moved->{channel}, 'C0SETHR002', 'a new channel';
    is json_of(admin_request('GET', def_path('jira', 'D-7')))->{channel}, 'C0SETHR002', 'is visible at once';
    put_definition('jira', 'D-7', {connection_id => $conn2 + 0, channel => '#hr'});
    is scalar(messages_in('C0SETHR002')), 1, 'the same channel again is not checked again';

    my $ws_only = put_definition('jira', 'D-8', {connection_id => $conn2 + 0});
    is $ws_only->code, 200, 'a workspace without a channel';
    ok !defined json_of($ws_only)->{channel}, 'uses the default channel';
    is_deeply warning_codes(json_of($ws_only)), ['channel_of_other_workspace'],
              "warned: the default channel is the default workspace's";

    my $name = 'Space approvals Zürich';
    my $default_ws = put_definition('confluence', $name, {connection_id => undef, channel => '#approvals'});
    is $default_ws->code, 200, 'a channel in the default workspace (URL-encoded id)';
    my $dw = json_of($default_ws);
    is_deeply [@$dw{qw(definition_id connection_id channel)}], [$name, undef, 'C0SETAPR01'],
              'checked with the default workspace';
    is json_of(admin_request('GET', def_path('confluence', $name)))->{definition_id}, $name,
       'GET decodes the id';

    my $list = json_of(admin_request('GET', '/admin/api/definitions'))->{definitions};
    is_deeply [map { "$_->{product}/$_->{definition_id}" } @$list],
              ["confluence/$name", 'jira/D-7', 'jira/D-8'], 'the list, by product and id';

    my $wrong_ws = put_definition('jira', 'D-7', {connection_id => $conn2 + 0, channel => '#approvals'});
    is $wrong_ws->code, 422, "a channel of another workspace: 422";
    is json_of($wrong_ws)->{error}, 'channel_not_found', 'channel_not_found';
    is json_of(admin_request('GET', def_path('jira', 'D-7')))->{channel}, 'C0SETHR002', 'nothing changed';

    my $unknown = put_definition('jira', 'D-7', {connection_id => 999999});
    is $unknown->code, 404, 'an unknown connection: 404';
    is_deeply [@{ json_of($unknown) }{qw(error field)}], ['connection_not_found', 'connection_id'],
              'connection_not_found';
    psql("UPDATE sap_connections SET status = 'revoked' WHERE id = $conn3");
    my $inactive = put_definition('jira', 'D-7', {connection_id => $conn3 + 0});
    is $inactive->code, 409, 'a connection that is not active: 409';
    is json_of($inactive)->{error}, 'connection_inactive', 'connection_inactive';
    like json_of($inactive)->{message}, qr/re-authorise/, 'with guidance';

    my @bad = (
        ['bitbucket', 'D-1', {connection_id => $conn2 + 0}, 'invalid_field', 'product', 'an unknown product'],
        ['jira', 'x' x 201, {connection_id => $conn2 + 0}, 'invalid_field', 'definition_id', 'an id over 200 bytes'],
        ['jira', 'D-9', {}, 'nothing_to_override', undef, 'neither workspace nor channel'],
        ['jira', 'D-9', {workspace => 1}, 'unknown_field', 'workspace', 'an unknown key'],
        ['jira', 'D-9', {connection_id => "$conn2"}, 'invalid_field', 'connection_id', 'a connection id as text'],
        ['jira', 'D-9', {channel => JSON::PP::true}, 'invalid_field', 'channel', 'a channel that is not text'],
        ['jira', 'D-9', {channel => '#a,b'}, 'invalid_field', 'channel', 'a malformed channel'],
    );
    for my $case (@bad) {
        my ($product, $id, $body, $error, $field, $what) = @$case;
        my $res = put_definition($product, $id, $body);
        is $res->code, 400, "$what: 400";
        is_deeply [@{ json_of($res) }{qw(error field)}], [$error, $field], "$what: $error";
    }
    is admin_request('PUT', '/admin/api/definitions/jira/', json => {channel => '#hr'})->code, 404,
       'no definition id: 404';
    is admin_request('PUT', '/admin/api/definitions/jira/a/b', json => {channel => '#hr'})->code, 404,
       'a path with more segments: 404';
    is admin_request('PATCH', def_path('jira', 'D-7'), json => {})->code, 405, 'PATCH: 405';
    is psql("SELECT count(*) FROM sap_definition_overrides WHERE definition_id = 'D-9'"), 0,
       'none of them stored anything';

    my $gone = delete_json(def_path('jira', 'D-8'));
    is $gone->code, 200, 'DELETE an override';
    is admin_request('GET', def_path('jira', 'D-8'))->code, 404, 'it is gone at once';
    is delete_json(def_path('jira', 'D-8'))->code, 404, 'deleting it again: 404';

    # Deleting the workspace an override names: the override falls back to the default.
    delete_json("/admin/api/connections/$conn2");
    my $fallen = json_of(admin_request('GET', def_path('jira', 'D-7')));
    ok !defined $fallen->{connection_id}, "the override of a deleted workspace names the default";
    psql("UPDATE sap_connections SET status = 'active' WHERE id = $conn3");
    delete_json('/admin/api/diagnostics/cache');
}

# ---- templates ---------------------------------------------------------------------------------
{
    my $res = admin_request('GET', '/admin/api/templates');
    is $res->code, 200, 'GET /admin/api/templates';
    my $all = json_of($res)->{templates};
    is scalar @$all, 20, 'every product × type';
    is_deeply [map { "$_->{product}/$_->{type}" } @$all],
              [map { my $p = $_; map { "$p/$_" } @types } @products], 'jira first, the types in order';
    is scalar(grep { !$_->{customised} && length($_->{slack_body}) && length($_->{email_subject})
                     && length($_->{email_body}) && length($_->{title}) } @$all), 20,
       'all default, each with its three parts and a title';

    my $path = '/admin/api/templates/jira/approval_requested';
    my $one = json_of(admin_request('GET', $path));
    is $one->{customised}, JSON::PP::false, 'one template: the default';
    is_deeply $one->{default}, {map { $_ => $one->{$_} } qw(slack_body email_subject email_body)},
              'and the default parts beside it';

    my %custom = (slack_body => "*{{approval.name}}* needs you, {{recipient.display_name}}",
                  email_subject => 'Approve {{approval.name}}',
                  email_body => "Hello {{recipient.display_name}},\n{{approval.url}}\n");
    my $put = admin_request('PUT', $path, json => \%custom);
    is $put->code, 200, 'PUT a template';
    my $saved = json_of($put);
    is $saved->{customised}, JSON::PP::true, 'customised';
    is_deeply {map { $_ => $saved->{$_} } keys %custom}, \%custom, 'with the parts sent';
    is $saved->{updated_by}, 'admin', 'and who';
    is json_of(admin_request('GET', $path))->{slack_body}, $custom{slack_body},
       'GET shows it at once (the cached default was dropped)';
    is scalar(grep { $_->{customised} } @{ json_of(admin_request('GET', '/admin/api/templates'))->{templates} }), 1,
       'the list says one is customised';

    my $invalid = admin_request('PUT', $path, json => {%custom, slack_body => "line one\n{{#step}}open"});
    is $invalid->code, 422, 'a template that does not parse: 422';
    my $err = json_of($invalid);
    is_deeply [@$err{qw(error field line)}], ['template_invalid', 'slack_body', 2],
              'template_invalid, the part and the line';
    ok $err->{column} >= 1 && defined $err->{offset} && length $err->{message}, 'column, offset and message';
    is json_of(admin_request('GET', $path))->{slack_body}, $custom{slack_body}, 'nothing saved';

    my @bad = (
        [{slack_body => 'x', email_subject => 'y'}, 'invalid_field', 'email_body', 'a missing part'],
        [{%custom, email_subject => 5}, 'invalid_field', 'email_subject', 'a part that is not text'],
        [{%custom, email_body => 'z' x 16385}, 'invalid_field', 'email_body', 'a part over 16 KiB'],
        [{%custom, html => '<p>'}, 'unknown_field', 'html', 'an unknown key'],
    );
    for my $case (@bad) {
        my ($body, $error, $field, $what) = @$case;
        my $res = admin_request('PUT', $path, json => $body);
        is $res->code, 400, "$what: 400";
        is_deeply [@{ json_of($res) }{qw(error field)}], [$error, $field], "$what: names $field";
    }
    is admin_request('PUT', '/admin/api/templates/jira/no_such_type', json => \%custom)->code, 404,
       'an unknown type: 404';
    is admin_request('GET', '/admin/api/templates/trello/approval_requested')->code, 404, 'an unknown product: 404';
    is admin_request('POST', $path, json => \%custom)->code, 405, 'POST on a template: 405';

    my $reset = delete_json($path);
    is $reset->code, 200, 'DELETE resets the template';
    is_deeply [@{ json_of($reset) }{qw(customised was_customised)}], [JSON::PP::false, JSON::PP::true],
              'back to the default';
    is json_of(admin_request('GET', $path))->{slack_body}, $one->{slack_body}, 'GET shows the default at once';
    is json_of(delete_json($path))->{was_customised}, JSON::PP::false, 'resetting a default is harmless';
    is psql("SELECT count(*) FROM sap_templates"), 0, 'no template row left';
}

# ---- previews ------------------------------------------------------------------------------------
{
    my $accepted = 0;
    my (@refused, @messages);
    for my $product (@products) {
        for my $type (@types) {
            my $res = admin_request('POST', "/admin/api/templates/$product/$type/preview", json => {});
            my $p = json_of($res);
            my $complete = $res->code == 200 && length($p->{slack_body} // '') && length($p->{email_subject} // '')
                           && length($p->{email_body} // '') && @{ $p->{message}{blocks} // [] };
            ok $complete, "$product/$type: a preview with three non-empty parts and blocks";
            push @messages, $p->{message} // {};
            my $posted = slack_api('chat.postMessage', $token1, {%{ $p->{message} // {} }, channel => 'C0SETGEN01'});
            if ($posted->{ok}) { $accepted++ } else { push @refused, "$product/$type: " . $json->encode($posted) }
        }
    }
    is $accepted, 20, 'the fake Slack accepts every preview message' or diag join "\n", @refused;
    SKIP: {
        skip 't/unit/check-blocks.js is not there', 1 unless -f "$ENV{SAP_TOP}/t/unit/check-blocks.js";
        my $dump = "$ENV{SAP_RUN_DIR}/preview-blocks.jsonl";
        open my $fh, '>', $dump or die "$dump: $!";
        print {$fh} encode_json($_), "\n" for @messages;
        close $fh;
        my $out = `node "$ENV{SAP_TOP}/t/unit/check-blocks.js" < "$dump" 2>&1`;
        is $?, 0, "Slack's Block Kit limits hold for every preview (check-blocks.js)" or diag $out;
    }

    my $path = '/admin/api/templates/confluence/decision_recorded/preview';
    my $custom = json_of(admin_request('POST', $path, json => {
        slack_body => 'Decided: <{{approval.url}}|{{approval.name}}>',
        event => {approval => {id => 'A-77', name => 'Fish & <chips>', url => 'https://wiki.example/A-77'},
                  recipients => [{display_name => 'Zoe', email => 'zoe@example.com'}]},
    }));
    is $custom->{slack_body}, 'Decided: <https://wiki.example/A-77|Fish &amp; &lt;chips&gt;>',
       'a preview of the parts sent, over the event sent, values escaped for mrkdwn';
    ok length $custom->{email_subject}, 'the other parts are the ones in force';
    my $bad = admin_request('POST', $path, json => {email_subject => '{{#open}}'});
    is $bad->code, 422, 'a preview of a broken part: 422';
    is json_of($bad)->{field}, 'email_subject', 'naming the part';
    is admin_request('POST', $path, json => {event => 'no'})->code, 400, 'an event that is not an object: 400';
    is admin_request('POST', '/admin/api/templates/jira/nope/preview', json => {})->code, 404, 'unknown type: 404';
    is admin_request('GET', $path)->code, 405, 'GET on preview: 405';
    is admin_request('POST', '/admin/api/templates/jira/approval_requested/render', json => {})->code, 404,
       'an unknown action: 404';
}

# ---- the log --------------------------------------------------------------------------------
{
    my $log = do { local (@ARGV, $/) = (Apache::Test::vars('t_logs') . '/error_log'); <> };
    like $log, qr/notice.*notification settings changed by admin/, 'settings changes are logged at notice level';
    like $log, qr/notice.*definition override jira\/D-7 set by admin/, 'so are overrides';
    like $log, qr/notice.*template jira\/approval_requested customised by admin/, 'and templates';
    ok index($log, $token1) < 0 && index($log, $token2) < 0, 'no token in the log';
}
