package SAP::Slack;
# The fake Slack's control API and the module's OAuth install, for tests:
# an install goes through the module's real endpoints (install → Slack →
# callback), with the code minted by the fake as Slack would mint it.
use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request;
use URI;
use URI::QueryParam;
use SAP::Test qw(base_url module_path);

our @EXPORT_OK = qw(slack_control slack_calls slack_reset browser start_install callback
                    install_team redirect_query events_url reset_connections
                    interactions_url slack_click slack_submit_view slack_close_view slack_views
                    slack_messages);

sub fake_url { 'http://127.0.0.1:' . ($ENV{SAP_FAKE_SLACK_PORT} or die "SAP_FAKE_SLACK_PORT unset\n") }

# A browser that does not follow redirects (each hop is checked).
sub browser { LWP::UserAgent->new(max_redirect => 0, timeout => 30) }

# POST (or GET without $json) to the fake's /_control/$path; decoded answer.
sub slack_control {
    my ($method, $path, $json) = @_;
    my $req = HTTP::Request->new($method, fake_url() . "/_control/$path",
                                 defined $json ? ['Content-Type' => 'application/json'] : [],
                                 defined $json ? encode_json($json) : undef);
    my $res = browser()->request($req);
    my $data = eval { decode_json($res->content) } // {};
    die "fake Slack control $path: " . $res->status_line . ' ' . $res->content . "\n"
        unless $res->is_success;
    return $data;
}

sub slack_reset { slack_control('POST', 'reset', {}) }

# Recorded Web API calls of one method.
sub slack_calls {
    my ($method) = @_;
    my $all = slack_control('GET', 'calls');
    return grep { $_->{method} eq $method } @{ $all->{calls} // [] };
}

# GET the fake's /_control/$path with these query parameters; decoded answer.
sub slack_query {
    my ($path, %query) = @_;
    my $uri = URI->new("http://x/$path");
    $uri->query_form(%query);
    return slack_control('GET', $path . ($uri->query ? '?' . $uri->query : ''));
}

# Messages the fake keeps (channel, ts, thread_ts, ephemeral => 'true'|'false').
sub slack_messages { @{ slack_query('messages', @_)->{messages} // [] } }

# Views (modals) the fake keeps (user, callback_id, state => 'open'|'closed', id).
sub slack_views { @{ slack_query('views', @_)->{views} // [] } }

# A user clicks a button: channel, ts, action_id, user, and optionally block_id,
# value, confirm, deliver, secret, timestamp, headers, url (default: the
# module's interactions URL). The fake's answer (payload, trigger_id,
# response_url, the module's status / body, request).
sub slack_click { interaction('click', @_) }

# A user submits an open view: view_id, and values (Slack's state shape) or
# answers ({action_id => 'text' | 'option value' | [values]}); answer as
# slack_click plus view_state ('open' | 'closed') and errors.
sub slack_submit_view { interaction('submit-view', @_) }

# A user closes an open view: view_id; view_closed is delivered if the view
# asked for it (notify_on_close).
sub slack_close_view { interaction('close-view', @_) }

# POST to an interactivity control route; `url` defaults to the module's
# (not needed with deliver => false).
sub interaction {
    my ($path, %args) = @_;
    $args{url} //= interactions_url() unless defined $args{deliver} && !$args{deliver};
    return slack_control('POST', $path, \%args);
}

sub admin_auth {
    require MIME::Base64;
    return 'Basic ' . MIME::Base64::encode_base64('admin:' . ($ENV{SAP_ADMIN_PASSWORD} // 'admin-password'), '');
}

# GET /admin/slack/install as the admin: the response (302 to Slack).
sub start_install {
    my $req = HTTP::Request->new(GET => base_url() . module_path() . '/admin/slack/install',
                                 [Authorization => admin_auth()]);
    return browser()->request($req);
}

sub callback_url { base_url() . module_path() . '/slack/oauth/callback' }
sub events_url { base_url() . module_path() . '/slack/events' }
sub interactions_url { base_url() . module_path() . '/slack/interactions' }

# GET the module's callback with these query parameters.
sub callback {
    my (%query) = @_;
    my $uri = URI->new(callback_url());
    $uri->query_form(%query);
    return browser()->get($uri);
}

# The query of a redirect's Location as a hash.
sub redirect_query {
    my ($res) = @_;
    my $location = $res->header('Location') // '';
    my $uri = URI->new($location);
    return { map { $_ => scalar $uri->query_param($_) } $uri->query_param };
}

# A whole install of one workspace; returns (callback response, token).
sub install_team {
    my ($team_id, $team_name, %opt) = @_;
    my $start = start_install();
    die 'install did not redirect: ' . $start->status_line . "\n" unless $start->code == 302;
    my $state = URI->new($start->header('Location'))->query_param('state');
    my $minted = slack_control('POST', 'oauth/codes', {
        team_id => $team_id, team_name => $team_name, redirect_uri => callback_url(),
        ($opt{scopes} ? (scopes => $opt{scopes}) : ()),
    });
    return (callback(code => $minted->{code}, state => $state), $minted->{token});
}

sub reset_connections {
    SAP::Test::psql('SET client_min_messages = warning; '
                    . 'TRUNCATE sap_connections, sap_oauth_states, sap_instance_errors CASCADE; '
                    . "UPDATE sap_settings SET mechanism = 'native'");
    # behind the module's back: drop what it cached
    my $flush = SAP::Test::admin_request('DELETE', '/admin/api/diagnostics/cache',
                                         headers => ['Content-Type' => 'application/json']);
    die 'cache flush: ' . $flush->status_line . "\n" unless $flush->is_success;
}

1;
