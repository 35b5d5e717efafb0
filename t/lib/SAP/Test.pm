package SAP::Test;
# Helpers shared by the Apache::Test suite: the environment scripts/test.sh
# exports, signing like Slack and the engine, the database, admin requests.
use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use Apache::Test;
use Apache::TestRequest ();

our @EXPORT_OK = qw(secret sign_headers psql psql_rows admin_request json_of
                    wait_until base_url module_path db_params run_command);

sub secrets_dir { $ENV{SAP_TEST_SECRETS} or die "SAP_TEST_SECRETS unset: run through make test\n" }

sub db_params { $ENV{SAP_TEST_DBPARAMS} or die "SAP_TEST_DBPARAMS unset: run through make test\n" }

# A secret file's content without its trailing newline (as the module reads it).
sub secret {
    my ($name) = @_;
    open my $fh, '<', secrets_dir() . "/$name" or die "cannot read secret $name: $!";
    local $/;
    my $value = <$fh>;
    $value =~ s/\r?\n\z//;
    return $value;
}

# Headers of a request signed as Slack (or the engine) signs it: v0 HMAC over
# "v0:ts:body". $ts defaults to now.
sub sign_headers {
    my (%args) = @_;
    my $ts = $args{ts} // time;
    my $key = $args{secret} // secret($args{engine} ? 'engine_secret' : 'signing_secret');
    my $sig = 'v0=' . hmac_sha256_hex("v0:$ts:$args{body}", $key);
    return $args{engine}
        ? ('X-Approvals-Request-Timestamp' => $ts, 'X-Approvals-Signature' => $sig)
        : ('X-Slack-Request-Timestamp' => $ts, 'X-Slack-Signature' => $sig);
}

# Runs SQL through psql; returns the output (unaligned, tuples only).
sub psql {
    my ($sql) = @_;
    my @cmd = ('psql', db_params(), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', $sql);
    open my $out, '-|', @cmd or die "psql: $!";
    local $/;
    my $text = <$out> // '';
    close $out or die "psql failed ($?) for: $sql\n";
    $text =~ s/\s+\z//;
    return $text;
}

# Rows as arrays of columns ('|'-separated by psql -A).
sub psql_rows {
    my ($sql) = @_;
    return map { [split /\|/, $_, -1] } grep { length } split /\n/, psql($sql);
}

sub module_path { '/slack-approvals' }

sub base_url {
    my $cfg = Apache::Test::config();
    return 'http://' . $cfg->{vars}{servername} . ':' . $cfg->{vars}{port};
}

# An admin API call with the test's Basic credentials; JSON bodies for writes.
sub admin_request {
    my ($method, $path, %opt) = @_;
    my @headers = (Authorization => 'Basic ' . _b64('admin:' . ($ENV{SAP_ADMIN_PASSWORD} // 'admin-password')));
    push @headers, @{ $opt{headers} } if $opt{headers};
    my $url = module_path() . $path;
    if (defined $opt{json}) {
        push @headers, 'Content-Type' => 'application/json';
        return Apache::TestRequest::user_agent()->request(
            HTTP::Request->new($method, base_url() . $url, [@headers], encode_json($opt{json})));
    }
    return Apache::TestRequest::user_agent()->request(
        HTTP::Request->new($method, base_url() . $url, [@headers], $opt{body}));
}

sub _b64 {
    require MIME::Base64;
    return MIME::Base64::encode_base64($_[0], '');
}

sub json_of {
    my ($res) = @_;
    my $data = eval { decode_json($res->content) };
    return $data // {};
}

# Runs a command with no input; returns (exit code, stdout and stderr
# together). A signal death counts as 128 + the signal number.
sub run_command {
    my (@cmd) = @_;
    require POSIX;
    my $pid = open(my $out, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        open STDIN, '<', '/dev/null' or POSIX::_exit(126);
        exec @cmd or POSIX::_exit(127);
    }
    local $/;
    my $text = <$out> // '';
    close $out;
    my $rc = $? == -1 ? -1 : $? & 127 ? 128 + ($? & 127) : $? >> 8;
    return ($rc, $text);
}

# Polls $check every 100 ms until it returns true or $seconds pass.
sub wait_until {
    my ($seconds, $check) = @_;
    my $until = time + $seconds;
    while (time < $until) {
        return 1 if $check->();
        select undef, undef, undef, 0.1;
    }
    return $check->() ? 1 : 0;
}

1;
