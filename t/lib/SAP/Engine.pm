package SAP::Engine;
# Engine events for tests: a complete event (DESIGN section 6) to vary,
# signed delivery to /api/v1/events as the engine signs it, and waiting for
# what the workers make of it (history rows, the SMTP sink's mail).
use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request;
use SAP::Test qw(sign_headers psql psql_rows base_url module_path wait_until);

our @EXPORT_OK = qw(sample_event post_event post_raw events_url history_rows wait_history
                    smtp_messages smtp_reset smtp_control next_event_id engine_control engine_reset);

sub events_url { base_url() . module_path() . '/api/v1/events' }

my $counter = 0;
sub next_event_id { sprintf 'ev-%d-%d-%d', $$, time, ++$counter }

sub person {
    my ($id, $name, %more) = @_;
    return { account_id => $id, display_name => $name, email => lc($name) . '@example.com', %more };
}

# A complete approval_requested event for Jira; %over replaces top-level keys.
sub sample_event {
    my (%over) = @_;
    my $event = {
        event_id => next_event_id(), type => 'approval_requested', product => 'jira',
        occurred_at => '2026-11-28T10:00:00Z',
        approval => {
            id => 'A-1001', name => 'Budget sign-off', url => 'https://jira.example.com/browse/FIN-12',
            status => 'pending', definition => { id => 'D-7', name => 'Finance approval' },
            subject => { key => 'FIN-12', title => 'Q3 budget', url => 'https://jira.example.com/browse/FIN-12',
                         container => { key => 'FIN', name => 'Finance' } },
            requester => person('u-1', 'Ada'),
        },
        step => {
            id => 'S-1', name => 'Finance review', kind => 'approval', required => 2, approvers_total => 3,
            comment_required => JSON::PP::false, vote => undef, due_at => undef, outcome => undef,
            progress => { approved => 1, rejected => 0, abstained => 0, pending => 2 },
            decisions => [{ by => person('u-2', 'Bo'), on_behalf_of => undef, decision => 'approved',
                            comment => 'ok', votes => [], at => '2026-11-28T10:05:00Z' }],
            tally => [],
        },
        recipients => [ { %{ person('u-3', 'Cy') }, external => JSON::PP::false, delegates => [] } ],
        decision => undef, reassigned => undef,
        options => { actions_without_login => JSON::PP::true, action_buttons => JSON::PP::true },
        %over,
    };
    return $event;
}

sub ua { LWP::UserAgent->new(timeout => 30) }

# POSTs a raw body signed as the engine signs (%opt: ts, secret, headers).
sub post_raw {
    my ($body, %opt) = @_;
    my @headers = ('Content-Type' => 'application/json',
                   sign_headers(engine => 1, body => $body, %{ $opt{sign} // {} }));
    push @headers, @{ $opt{headers} } if $opt{headers};
    return ua()->request(HTTP::Request->new(POST => events_url(), \@headers, $body));
}

sub post_event {
    my ($event, %opt) = @_;
    return post_raw(JSON::PP->new->canonical->encode($event), %opt);
}

# History rows of an event: [kind, recipient, status, error, fallback, channel, delegate_of, slack_user_id]
sub history_rows {
    my ($event_id) = @_;
    return psql_rows("SELECT kind, recipient, status, coalesce(error, ''), coalesce(fallback, ''), "
                     . "coalesce(channel, ''), coalesce(delegate_of, ''), coalesce(slack_user_id, '') "
                     . "FROM sap_notification_history WHERE event_id = '$event_id' ORDER BY kind, recipient, id");
}

# Waits until the event has $count history rows (and its jobs settled).
sub wait_history {
    my ($event_id, $count, $seconds) = @_;
    my $ok = wait_until($seconds // 20, sub {
        psql("SELECT count(*) FROM sap_notification_history WHERE event_id = '$event_id'") >= $count
    });
    # let the last job settle (the row is written before the job finishes)
    wait_until(10, sub {
        psql("SELECT count(*) FROM sap_jobs WHERE state IN ('queued', 'running') "
             . "AND payload->>'event_id' = '$event_id'") == 0
    });
    return $ok;
}

sub engine_url { 'http://127.0.0.1:' . ($ENV{SAP_FAKE_ENGINE_PORT} or die "SAP_FAKE_ENGINE_PORT unset\n") }

# The fake engine's /_control/$path (GET without $json); the decoded answer.
sub engine_control { return fake_control(engine_url(), 'engine', @_) }

sub engine_reset { engine_control('POST', 'reset', {}) }

sub smtp_url { 'http://127.0.0.1:' . ($ENV{SAP_FAKE_SMTP_CONTROL_PORT} or die "SAP_FAKE_SMTP_CONTROL_PORT unset\n") }

sub smtp_control { return fake_control(smtp_url(), 'smtp', @_) }

# A fake's control call: $method on $base/_control/$path with $json (none: no body).
sub fake_control {
    my ($base, $what, $method, $path, $json) = @_;
    my $res = ua()->request(HTTP::Request->new($method, "$base/_control/$path",
        defined $json ? ['Content-Type' => 'application/json'] : [], defined $json ? encode_json($json) : undef));
    die "$what control $path: " . $res->status_line . ' ' . $res->content . "\n" unless $res->is_success;
    return eval { decode_json($res->content) } // {};
}

sub smtp_reset { smtp_control('POST', 'reset', {}) }

# Messages the sink accepted, optionally for one recipient.
sub smtp_messages {
    my ($to) = @_;
    my $data = smtp_control('GET', 'messages' . ($to ? "?to=$to" : ''));
    return @{ $data->{messages} // [] };
}

1;
