# Interactive approvals in Slack, end to end: notifications sent by the
# module, buttons clicked and modals submitted through the fake Slack (which
# builds and signs the payloads as Slack does), decisions applied by the fake
# engine, ephemeral feedback and the clicker's DM updated.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request;
use lib 't/lib';
use SAP::Test qw(psql admin_request wait_until sign_headers);
use SAP::Slack qw(slack_control slack_calls slack_reset install_team reset_connections
                  slack_click slack_submit_view slack_close_view slack_views slack_messages
                  interactions_url);
use SAP::Engine qw(sample_event post_event wait_history engine_control engine_reset);

plan tests => 142;

my $TEAM = 'T0CLICK';
my $TOKEN;

sub person { my ($id, $name) = @_; return { account_id => $id, display_name => $name, email => lc($name) . '@example.com' } }
sub recipient { my ($id, $name, @delegates) = @_; return { %{ person($id, $name) }, external => JSON::PP::false, delegates => [@delegates] } }

sub world {
    slack_reset();
    engine_reset();
    reset_connections();
    (undef, $TOKEN) = install_team($TEAM, 'Click Co');
    slack_control('POST', 'users', [
        map { { id => $_->[0], team_id => $TEAM, email => $_->[2] // lc($_->[1]) . '@example.com',
                name => lc $_->[1], real_name => $_->[1] } }
        ['U0CY', 'Cy'], ['U0DI', 'Di'], ['U0ED', 'Ed'], ['U0ZED', 'Zed', 'zed@elsewhere.example'] ]);
    slack_control('POST', 'channels', [ { id => 'C0APPROVE', team_id => $TEAM, name => 'approvals' } ]);
    engine_control('POST', 'users', [ map { person(@$_) } ['u-3', 'Cy'], ['u-4', 'Di'], ['u-5', 'Ed'] ]);
    settings(mechanism => 'slack', delivery_mode => 'dm');
}

sub settings {
    my (%changes) = @_;
    my $res = admin_request('PUT', '/admin/api/settings', json => \%changes);
    die 'settings: ' . $res->status_line . ' ' . $res->content . "\n" unless $res->is_success;
}

my $approvals = 0;
# A new step in the engine and its notification sent; returns the event.
# %opt: kind, options, multiple, comment_required, required, approvers, delegates, state, event (overrides)
sub notify {
    my (%opt) = @_;
    my $approval = 'A-' . (++$approvals);
    my @recipients = @{ $opt{recipients} // [ recipient('u-3', 'Cy'), recipient('u-5', 'Ed') ] };
    engine_control('POST', 'steps', {
        approval_id => $approval, step_id => 'S-1', kind => $opt{kind} // 'approval',
        approvers => $opt{approvers} // [ map { $_->{account_id} } @recipients ],
        delegates => $opt{delegates} // {}, required => $opt{required} // 2,
        state => $opt{state} // 'active',
        ($opt{options} ? (options => $opt{options}, multiple => $opt{multiple} ? JSON::PP::true : JSON::PP::false) : ()),
    });
    my $event = sample_event(recipients => \@recipients, %{ $opt{event} // {} });
    $event->{approval}{id} = $approval;
    $event->{step}{comment_required} = $opt{comment_required} ? JSON::PP::true : JSON::PP::false;
    if ($opt{kind} && $opt{kind} eq 'vote') {
        $event->{step}{kind} = 'vote';
        $event->{step}{vote} = { multiple => $opt{multiple} ? JSON::PP::true : JSON::PP::false,
                                 options => $opt{options} };
    }
    my $people = 0;
    $people += 1 + scalar @{ $_->{delegates} } for @recipients;
    my $res = post_event($event);
    die 'event refused: ' . $res->status_line . ' ' . $res->content . "\n" unless $res->code == 202;
    wait_history($event->{event_id}, $opt{rows} // $people) or die "no delivery for $approval\n";
    return $event;
}

# [channel, ts] of the DM a Slack user got for an event.
sub dm_of {
    my ($event, $user) = @_;
    my ($row) = SAP::Test::psql_rows("SELECT channel_id, ts FROM sap_slack_messages WHERE event_id = "
                                     . "'$event->{event_id}' AND kind = 'dm' AND recipient_slack_user = '$user'");
    die "no DM for $user\n" unless $row;
    return @$row;
}

sub channel_message_of {
    my ($event) = @_;
    my ($row) = SAP::Test::psql_rows("SELECT DISTINCT channel_id, ts FROM sap_slack_messages WHERE event_id = "
                                     . "'$event->{event_id}' AND kind = 'channel'");
    die "no channel message\n" unless $row;
    return @$row;
}

sub jobs_settled {
    return wait_until(30, sub {
        psql("SELECT count(*) FROM sap_jobs WHERE kind LIKE 'interaction.%' AND state IN ('queued', 'running')") == 0
    });
}

sub click {
    my ($channel, $ts, $action, $user, %more) = @_;
    my $answer = slack_click(channel => $channel, ts => $ts, action_id => $action, user => $user, %more);
    jobs_settled();
    return $answer;
}

sub decisions {
    my ($event) = @_;
    return @{ engine_control('GET', "decisions?approval_id=$event->{approval}{id}")->{decisions} // [] };
}

sub engine_calls {
    my ($endpoint) = @_;
    return @{ engine_control('GET', "calls?endpoint=$endpoint")->{calls} // [] };
}

# Ephemeral texts a user got (by response_url or chat.postEphemeral), oldest first.
sub ephemerals {
    my ($user) = @_;
    return map { $_->{text} // '' } grep { ($_->{ephemeral_user} // '') eq $user } slack_messages(ephemeral => 'true');
}
sub last_ephemeral { my @all = ephemerals(@_); return $all[-1] // '' }

sub message_at {
    my ($channel, $ts) = @_;
    my ($message) = slack_messages(channel => $channel, ts => $ts);
    return $message // {};
}
sub action_ids {
    my ($message) = @_;
    my $blocks = ref $message->{blocks} ? $message->{blocks} : decode_json($message->{blocks} // '[]');
    return [ map { $_->{action_id} } map { @{ $_->{elements} // [] } } grep { $_->{type} eq 'actions' } @$blocks ];
}
sub blocks_json { my ($message) = @_; return JSON::PP->new->canonical->encode($message->{blocks} // []) }

sub interaction_jobs { psql("SELECT count(*) FROM sap_jobs WHERE kind = 'interaction.decide'") }

world();

# ---- Approve in a DM ---------------------------------------------------------
{
    my $event = notify();
    my ($dm, $ts) = dm_of($event, 'U0CY');
    my $answer = click($dm, $ts, 'sap_approve', 'U0CY');
    is $answer->{status}, 200, 'Approve in a DM: 200';
    is $answer->{body}, '', 'with an empty body, as Slack expects for block_actions';
    my @made = decisions($event);
    is scalar(@made), 1, 'one decision reached the engine';
    is $made[0]{account_id}, 'u-3', 'by the Atlassian account of the clicking Slack user';
    is $made[0]{decision}, 'approve', 'an approval';
    is $made[0]{source}, 'slack', 'from Slack';
    ok !defined $made[0]{on_behalf_of}, 'on nobody else\'s behalf';
    like $made[0]{request_id}, qr/\A[0-9a-f]{64}\z/, 'with a request_id';
    like last_ephemeral('U0CY'), qr/You approved \*Budget sign-off\* \(FIN-12\)\. 1 of 2 approvals so far\./,
        'the clicker is told it was applied, with the progress';
    my $message = message_at($dm, $ts);
    ok $message->{edited} || $message->{update_count}, 'the DM was updated';
    is_deeply action_ids($message), ['sap_view'], 'its decision buttons are gone, the link stays';
    like blocks_json($message), qr/You approved/, 'it says what the clicker did';
    is psql("SELECT count(*) FROM sap_notification_history WHERE event_id = '$event->{event_id}' "
            . "AND status = 'UPDATED' AND kind = 'dm' AND slack_user_id = 'U0CY'"), 1, 'history row UPDATED';
    is scalar(slack_calls('users.info')), 1, 'the Slack user was looked up once';
    is scalar(engine_calls('users')), 1, 'and matched by email once';

    # the identity is cached (24 h) and the channel user's Ed still gets buttons
    my ($ed_dm, $ed_ts) = dm_of($event, 'U0ED');
    is_deeply action_ids(message_at($ed_dm, $ed_ts)), [qw(sap_approve sap_reject sap_abstain sap_view)],
        "another approver's DM keeps its buttons";
    my $second = notify();
    click(dm_of($second, 'U0CY'), 'sap_approve', 'U0CY');
    is scalar(decisions($second)), 1, 'a second approval by the same user';
    is scalar(slack_calls('users.info')), 1, 'no new users.info: the identity came from the cache';
    is scalar(engine_calls('users')), 1, 'no new engine look-up either';
}

# ---- Reject: Slack's confirm dialog, then the decision -----------------------
{
    my $event = notify();
    my ($dm, $ts) = dm_of($event, 'U0ED');
    my $dismissed = slack_click(channel => $dm, ts => $ts, action_id => 'sap_reject', user => 'U0ED', confirm => JSON::PP::false);
    ok !$dismissed->{sent}, 'Reject dismissed in the confirm dialog: Slack sends nothing';
    is scalar(decisions($event)), 0, 'no decision';
    my $answer = click($dm, $ts, 'sap_reject', 'U0ED');
    is $answer->{status}, 200, 'Reject confirmed: 200';
    my @made = decisions($event);
    is_deeply [map { [$_->{account_id}, $_->{decision}] } @made], [['u-5', 'reject']], 'a rejection by Ed';
    like last_ephemeral('U0ED'), qr/You rejected \*Budget sign-off\*/, 'Ed is told';
}

# ---- Abstain on a channel message --------------------------------------------
{
    settings(delivery_mode => 'channel', default_channel => '#approvals');
    # a third approver keeps the step open after Ed's abstention and Cy's approval
    my $event = notify(rows => 2, approvers => ['u-3', 'u-5', 'u-9']);
    my ($channel, $ts) = channel_message_of($event);
    my $answer = click($channel, $ts, 'sap_abstain', 'U0ED');
    is $answer->{status}, 200, 'Abstain on the channel message: 200';
    is_deeply [map { [$_->{account_id}, $_->{decision}] } decisions($event)], [['u-5', 'abstain']], 'Ed abstained';
    like last_ephemeral('U0ED'), qr/You abstained \*Budget sign-off\*/, 'Ed is told, ephemerally';
    is_deeply action_ids(message_at($channel, $ts)), [qw(sap_approve sap_reject sap_abstain sap_view)],
        'the shared channel message keeps its buttons for the others';

    click($channel, $ts, 'sap_approve', 'U0CY');
    is scalar(decisions($event)), 2, 'Cy approves from the same channel message';
    my $again = click($channel, $ts, 'sap_reject', 'U0CY');
    is $again->{status}, 200, 'Cy then clicks Reject on it: 200';
    like last_ephemeral('U0CY'), qr/You already approved \*Budget sign-off\*.*nothing was changed/,
        '409: Cy is told the step already has her decision';
    is scalar(decisions($event)), 2, 'and nothing changed';

    my $approve_in_dm_too = notify(rows => 2);
    my ($c2, $t2) = channel_message_of($approve_in_dm_too);
    click($c2, $t2, 'sap_approve', 'U0DI');
    like last_ephemeral('U0DI'), qr/not authorised to decide \*Budget sign-off\*/, '403: Di is no approver';
    is scalar(decisions($approve_in_dm_too)), 0, 'nothing recorded';
    settings(delivery_mode => 'dm');
}

# ---- A required comment: the comment modal ---------------------------------
{
    my $event = notify(comment_required => 1);
    my ($dm, $ts) = dm_of($event, 'U0CY');
    my $answer = click($dm, $ts, 'sap_approve', 'U0CY');
    is $answer->{status}, 200, 'Approve on a step that requires a comment: 200';
    my @opened = slack_calls('views.open');
    ok $opened[-1]{response}{body}{ok}, 'views.open within the trigger window';
    my ($view) = slack_views(user => 'U0CY', state => 'open');
    is $view->{callback_id}, 'sap_decision', 'the comment modal is open';
    is $view->{title}{text}, 'Approve', 'titled Approve';
    is scalar(decisions($event)), 0, 'no decision before the modal is submitted';

    my $empty = slack_submit_view(view_id => $view->{id}, user => 'U0CY', answers => { comment => '   ' });
    is $empty->{status}, 200, 'an empty comment: 200';
    is_deeply $empty->{json}, { response_action => 'errors', errors => { sap_comment => 'Enter a comment: this step requires one.' } },
        'answered with response_action errors at the comment';
    is $empty->{view_state}, 'open', 'the modal stays open';
    my $good = slack_submit_view(view_id => $view->{id}, user => 'U0CY', answers => { comment => 'Numbers check out' });
    jobs_settled();
    is $good->{status}, 200, 'submitted with a comment: 200';
    is $good->{body}, '', 'an empty body closes the modal';
    is $good->{view_state}, 'closed', 'it closed';
    my @made = decisions($event);
    is_deeply [map { [$_->{decision}, $_->{comment}] } @made], [['approve', 'Numbers check out']], 'approved with the comment';
    like last_ephemeral('U0CY'), qr/You approved/, 'the clicker is told (response_url of the click)';
    is_deeply action_ids(message_at($dm, $ts)), ['sap_view'], 'the DM lost its buttons';

    my ($ed_dm, $ed_ts) = dm_of($event, 'U0ED');
    click($ed_dm, $ed_ts, 'sap_reject', 'U0ED');
    my ($reject_view) = slack_views(user => 'U0ED', state => 'open');
    is $reject_view->{title}{text}, 'Reject', 'Reject confirmed, then the comment modal titled Reject';
    slack_submit_view(view_id => $reject_view->{id}, user => 'U0ED', answers => { comment => 'Too high' });
    jobs_settled();
    is_deeply [map { [$_->{account_id}, $_->{decision}, $_->{comment}] } grep { $_->{account_id} eq 'u-5' } decisions($event)],
        [['u-5', 'reject', 'Too high']], 'rejected with the comment';

    my $cancel = notify(comment_required => 1);
    click(dm_of($cancel, 'U0ED'), 'sap_abstain', 'U0ED');
    my ($abstain_view) = slack_views(user => 'U0ED', state => 'open');
    is $abstain_view->{title}{text}, 'Abstain', 'Abstain opens the comment modal too';
    my $closed = slack_close_view(view_id => $abstain_view->{id}, user => 'U0ED');
    ok !$closed->{sent} || $closed->{status} == 200, 'the modal closed without submitting';
    jobs_settled();
    is scalar(decisions($cancel)), 0, 'closing the modal decides nothing';
}

# ---- Vote: single and multiple choice --------------------------------------
my @options = ({ id => 'o1', label => 'Ship it' }, { id => 'o2', label => 'Hold' }, { id => 'o3', label => 'Rework' });
{
    my $event = notify(kind => 'vote', options => \@options, required => 1);
    my ($dm, $ts) = dm_of($event, 'U0CY');
    is_deeply action_ids(message_at($dm, $ts)), [qw(sap_vote sap_view)], 'a vote step has a Vote button';
    click($dm, $ts, 'sap_vote', 'U0CY');
    my ($view) = slack_views(user => 'U0CY', state => 'open');
    is $view->{callback_id}, 'sap_vote', 'the vote modal is open';
    my ($input) = grep { $_->{type} eq 'input' } @{ $view->{blocks} };
    is $input->{element}{type}, 'radio_buttons', 'single choice: radio buttons';
    is_deeply [map { $_->{value} } @{ $input->{element}{options} }], [qw(o1 o2 o3)], "with the step's options";
    ok !grep({ $_->{block_id} && $_->{block_id} eq 'sap_comment' } @{ $view->{blocks} }), 'no comment field when not required';

    my $none = slack_submit_view(view_id => $view->{id}, user => 'U0CY', answers => {});
    is_deeply $none->{json}{errors}, { sap_vote_options => 'Choose an option to vote.' }, 'no option chosen: an error';
    is scalar(decisions($event)), 0, 'and no decision';
    my $good = slack_submit_view(view_id => $view->{id}, user => 'U0CY', answers => { options => 'o2' });
    jobs_settled();
    is $good->{view_state}, 'closed', 'a choice closes the modal';
    is_deeply [map { [$_->{decision}, $_->{votes}] } decisions($event)], [['vote', ['o2']]], 'the vote reached the engine';
    like last_ephemeral('U0CY'), qr/You voted \*Hold\* on \*Budget sign-off\*/, 'the voter is told, by label';
}
{
    my $event = notify(kind => 'vote', options => \@options, multiple => 1, required => 1, comment_required => 1);
    click(dm_of($event, 'U0ED'), 'sap_vote', 'U0ED');
    my ($view) = slack_views(user => 'U0ED', state => 'open');
    my ($choice) = grep { ($_->{block_id} // '') eq 'sap_vote_options' } @{ $view->{blocks} };
    is $choice->{element}{type}, 'checkboxes', 'multiple choice: checkboxes';
    ok grep({ ($_->{block_id} // '') eq 'sap_comment' } @{ $view->{blocks} }), 'a comment field when required';
    my $missing = slack_submit_view(view_id => $view->{id}, user => 'U0ED', answers => { options => ['o1', 'o3'] });
    is_deeply [sort keys %{ $missing->{json}{errors} // {} }], ['sap_comment'], 'options without the required comment: an error';
    slack_submit_view(view_id => $view->{id}, user => 'U0ED', answers => { options => ['o1', 'o3'], comment => 'Either' });
    jobs_settled();
    is_deeply [map { [$_->{votes}, $_->{comment}] } decisions($event)], [[['o1', 'o3'], 'Either']], 'two options and the comment';
}

{
    # the engine knows other options than the event showed: it refuses (400)
    my $event = notify(kind => 'vote', options => [ { id => 'o1', label => 'Ship it' } ], required => 1,
                       event => {});
    engine_control('POST', 'steps', { approval_id => $event->{approval}{id}, step_id => 'S-1', kind => 'vote',
        approvers => ['u-3', 'u-5'], required => 1, options => [ { id => 'o7', label => 'Other' } ],
        multiple => JSON::PP::false });
    click(dm_of($event, 'U0CY'), 'sap_vote', 'U0CY');
    my ($view) = slack_views(user => 'U0CY', state => 'open');
    slack_submit_view(view_id => $view->{id}, user => 'U0CY', answers => { options => 'o1' });
    jobs_settled();
    like last_ephemeral('U0CY'), qr/Jira refused your decision on \*Budget sign-off\* \(FIN-12\) \(invalid field: votes\), so nothing was recorded/,
        '400 from the engine: the clicker reads why';
    is scalar(decisions($event)), 0, 'nothing recorded';
}

{
    # more options than a modal can show (100 in a select): sent to the approval instead
    my @many = map { { id => "o$_", label => "Option $_" } } 1 .. 101;
    my $event = notify(kind => 'vote', options => \@many, required => 1);
    my $views = scalar slack_calls('views.open');
    click(dm_of($event, 'U0ED'), 'sap_vote', 'U0ED');
    is scalar(slack_calls('views.open')), $views, '101 options: no modal is opened';
    like last_ephemeral('U0ED'), qr/This step cannot be decided from Slack .* Please <https:[^|]+\|open the approval in Jira>/,
        'the voter is sent to the approval';
}

# ---- Delegates ---------------------------------------------------------------
{
    my $event = notify(recipients => [ recipient('u-3', 'Cy', person('u-4', 'Di')) ],
                       delegates => { 'u-3' => ['u-4'] }, required => 1);
    my ($dm, $ts) = dm_of($event, 'U0DI');
    click($dm, $ts, 'sap_approve', 'U0DI');
    my @made = decisions($event);
    is_deeply [map { [$_->{actor}{account_id}, $_->{on_behalf_of}{account_id}, $_->{decision}] } @made],
        [['u-4', 'u-3', 'approve']], "the delegate's approval reaches the engine on behalf of the approver";
    like last_ephemeral('U0DI'), qr/You approved \*Budget sign-off\* \(FIN-12\) on behalf of \*Cy\*/, 'the feedback names both';
    like blocks_json(message_at($dm, $ts)), qr/on behalf of \*Cy\*/, "the delegate's DM says so";

    my $modal = notify(recipients => [ recipient('u-3', 'Cy', person('u-4', 'Di')) ],
                       delegates => { 'u-3' => ['u-4'] }, required => 1, comment_required => 1);
    click(dm_of($modal, 'U0DI'), 'sap_reject', 'U0DI');
    my ($view) = slack_views(user => 'U0DI', state => 'open');
    like(JSON::PP->new->canonical->encode($view->{blocks}), qr/on behalf of \*Cy\*/, 'the modal names the approver');
    is decode_json($view->{private_metadata})->{d}, 'u-3', 'and carries the delegation in private_metadata';
    slack_submit_view(view_id => $view->{id}, user => 'U0DI', answers => { comment => 'For Cy: no' });
    jobs_settled();
    is_deeply [map { [$_->{actor}{account_id}, $_->{on_behalf_of}{account_id}, $_->{decision}, $_->{comment}] } decisions($modal)],
        [['u-4', 'u-3', 'reject', 'For Cy: no']], 'through the modal too';
}

# ---- Engine answers: 410, 5xx then success, 5xx until give-up -----------------
{
    my $event = notify(state => 'inactive');
    click(dm_of($event, 'U0CY'), 'sap_approve', 'U0CY');
    like last_ephemeral('U0CY'), qr/no longer active, so nothing was recorded/, '410: the step is no longer active';

    my $flaky = notify();
    engine_control('POST', 'inject', { endpoint => 'decisions', status => 503, times => 1 });
    my $before = scalar engine_calls('decisions');
    click(dm_of($flaky, 'U0CY'), 'sap_approve', 'U0CY');
    is scalar(engine_calls('decisions')) - $before, 2, '503 then 200: the module retried once';
    is scalar(decisions($flaky)), 1, 'one decision applied';
    like last_ephemeral('U0CY'), qr/You approved/, 'and the clicker is told it was applied';

    my $down = notify();
    engine_control('POST', 'inject', { endpoint => 'decisions', status => 500, times => -1 });
    $before = scalar engine_calls('decisions');
    my ($dm, $ts) = dm_of($down, 'U0ED');
    click($dm, $ts, 'sap_approve', 'U0ED');
    is scalar(engine_calls('decisions')) - $before, 4, '500 until give-up: four attempts';
    like last_ephemeral('U0ED'), qr/could not be recorded: Jira could not be reached\. Try again in a moment, or <https:\/\/jira\.example\.com\/browse\/FIN-12\|open the approval in Jira>/,
        'the clicker is told to try again or use the link';
    is_deeply action_ids(message_at($dm, $ts)), [qw(sap_approve sap_reject sap_abstain sap_view)], 'the DM keeps its buttons';
    is psql("SELECT state FROM sap_jobs WHERE kind = 'interaction.decide' ORDER BY id DESC LIMIT 1"), 'failed',
       'the job ended failed';
    engine_control('DELETE', 'inject');
    click($dm, $ts, 'sap_approve', 'U0ED');
    is scalar(decisions($down)), 1, 'clicking again once the engine is back applies it';
    like last_ephemeral('U0ED'), qr/You approved/, 'and says so';
}

# ---- A Slack user the engine does not know -----------------------------------
{
    my $event = notify(recipients => [ recipient('u-3', 'Cy'), recipient('u-5', 'Ed') ]);
    my ($dm, $ts) = dm_of($event, 'U0CY');
    my $before = scalar engine_calls('decisions');
    click($dm, $ts, 'sap_approve', 'U0ZED');
    like last_ephemeral('U0ZED'), qr/Your Slack account could not be matched to a Jira account/, 'unmatched: told so';
    is scalar(engine_calls('decisions')), $before, 'no decision was sent';
}

# ---- Double click and Slack's retry: one decision ---------------------------
{
    my $event = notify();
    my ($dm, $ts) = dm_of($event, 'U0CY');
    my $jobs = interaction_jobs();
    # both clicks happen before the first is applied (which removes the buttons)
    my @built = map { slack_click(channel => $dm, ts => $ts, action_id => 'sap_approve', user => 'U0CY',
                                  deliver => JSON::PP::false) } 1 .. 2;
    isnt $built[0]{payload}{trigger_id}, $built[1]{payload}{trigger_id}, 'two distinct clicks (trigger ids differ)';
    my ($first, $second) = map { slack_control('POST', 'send-slack', { url => interactions_url(), payload => $_->{payload} }) } @built;
    jobs_settled();
    is_deeply [$first->{status}, $second->{status}], [200, 200], 'a double click: both acknowledged';
    is interaction_jobs() - $jobs, 1, 'one job';
    is scalar(decisions($event)), 1, 'one decision';
    ok scalar(grep { /You approved/ } ephemerals("U0CY")) >= 1, "feedback given";

    my $retry_event = notify();
    my ($rdm, $rts) = dm_of($retry_event, 'U0ED');
    my $sent = slack_click(channel => $rdm, ts => $rts, action_id => 'sap_approve', user => 'U0ED');
    jobs_settled();
    $jobs = interaction_jobs();
    my $retry = slack_control('POST', 'send-slack', { url => interactions_url(), body => $sent->{request}{body},
        content_type => 'application/x-www-form-urlencoded',
        headers => { 'X-Slack-Retry-Num' => '1', 'X-Slack-Retry-Reason' => 'http_timeout' } });
    jobs_settled();
    is $retry->{status}, 200, "Slack's retry of the same payload: 200";
    is interaction_jobs(), $jobs, 'no new job';
    is scalar(decisions($retry_event)), 1, 'still one decision';
}

# ---- Link buttons: acknowledged, nothing else --------------------------------
{
    my $links = notify(event => { options => { actions_without_login => JSON::PP::false, action_buttons => JSON::PP::true } });
    my ($dm, $ts) = dm_of($links, 'U0CY');
    is_deeply action_ids(message_at($dm, $ts)), [qw(sap_view_approve sap_view_reject sap_view_abstain sap_view)],
        'actions without login off: URL buttons';
    my $jobs = interaction_jobs();
    my $answer = click($dm, $ts, 'sap_view_approve', 'U0CY');
    is $answer->{status}, 200, 'a URL button click: 200';
    is interaction_jobs(), $jobs, 'no decision job';
    is scalar(decisions($links)), 0, 'no decision';

    my $only_view = notify(event => { options => { actions_without_login => JSON::PP::true, action_buttons => JSON::PP::false } });
    my ($vdm, $vts) = dm_of($only_view, 'U0CY');
    is_deeply action_ids(message_at($vdm, $vts)), ['sap_view'], 'action buttons off: only View approval';
    is click($vdm, $vts, 'sap_view', 'U0CY')->{status}, 200, 'its click: 200';
    is interaction_jobs(), $jobs, 'nothing queued';
}

# ---- The trigger window ---------------------------------------------------------
{
    my $event = notify(kind => 'vote', options => \@options, required => 1);
    slack_control('POST', 'config', { trigger_ttl_ms => 0 });
    click(dm_of($event, 'U0CY'), 'sap_vote', 'U0CY');
    slack_control('POST', 'config', { trigger_ttl_ms => 3000 });
    my @opened = slack_calls('views.open');
    is $opened[-1]{response}{body}{error}, 'expired_trigger_id', 'views.open after the trigger expired';
    like last_ephemeral('U0CY'), qr/could not be opened in time\. Please click the button again/, 'the clicker is asked to click again';
}

# ---- Bad requests: each answered, nothing changed ------------------------------
sub raw_post {
    my ($body, %opt) = @_;
    my @headers = ('Content-Type' => $opt{type} // 'application/x-www-form-urlencoded');
    push @headers, sign_headers(body => $body, %{ $opt{sign} // {} }) unless $opt{unsigned};
    push @headers, @{ $opt{headers} } if $opt{headers};
    return LWP::UserAgent->new(timeout => 30)->request(HTTP::Request->new(POST => interactions_url(), \@headers, $body));
}
sub form_of { my ($payload) = @_; my $json = encode_json($payload); $json =~ s/([^A-Za-z0-9\-_.])/sprintf '%%%02X', ord $1/ge; return "payload=$json" }
{
    my $event = notify();
    my ($dm, $ts) = dm_of($event, 'U0CY');
    my $built = slack_click(channel => $dm, ts => $ts, action_id => 'sap_approve', user => 'U0CY', deliver => JSON::PP::false);
    my $payload = $built->{payload};
    my $body = form_of($payload);
    my $jobs = interaction_jobs();
    my $state = sub { [interaction_jobs(), scalar decisions($event)] };
    my $before = $state->();

    is raw_post($body, sign => { secret => 'not-the-secret' })->code, 401, 'wrong signature: 401';
    is raw_post($body, sign => { ts => time - 360 })->code, 401, 'timestamp 6 minutes old: 401';
    is raw_post($body, sign => { ts => time + 360 })->code, 401, 'timestamp 6 minutes ahead: 401';
    is raw_post($body, unsigned => 1)->code, 401, 'no signature headers: 401';
    is raw_post($body, unsigned => 1, headers => [ 'X-Slack-Request-Timestamp' => time ])->code, 401, 'a timestamp but no signature: 401';
    my $big = raw_post('payload=' . ('A' x (600 * 1024)));
    is $big->code, 413, '600 KB body: 413';
    my $json_body = raw_post(encode_json($payload), type => 'application/json');
    is $json_body->code, 400, 'JSON instead of a form: 400';
    like $json_body->content, qr/invalid_content_type/, 'says what is wrong';
    my $no_payload = raw_post('token=abc&type=block_actions');
    is $no_payload->code, 400, 'a form without payload: 400';
    like $no_payload->content, qr/invalid_form/, 'says invalid_form';
    my $not_json = raw_post('payload=%7Bnot+json');
    is $not_json->code, 400, 'a payload that is not JSON: 400';
    like $not_json->content, qr/invalid_json/, 'says invalid_json';
    is_deeply $state->(), $before, 'none of them changed anything';

    my %unknown = %$payload;
    $unknown{actions} = [ { %{ $payload->{actions}[0] }, action_id => 'sap_delete_everything' } ];
    my $odd = raw_post(form_of(\%unknown));
    jobs_settled();
    is $odd->code, 200, 'an unknown action id: 200';
    like last_ephemeral('U0CY'), qr/This action is not supported\./, 'with an ephemeral "not supported"';
    my $submission = { type => 'view_submission', team => { id => $TEAM, domain => 'click' },
                       user => { id => 'U0CY', team_id => $TEAM }, view => { id => 'V0NOPE', callback_id => 'someone_elses_modal',
                       private_metadata => '', state => { values => {} } } };
    my $other = raw_post(form_of($submission));
    is $other->code, 200, 'an unknown callback id: 200';
    is $other->content, '', 'with an empty body (the modal closes)';
    my $closed = raw_post(form_of({ type => 'view_closed', team => { id => $TEAM }, user => { id => 'U0CY' },
                                    view => { id => 'V0NOPE', callback_id => 'sap_vote' }, is_cleared => JSON::PP::false }));
    is $closed->code, 200, 'view_closed: 200';
    is_deeply $state->(), $before, 'still no decision job and no decision';
    my $signed_ok = raw_post($body);
    jobs_settled();
    is $signed_ok->code, 200, 'the same payload correctly signed: 200';
    is scalar(decisions($event)), 1, 'is the one that decides';
}

# ---- Revoked workspace: no identity, told via response_url ---------------------
{
    my $event = notify();
    my ($dm, $ts) = dm_of($event, 'U0ED');
    my $built = slack_click(channel => $dm, ts => $ts, action_id => 'sap_approve', user => 'U0ED', deliver => JSON::PP::false);
    psql("UPDATE sap_connections SET status = 'revoked'");
    my $flush = admin_request('DELETE', '/admin/api/diagnostics/cache', headers => ['Content-Type' => 'application/json']);
    my $sent = slack_control('POST', 'send-slack', { url => interactions_url(), payload => $built->{payload} });
    jobs_settled();
    is $sent->{status}, 200, 'a click for a revoked workspace: 200';
    like last_ephemeral('U0ED'), qr/could not be recorded: this Slack workspace is no longer connected to Jira/, 'the clicker is told, through the response_url';
    is scalar(decisions($event)), 0, 'no decision without an identity';
    psql("UPDATE sap_connections SET status = 'active'");
    admin_request('DELETE', '/admin/api/diagnostics/cache', headers => ['Content-Type' => 'application/json']);
}

# ---- Abstain in a DM, Vote on a channel message ----------------------------------
{
    my $event = notify();
    my ($dm, $ts) = dm_of($event, 'U0ED');
    click($dm, $ts, 'sap_abstain', 'U0ED');
    is_deeply [map { [$_->{account_id}, $_->{decision}] } decisions($event)], [['u-5', 'abstain']], 'Abstain in a DM';
    is_deeply action_ids(message_at($dm, $ts)), ['sap_view'], 'that DM loses its buttons';

    settings(delivery_mode => 'channel', default_channel => '#approvals');
    my $vote = notify(kind => 'vote', options => \@options, required => 2, rows => 2);
    my ($channel, $cts) = channel_message_of($vote);
    click($channel, $cts, 'sap_vote', 'U0ED');
    my ($view) = slack_views(user => 'U0ED', state => 'open');
    is $view->{callback_id}, 'sap_vote', 'Vote on the channel message opens the vote modal';
    slack_submit_view(view_id => $view->{id}, user => 'U0ED', answers => { options => 'o3' });
    jobs_settled();
    is_deeply [map { [$_->{account_id}, $_->{votes}] } decisions($vote)], [['u-5', ['o3']]], 'the vote is recorded';
    like last_ephemeral('U0ED'), qr/You voted \*Rework\*/, 'Ed is told';
    is_deeply action_ids(message_at($channel, $cts)), [qw(sap_vote sap_view)], 'the channel message keeps its Vote button';
    settings(delivery_mode => 'dm');
}

# ---- The response_url fails: chat.postEphemeral instead --------------------------
{
    my $event = notify();
    my ($dm, $ts) = dm_of($event, 'U0CY');
    slack_control('POST', 'inject', { method => 'response_url', status => 500, times => -1 });
    my $before = scalar slack_calls('chat.postEphemeral');
    click($dm, $ts, 'sap_approve', 'U0CY');
    slack_control('DELETE', 'inject');
    my @ephemeral = slack_calls('chat.postEphemeral');
    is scalar(@ephemeral) - $before, 1, 'the feedback went by chat.postEphemeral';
    is_deeply [@{ $ephemeral[-1]{args} }{qw(channel user)}], [$dm, 'U0CY'], 'to the clicker, in the DM';
    like $ephemeral[-1]{args}{text}, qr/You approved/, 'saying it was applied';
}

# ---- views.open meets a revoked token: the connection is marked --------------
{
    my $event = notify(comment_required => 1);
    my ($dm, $ts) = dm_of($event, 'U0CY');
    slack_control('POST', 'tokens/revoke', { token => $TOKEN });
    my $answer = click($dm, $ts, 'sap_approve', 'U0CY');
    is $answer->{status}, 200, 'a click whose modal cannot open: 200';
    is psql("SELECT status FROM sap_connections WHERE team_id = '$TEAM'"), 'revoked',
       'token_revoked from views.open marks the connection';
    like last_ephemeral('U0CY'), qr/this Slack workspace is no longer connected to Jira/,
        'the clicker is told the workspace is disconnected, through the response_url';
}
