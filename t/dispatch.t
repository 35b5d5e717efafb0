# Notification dispatch against the fake Slack and the SMTP sink: every
# type × product, DM / channel / both, overrides, delegates, external
# approvers, every email-fallback cause, 429, mrkdwn injection, 200
# decisions, mechanism email and native, and the stored messages.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use JSON::PP;
use lib 't/lib';
use SAP::Test qw(psql psql_rows admin_request json_of wait_until);
use SAP::Slack qw(slack_control slack_calls slack_reset install_team reset_connections);
use SAP::Engine qw(sample_event post_event history_rows wait_history smtp_messages smtp_reset);

plan tests => 108;

my @types = qw(approval_requested approval_reminder decision_recorded step_completed approval_completed
               step_expired approver_reassigned approval_archived approval_deleted approval_outdated);

sub person {
    my ($id, $name, %more) = @_;
    return { account_id => $id, display_name => $name, email => lc($name) . '@example.com', %more };
}
sub recipient { my ($id, $name, %more) = @_; return { %{ person($id, $name) }, delegates => [], %more } }

sub world {
    slack_reset();
    smtp_reset();
    reset_connections();
    my (undef, $token) = install_team('T0DISPATCH', 'Dispatch Co');
    slack_control('POST', 'users', [
        map { { id => $_->[0], team_id => 'T0DISPATCH', email => lc($_->[1]) . '@example.com',
                name => lc $_->[1], real_name => $_->[1] } }
        ['U0CY', 'Cy'], ['U0DI', 'Di'], ['U0ED', 'Ed'], ['U0HAL', 'Hal'], ['U0IVY', 'Ivy'] ]);
    slack_control('POST', 'channels', [
        { id => 'C0APPROVE', team_id => 'T0DISPATCH', name => 'approvals' },
        { id => 'C0OTHER', team_id => 'T0DISPATCH', name => 'other' } ]);
    return $token;
}

sub settings {
    my (%changes) = @_;
    my $res = admin_request('PUT', '/admin/api/settings', json => \%changes);
    die 'settings: ' . $res->status_line . ' ' . $res->content . "\n" unless $res->is_success;
}

sub send_and_wait {
    my ($event, $rows) = @_;
    my $res = post_event($event);
    die 'event refused: ' . $res->status_line . ' ' . $res->content . "\n" unless $res->code == 202;
    return wait_history($event->{event_id}, $rows);
}

sub statuses {
    my ($event_id) = @_;
    return [ map { join ' ', grep { length } @{$_}[0 .. 4] } history_rows($event_id) ];
}

sub posts_to { my ($channel) = @_; grep { ($_->{args}{channel} // '') eq $channel } slack_calls('chat.postMessage') }
sub blocks_of {
    my ($call) = @_;
    my $blocks = $call ? $call->{args}{blocks} : [];
    return ref $blocks ? $blocks : decode_json($blocks // '[]');
}
# The top-level text and every mrkdwn text object: what Slack parses for
# mentions and links (plain_text is shown as it is).
sub mrkdwn_of {
    my ($args) = @_;
    my @texts = ($args->{text} // '');
    my $walk;
    $walk = sub {
        my ($node) = @_;
        if (ref $node eq 'HASH') {
            push @texts, $node->{text} if ($node->{type} // '') eq 'mrkdwn' && defined $node->{text};
            $walk->($_) for values %$node;
        }
        elsif (ref $node eq 'ARRAY') { $walk->($_) for @$node }
    };
    $walk->(ref $args->{blocks} ? $args->{blocks} : decode_json($args->{blocks} // '[]'));
    return join "\n", @texts;
}
sub blocks_text { my ($args) = @_; return JSON::PP->new->canonical->encode([$args->{text}, $args->{blocks}]) }

my $token = world();
settings(mechanism => 'slack', delivery_mode => 'dm');

# ---- DM: a recipient and a delegate ----------------------------------------
{
    my $event = sample_event(recipients => [ recipient('u-3', 'Cy', delegates => [ person('u-4', 'Di') ]) ]);
    ok send_and_wait($event, 2), 'approval_requested: two deliveries';
    is_deeply statuses($event->{event_id}), ['dm cy@example.com SENT', 'dm di@example.com SENT'],
        'the approver and the delegate each get a DM';
    my @rows = history_rows($event->{event_id});
    is_deeply [ map { [$_->[6], $_->[7]] } @rows ], [ ['', 'U0CY'], ['u-3', 'U0DI'] ],
        'the delegate row says on whose behalf, both name the Slack user';
    my @opens = slack_calls('conversations.open');
    is_deeply [ sort map { $_->{args}{users} } @opens ], ['U0CY', 'U0DI'], 'a DM opened per person';
    my @posts = slack_calls('chat.postMessage');
    is scalar(@posts), 2, 'two messages';
    ok !grep({ !$_->{response}{body}{ok} } @posts), 'the fake Slack accepted both';
    my ($to_di) = grep { blocks_text($_->{args}) =~ /delegate/ } @posts;
    ok $to_di, "the delegate's message says it is a delegate's";
    my ($actions) = grep { $_->{type} eq 'actions' } @{ blocks_of($to_di) };
    my ($approve) = grep { ($_->{action_id} // '') eq 'sap_approve' } @{ $actions->{elements} // [] };
    ok $approve, 'interactive Approve button';
    is_deeply decode_json($approve->{value} // '{}'), { v => 1, p => 'jira', a => 'A-1001', s => 'S-1', d => 'u-3' },
        'its value carries approval, step, product and the approver the delegate acts for';
    is psql("SELECT count(*) FROM sap_slack_messages WHERE event_id = '$event->{event_id}' AND kind = 'dm' "
            . "AND channel_id LIKE 'D%' AND ts <> '' AND approval_id = 'A-1001' AND step_id = 'S-1'"), 2,
       'both messages are stored for the lifecycle';
    is psql("SELECT delegate_of FROM sap_slack_messages WHERE event_id = '$event->{event_id}' "
            . "AND recipient_slack_user = 'U0DI'"), 'u-3', "with the delegate's approver";

    my $lookups = scalar slack_calls('users.lookupByEmail');
    my $reminder = sample_event(type => 'approval_reminder',
                                recipients => [ recipient('u-3', 'Cy', delegates => [ person('u-4', 'Di') ]) ]);
    ok send_and_wait($reminder, 2), 'a reminder to the same people';
    is scalar(slack_calls('users.lookupByEmail')), $lookups, 'their Slack users come from the cache';
    is scalar(slack_calls('conversations.open')), 2, 'and so do their DMs';
}

# ---- every type × product --------------------------------------------------
{
    my @ids;
    for my $product (qw(jira confluence)) {
        for my $type (@types) {
            my %extra;
            $extra{decision} = { by => person('u-2', 'Bo'), on_behalf_of => undef, decision => 'approved',
                                 comment => 'fine', votes => [] } if $type eq 'decision_recorded';
            $extra{reassigned} = { from => person('u-5', 'Eve'), to => person('u-3', 'Cy') }
                if $type eq 'approver_reassigned';
            my $event = sample_event(type => $type, product => $product,
                                     recipients => [ recipient('u-3', 'Cy') ], %extra);
            if ($product eq 'confluence') {
                $event->{approval}{subject} = { key => '123456', title => 'Release notes 4.2',
                    url => 'https://wiki.example.com/pages/123456', container => { key => 'DOCS', name => 'Documentation' } };
            }
            is post_event($event)->code, 202, "$product $type accepted";
            push @ids, $event->{event_id};
        }
    }
    ok wait_until(60, sub { psql("SELECT count(*) FROM sap_notification_history WHERE status = 'SENT' AND event_id IN ("
                                 . join(',', map { "'$_'" } @ids) . ')') == 20 }),
       'all 20 type × product notifications were sent';
    my @texts = map { $_->{args}{text} // '' } slack_calls('chat.postMessage');
    ok scalar(grep { /FIN-12/ } @texts) >= 10, 'Jira messages name the issue';
    ok scalar(grep { /Release notes 4\.2/ } @texts) >= 10, 'Confluence messages name the page';
}

# ---- channel mode, both mode -----------------------------------------------
slack_control('DELETE', 'calls');
settings(delivery_mode => 'channel', default_channel => '#approvals');
{
    my $event = sample_event(recipients => [ recipient('u-3', 'Cy', delegates => [ person('u-4', 'Di') ]),
                                             recipient('u-9', 'Gus') ]);
    ok send_and_wait($event, 3), 'channel mode: a row per person';
    my @posts = posts_to('C0APPROVE');
    my @notices = grep { blocks_text($_->{args}) =~ /receive approval notifications/ } @posts;
    my @notifications = grep { blocks_text($_->{args}) !~ /receive approval notifications/ } @posts;
    is scalar(@notifications), 1, 'one message in the channel';
    my $text = blocks_text($notifications[0]{args});
    like $text, qr/<\@U0CY>/, 'it mentions the approver';
    like $text, qr/<\@U0DI>/, 'and the delegate';
    like $text, qr/Gus/, 'and names who has no Slack user';
    is scalar(grep { $_->{args}{channel} =~ /^D/ } slack_calls('chat.postMessage')), 0, 'no DMs in channel mode';
    is_deeply statuses($event->{event_id}),
        ['channel cy@example.com SENT', 'channel di@example.com SENT', 'channel gus@example.com SENT'],
        'SENT for everyone named';
    is psql("SELECT count(DISTINCT channel_id || ':' || ts) || '|' || count(*) FROM sap_slack_messages "
            . "WHERE event_id = '$event->{event_id}' AND kind = 'channel'"), '1|3',
       'one channel:ts, stored for each person it names';
}
settings(delivery_mode => 'both');
{
    slack_control('DELETE', 'calls');
    my $event = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($event, 2), 'both mode';
    is_deeply statuses($event->{event_id}), ['channel cy@example.com SENT', 'dm cy@example.com SENT'],
        'a DM and a channel message';
}

# ---- per-definition override beats the default -----------------------------
{
    my $put = admin_request('PUT', '/admin/api/definitions/jira/D-7', json => { channel => '#other' });
    ok $put->is_success, 'an override for definition D-7' or diag $put->content;
    slack_control('DELETE', 'calls');
    my $event = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($event, 2), 'an event of D-7';
    is scalar(grep { blocks_text($_->{args}) !~ /receive approval notifications/ } posts_to('C0OTHER')), 1,
       "goes to the definition's channel";
    is scalar(grep { blocks_text($_->{args}) !~ /receive approval notifications/ } posts_to('C0APPROVE')), 0,
       'not to the default channel';
    my $other = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    $other->{approval}{definition}{id} = 'D-8';
    ok send_and_wait($other, 2), 'an event of another definition';
    is scalar(grep { blocks_text($_->{args}) !~ /receive approval notifications/ } posts_to('C0APPROVE')), 1,
       'goes to the default channel';

    # a second workspace for D-7 only
    my (undef, $second) = install_team('T0SECOND', 'Second Co');
    slack_control('POST', 'users', [{ id => 'U1CY', team_id => 'T0SECOND', email => 'cy@example.com', name => 'cy' }]);
    slack_control('POST', 'channels', [{ id => 'C1APPROVE', team_id => 'T0SECOND', name => 'approvals' }]);
    my $id = psql("SELECT id FROM sap_connections WHERE team_id = 'T0SECOND'");
    $put = admin_request('PUT', '/admin/api/definitions/jira/D-7', json => { connection_id => $id + 0, channel => '#approvals' });
    ok $put->is_success, 'D-7 moves to the second workspace' or diag $put->content;
    slack_control('DELETE', 'calls');
    my $moved = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($moved, 2), 'an event of D-7 again';
    is_deeply [ map { $_->[7] } history_rows($moved->{event_id}) ], ['U1CY', 'U1CY'],
        "delivered in the second workspace, to Cy's user there";
    ok !grep({ ($_->{headers}{authorization} // '') ne "Bearer $second" } slack_calls('chat.postMessage')),
       "with the second workspace's token";
    ok admin_request('DELETE', '/admin/api/definitions/jira/D-7', headers => ['Content-Type' => 'application/json'])->is_success,
       'override removed';
}

# ---- external approvers ----------------------------------------------------
settings(delivery_mode => 'dm');
{
    smtp_reset();
    my $event = sample_event(recipients => [ recipient('x-1', 'Ed', external => JSON::PP::true),
                                             recipient('x-2', 'Fay', external => JSON::PP::true) ]);
    delete $_->{account_id} for @{ $event->{recipients} };
    ok send_and_wait($event, 4), 'two external approvers';
    is_deeply statuses($event->{event_id}),
        ['dm ed@example.com SENT', 'dm fay@example.com FAILED users_not_found not needed: external approvers are always emailed',
         'email ed@example.com SENT', 'email fay@example.com SENT'],
        'Slack when the email maps to a user, email always';
    is scalar(smtp_messages('ed@example.com')), 1, 'Ed has one email';
    is scalar(smtp_messages('fay@example.com')), 1, 'Fay has one email';
}

# ---- every fallback cause: an email and a FAILED row ----------------------
{
    smtp_reset();
    my $event = sample_event(recipients => [ recipient('u-9', 'Gus') ]);
    ok send_and_wait($event, 1), 'a recipient with no Slack user';
    is_deeply statuses($event->{event_id}), ['dm gus@example.com FAILED users_not_found sent'], 'FAILED, fallback sent';
    my ($mail) = smtp_messages('gus@example.com');
    ok $mail, 'the email is in the SMTP sink';
    like $mail->{headers}{subject} // '', qr/Budget sign-off/, 'rendered from the template';
    like $mail->{body} // '', qr{https://jira\.example\.com/browse/FIN-12}, 'with the link to the approval';

    smtp_reset();
    slack_control('POST', 'inject', { method => 'chat.postMessage', status => 500, times => 4 });
    my $api = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($api, 1), 'Slack answers 500 to every attempt';
    my ($row) = history_rows($api->{event_id});
    is_deeply [@{$row}[2, 4]], ['FAILED', 'sent'], 'FAILED after the retries, fallback sent';
    like $row->[3], qr/error/, 'the row says what Slack answered';
    is scalar(smtp_messages('cy@example.com')), 1, 'Cy got the email';
    slack_control('DELETE', 'inject');

    slack_control('DELETE', 'calls');
    slack_control('POST', 'inject', { method => 'chat.postMessage', status => 429, retry_after => 1, times => 1 });
    my $limited = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($limited, 1), 'Slack rate-limits the first attempt';
    is_deeply statuses($limited->{event_id}), ['dm cy@example.com SENT'], 'the message still goes out';
    my @attempts = slack_calls('chat.postMessage');
    is scalar(@attempts), 2, 'on the second attempt';
    ok $attempts[1]{time_ms} - $attempts[0]{time_ms} >= 950, 'after the Retry-After second';
    slack_control('DELETE', 'inject');
}
settings(delivery_mode => 'channel');
{
    smtp_reset();
    slack_control('POST', 'channels', [{ id => 'C0APPROVE', team_id => 'T0DISPATCH', name => 'approvals', is_archived => JSON::PP::true }]);
    my $event = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($event, 1), 'the channel was archived after it was set';
    is_deeply statuses($event->{event_id}), ['channel cy@example.com FAILED is_archived sent'], 'FAILED, fallback sent';
    is scalar(smtp_messages('cy@example.com')), 1, 'the email is in the SMTP sink';
    slack_control('POST', 'channels', [{ id => 'C0APPROVE', team_id => 'T0DISPATCH', name => 'approvals' }]);

    smtp_reset();
    settings(default_channel => undef);
    my $none = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($none, 1), 'channel mode with no channel at all';
    is_deeply statuses($none->{event_id}), ['channel cy@example.com FAILED no_channel_configured sent'],
        'FAILED: no channel configured, fallback sent';
    is scalar(smtp_messages('cy@example.com')), 1, 'the email is in the SMTP sink';
    settings(default_channel => '#approvals');
}
settings(delivery_mode => 'dm');
{
    smtp_reset();
    slack_control('DELETE', 'calls');
    slack_control('POST', 'tokens/revoke', { token => $token });
    # one job: the approver (not cached, so Slack is asked) and two delegates (cached)
    my $event = sample_event(recipients => [ recipient('u-3', 'Cy', delegates => [ person('u-4', 'Di'), person('u-6', 'Ed') ]) ]);
    $event->{recipients}[0]{email} = 'cy.other@example.com';
    ok send_and_wait($event, 3), 'the token was revoked';
    is_deeply [ map { join ' ', @{$_}[2 .. 4] } history_rows($event->{event_id}) ],
        [ ('FAILED token_revoked sent') x 3 ], 'all FAILED, all emailed';
    is scalar(grep { $_->{method} =~ /^(users|conversations|chat)\./ } @{ slack_control('GET', 'calls')->{calls} }), 1,
       'the rest of the batch made no Slack call after the revocation';
    is psql("SELECT status FROM sap_connections WHERE team_id = 'T0DISPATCH'"), 'revoked', 'the connection is marked';
    is psql("SELECT count(*) FROM sap_instance_errors WHERE team_id = 'T0DISPATCH' AND resolved_at IS NULL"), 1,
       'the admin sees an instance error';
    is scalar(smtp_messages()), 3, 'three emails';
    my $later = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($later, 1), 'a later event';
    is_deeply statuses($later->{event_id}), ['dm cy@example.com FAILED connection_inactive sent'],
        'goes straight to email';
}

# ---- mrkdwn injection, 200 decisions ---------------------------------------
$token = world();
settings(mechanism => 'slack', delivery_mode => 'dm');
{
    my $event = sample_event(type => 'decision_recorded', recipients => [ recipient('u-3', 'Cy') ],
        decision => { by => { account_id => 'u-2', display_name => 'Bo <!everyone>', email => 'bo@example.com' },
                      on_behalf_of => undef, decision => 'rejected',
                      comment => '<!here> see <https://evil.example|this> & that', votes => [] });
    $event->{approval}{name} = '<!channel> budget';
    $event->{approval}{subject}{title} = '<@U0CY> & friends';
    ok send_and_wait($event, 1), 'an event full of mrkdwn';
    my ($post) = slack_calls('chat.postMessage');
    my $all = mrkdwn_of($post->{args});
    unlike $all, qr/<!channel>|<!here>|<!everyone>|<\@U0CY>|<https:\/\/evil/,
           'no mention or link got through in any mrkdwn text';
    like $all, qr/&lt;!channel&gt;/, 'they are shown as text';

    my $tpl = admin_request('PUT', '/admin/api/templates/jira/step_completed', json => {
        slack_body => "*{{approval.name}}*\n{{#step.decisions}}• {{by.display_name}}: {{decision}} — {{comment}}\n{{/step.decisions}}",
        email_subject => 'Done: {{approval.name}}',
        email_body => "{{#step.decisions}}{{by.display_name}}: {{comment}}\n{{/step.decisions}}" });
    ok $tpl->is_success, 'a template listing every decision' or diag $tpl->content;
    my $big = sample_event(type => 'step_completed', recipients => [ recipient('u-3', 'Cy') ]);
    $big->{step}{decisions} = [ map { { by => person("u-$_", "Approver $_"), decision => 'approved',
                                        comment => 'Looks right to me, ' x 5 . $_, votes => [] } } 1 .. 200 ];
    ok send_and_wait($big, 1), 'a step with 200 decisions';
    is_deeply statuses($big->{event_id}), ['dm cy@example.com SENT'], 'the fake Slack accepted the message';
    my ($long) = grep { blocks_text($_->{args}) =~ /Approver 1:/ } slack_calls('chat.postMessage');
    my $blocks = blocks_of($long);
    my ($body) = grep { $_->{type} eq 'section' && ($_->{text}{text} // '') =~ /Approver 1:/ } @$blocks;
    ok length($body->{text}{text}) <= 3000, 'the body fits in a section';
    like $body->{text}{text}, qr/…\z/, 'and ends with an ellipsis';
    ok admin_request('DELETE', '/admin/api/templates/jira/step_completed',
                     headers => ['Content-Type' => 'application/json'])->is_success, 'template reset';
}

# ---- mechanism email, native -----------------------------------------------
{
    smtp_reset();
    slack_control('DELETE', 'calls');
    settings(mechanism => 'email');
    my $event = sample_event(recipients => [ recipient('u-3', 'Cy', delegates => [ person('u-4', 'Di') ]) ]);
    ok send_and_wait($event, 2), 'mechanism email';
    is_deeply statuses($event->{event_id}), ['email cy@example.com SENT', 'email di@example.com SENT'],
        'email to the approver and the delegate';
    is scalar(slack_calls('chat.postMessage')), 0, 'nothing in Slack';
    is scalar(smtp_messages()), 2, 'two emails';

    settings(mechanism => 'native');
    my $native = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    is post_event($native)->code, 202, 'mechanism native';
    ok wait_until(15, sub { psql("SELECT count(*) FROM sap_engine_events WHERE event_id = '$native->{event_id}' "
                                 . "AND outcome LIKE 'native:%'") == 1 }), 'says it sent nothing';
    is scalar(smtp_messages()), 2, 'and sent nothing';
}

# ---- a job that runs again does not deliver twice ---------------------------
{
    settings(mechanism => 'slack');
    slack_control('DELETE', 'calls');
    my $event = sample_event(recipients => [ recipient('u-3', 'Cy') ]);
    ok send_and_wait($event, 1), 'delivered once';
    my $job = psql("SELECT id FROM sap_jobs WHERE kind = 'notify.recipient' AND payload->>'event_id' = '$event->{event_id}'");
    psql("UPDATE sap_jobs SET state = 'queued', run_after = now(), finished_at = NULL WHERE id = $job");
    ok wait_until(15, sub { psql("SELECT state FROM sap_jobs WHERE id = $job") eq 'done' }), 'its job ran again';
    is scalar(slack_calls('chat.postMessage')), 1, 'no second message';
}
