# Token key rotation: a token stored under the old SlackApprovalsTokenKeyFile
# is unreadable under a new key alone (with a clear message), readable with
# SlackApprovalsTokenPreviousKeyFile, and re-encrypted under the new key on
# first use. Second httpds share the suite's database.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request;
use MIME::Base64 ();
use lib 't/lib';
use SAP::Test qw(psql);
use SAP::Httpd;
use SAP::Slack qw(slack_control slack_reset install_team redirect_query reset_connections);

plan tests => 12;

reset_connections();
slack_reset();
my ($res) = install_team('T0KEY00001', 'Keys');
is redirect_query($res)->{slack_install}, 'ok', 'a workspace installed under the current key';
my ($id, $old_version) = split /\|/, psql("SELECT id || '|' || token_key_version FROM sap_connections");
my $old_blob = psql('SELECT encode(token_ciphertext, \'hex\') FROM sap_connections');
slack_control('POST', 'channels', {id => 'C0KEYS0001', team_id => 'T0KEY00001', name => 'keys'});

my $new_key = "$ENV{SAP_RUN_DIR}/token_key_new";
system("umask 077; openssl rand -hex 32 > '$new_key'") == 0 or die "openssl rand failed\n";
my $admin = <<"CONF";
<Location /slack-approvals/admin>
    AuthType Basic
    AuthName "admin"
    AuthBasicProvider file
    AuthUserFile $ENV{SAP_HTPASSWD}
    Require valid-user
</Location>
CONF

sub send_test {
    my ($server) = @_;
    my $req = HTTP::Request->new(POST => 'http://127.0.0.1:' . $server->port . "/slack-approvals/admin/api/connections/$id/test",
        ['Content-Type' => 'application/json',
         Authorization => 'Basic ' . MIME::Base64::encode_base64('admin:' . ($ENV{SAP_ADMIN_PASSWORD} // 'admin-password'), '')],
        encode_json({channel => 'C0KEYS0001'}));
    my $answer = LWP::UserAgent->new(timeout => 30)->request($req);
    return ($answer->code, eval { decode_json($answer->content) } // {});
}

# ---- the new key alone -----------------------------------------------------------
{
    my $server = SAP::Httpd->new(name => 'key-new-only', extra => "SlackApprovalsTokenKeyFile $new_key\n$admin");
    $server->start;
    my ($code, $body) = send_test($server);
    is $code, 409, 'a new key alone cannot read the stored token: 409';
    like $body->{message}, qr/encrypted under another key \(version $old_version\)/, 'the message names the key version';
    like $body->{message}, qr/SlackApprovalsTokenPreviousKeyFile/, 'and says how to rotate';
    is psql('SELECT encode(token_ciphertext, \'hex\') FROM sap_connections'), $old_blob, 'the stored token is untouched';
    $server->stop;
}

# ---- the new key with the old one as previous -------------------------------------
{
    my $server = SAP::Httpd->new(name => 'key-rotated', extra => "SlackApprovalsTokenKeyFile $new_key\n"
                                 . "SlackApprovalsTokenPreviousKeyFile $ENV{SAP_TEST_SECRETS}/token_key\n$admin");
    $server->start;
    my ($code) = send_test($server);
    is $code, 200, 'with the previous key configured the token is read';
    my ($version, $blob) = split /\|/, psql("SELECT token_key_version || '|' || encode(token_ciphertext, 'hex') FROM sap_connections");
    isnt $version, $old_version, 'the token was re-encrypted under the new key (its version is stored)';
    isnt $blob, $old_blob, 'the ciphertext changed';
    like $server->error_log, qr/token of workspace T0KEY00001 re-encrypted under key version $version/,
         'the rotation is logged';
    $server->stop;

    my $after = SAP::Httpd->new(name => 'key-new-after', extra => "SlackApprovalsTokenKeyFile $new_key\n$admin");
    $after->start;
    ($code) = send_test($after);
    is $code, 200, 'afterwards the new key alone reads it';
    $after->stop;
}

# ---- tampering --------------------------------------------------------------------
{
    psql("UPDATE sap_connections SET token_ciphertext = set_byte(token_ciphertext, 20, get_byte(token_ciphertext, 20) # 1)");
    my $server = SAP::Httpd->new(name => 'key-tampered', extra => "SlackApprovalsTokenKeyFile $new_key\n$admin");
    $server->start;
    my ($code, $body) = send_test($server);
    is $code, 409, 'a tampered ciphertext is refused';
    like $body->{message}, qr/does not decrypt/, 'with a message saying so';
    $server->stop;
}
