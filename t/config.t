# Startup validation through the real httpd binary (DESIGN section 3): each
# case writes a small complete httpd config and runs `apache2 -t` on it (or
# `apache2 -k start` for what only startup can detect). A valid config says
# "Syntax OK"; every broken one exits non-zero with a message that names the
# directive and the problem; no secret ever shows up in the output.
use strict;
use warnings FATAL => 'all';
use Test::More;
use File::Path qw(make_path);
use IO::Socket::INET;
use POSIX ();
use lib "t/lib";
use SAP::Test qw(run_command);

my $HTTPD = $ENV{SAP_HTTPD} // '/usr/sbin/apache2';
my $top = $ENV{SAP_TOP} or plan skip_all => 'SAP_TOP unset: run through make test';
my $run_dir = $ENV{SAP_RUN_DIR} or plan skip_all => 'SAP_RUN_DIR unset: run through make test';
my $so = $ENV{SAP_MODULE_SO} or plan skip_all => 'SAP_MODULE_SO unset: run through make test';
my $dbparams = $ENV{SAP_TEST_DBPARAMS} or plan skip_all => 'SAP_TEST_DBPARAMS unset';
-x $HTTPD or plan skip_all => "$HTTPD not installed";

my $dir = "$run_dir/config-t";
make_path("$dir/secrets", "$dir/logs");
chmod 0755, $dir;

# ---- secret files -------------------------------------------------------

my @secret_values;    # every secret byte string written; none may be printed

sub random_bytes {
    my ($n) = @_;
    open my $fh, '<:raw', '/dev/urandom' or die "urandom: $!";
    read($fh, my $bytes, $n) == $n or die "short read from /dev/urandom";
    return $bytes;
}

sub random_hex { unpack 'H*', random_bytes($_[0]) }

# Writes $content (bytes) to secrets/$name and remembers what must never be
# printed: the content without its newline, and its hex form.
sub write_secret {
    my ($name, $content) = @_;
    my $path = "$dir/secrets/$name";
    open my $fh, '>:raw', $path or die "$path: $!";
    print {$fh} $content;
    close $fh or die "$path: $!";
    chmod 0600, $path;
    (my $value = $content) =~ s/\r?\n\z//;
    push @secret_values, $value, unpack('H*', $value) if length $value >= 8;
    return $path;
}

# A raw 32-byte key that is certainly not all hex digits.
sub raw_key {
    my ($last) = @_;
    my $key = random_bytes(32);
    substr($key, 0, 1) = "\xff";
    substr($key, 31, 1) = $last if defined $last;
    return $key;
}

my $client_secret = random_hex(24);
my $signing_secret = random_hex(16);
my $token_key_hex = random_hex(32);
my $engine_token = random_hex(20);
my $engine_secret = random_hex(16);
my %file = (
    client_secret  => write_secret('client_secret', "$client_secret\n"),
    signing_secret => write_secret('signing_secret', "$signing_secret\n"),
    token_key      => write_secret('token_key', "$token_key_hex\n"),
    engine_token   => write_secret('engine_token', "$engine_token\n"),
    engine_secret  => write_secret('engine_secret', "$engine_secret\n"),
    empty          => write_secret('empty', ''),
    newline_only   => write_secret('newline_only', "\n"),
    key_raw        => write_secret('key_raw', raw_key()),
    key_raw_nl     => write_secret('key_raw_nl', raw_key("\n")),
    key_31         => write_secret('key_31', substr(raw_key(), 0, 31)),
    key_63_hex     => write_secret('key_63_hex', substr(random_hex(32), 0, 63) . "\n"),
    key_64_nonhex  => write_secret('key_64_nonhex',
                                   join('', map { ('g' .. 'z')[ord($_) % 20] } split //, random_bytes(64))
                                   . "\n"),
    key_64_hex_crlf => write_secret('key_64_hex_crlf', random_hex(32) . "\r\n"),
);
my $missing = "$dir/secrets/does-not-exist";
my $a_directory = "$dir/secrets/a-directory";
make_path($a_directory);

# ---- configs ------------------------------------------------------------

sub free_port {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
        or die "no free port: $!";
    return $sock->sockport;
}

# The SlackApprovals* directives of a valid configuration, in order.
my @DIRECTIVES = qw(SlackApprovals SlackApprovalsPublicURL SlackApprovalsClientID
    SlackApprovalsClientSecretFile SlackApprovalsSigningSecretFile SlackApprovalsTokenKeyFile
    SlackApprovalsTokenPreviousKeyFile SlackApprovalsSlackAPI SlackApprovalsSlackAuthorizeURL SlackApprovalsEngineURL
    SlackApprovalsEngineTokenFile SlackApprovalsEngineSecretFile SlackApprovalsMailRelay
    SlackApprovalsMailFrom SlackApprovalsCache SlackApprovalsWorkers SlackApprovalsHistoryDays
    SlackApprovalsAllowInsecureHTTP);

my %VALID = (
    SlackApprovals                  => 'On',
    SlackApprovalsPublicURL         => 'https://approvals.example.com/slack-approvals',
    SlackApprovalsClientID          => '1111.2222',
    SlackApprovalsClientSecretFile  => $file{client_secret},
    SlackApprovalsSigningSecretFile => $file{signing_secret},
    SlackApprovalsTokenKeyFile      => $file{token_key},
    SlackApprovalsSlackAPI          => 'https://slack.com/api',
    SlackApprovalsSlackAuthorizeURL => 'https://slack.com/oauth/v2/authorize',
    SlackApprovalsEngineURL         => 'https://jira.example.com/rest/approvals/1.0',
    SlackApprovalsEngineTokenFile   => $file{engine_token},
    SlackApprovalsEngineSecretFile  => $file{engine_secret},
    SlackApprovalsMailRelay         => 'smtp://127.0.0.1:25',
    SlackApprovalsMailFrom          => 'approvals@example.com',
    SlackApprovalsCache             => 'shmcb',
    SlackApprovalsWorkers           => '4',
    SlackApprovalsHistoryDays       => '30',
    SlackApprovalsAllowInsecureHTTP => 'Off',
);

my $case_no = 0;

# Writes a config: %VALID with $opt{set} applied (undef drops a directive),
# $opt{head} lines before and $opt{extra} lines after the SlackApprovals*
# directives. Returns the case directory and the file.
# t/conf/modules.conf less the lines matching $drop, plus @add.
sub modules_variant {
    my ($case, $drop, @add) = @_;
    open my $in, '<', "$top/t/conf/modules.conf" or die "modules.conf: $!";
    my $path = "$case/modules-variant.conf";
    open my $out, '>', $path or die "$path: $!";
    print {$out} grep({ !/$drop/ } <$in>), map { "$_\n" } @add;
    close $out or die "$path: $!";
    return $path;
}

sub write_config {
    my (%opt) = @_;
    my %set = (%VALID, %{ $opt{set} || {} });
    my $case = sprintf '%s/case%02d', $dir, ++$case_no;
    make_path($case);
    chmod 0755, $case;
    my $port = free_port();
    my $modules = $opt{without_dbd} ? modules_variant($case, qr/dbd_module/)
                : $opt{prefork} ? modules_variant($case, qr/mpm_event_module/,
                      'LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so')
                : "$top/t/conf/modules.conf";
    my $database = $opt{without_dbd} ? '' : qq{DBDriver pgsql\nDBDParams "@{[ $opt{dbparams} // $dbparams ]}"};
    my $conf = <<"CONF";
# config.t case $case_no: $opt{name}
Include "$modules"
LoadModule slack_approvals_module "$so"
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$case/httpd.pid"
ErrorLog "$case/error_log"
DefaultRuntimeDir "$case"
TypesConfig /etc/mime.types
$database
CONF
    $conf .= join '', map { "$_\n" } @{ $opt{head} || [] };
    for my $name (@DIRECTIVES) {
        next unless defined $set{$name};
        $conf .= qq{$name "$set{$name}"\n};
    }
    $conf .= join '', map { "$_\n" } @{ $opt{extra} || [] };
    my $path = "$case/httpd.conf";
    open my $fh, '>', $path or die "$path: $!";
    print {$fh} $conf;
    close $fh or die "$path: $!";
    return ($case, $path);
}

my @outputs;    # everything httpd printed or logged, checked for secrets at the end

# Runs httpd with @args; returns (exit code, stdout+stderr).
sub run_httpd {
    my (@args) = @_;
    my ($rc, $text) = run_command($HTTPD, @args);
    push @outputs, $text;
    return ($rc, $text);
}

sub check_config { my (undef, $path) = write_config(@_); return run_httpd('-t', '-f', $path) }

sub passes {
    my ($name, %opt) = @_;
    my ($rc, $out) = check_config(name => $name, %opt);
    ok($rc == 0 && $out =~ /^Syntax OK$/m, "passes: $name") or diag "exit $rc:\n$out";
}

# Fails with a message that matches every regex in @$expect.
sub fails {
    my ($name, $expect, %opt) = @_;
    my ($rc, $out) = check_config(name => $name, %opt);
    my @missing = grep { $out !~ $_ } @$expect;
    ok($rc != 0 && $out !~ /Syntax OK/ && !@missing, "fails: $name")
        or diag "exit $rc, expected " . join(', ', @missing) . " in:\n$out";
}

# ---- valid configurations -----------------------------------------------

passes('a complete valid configuration');
passes('SlackApprovals Off with nothing else',
       set => { map { $_ => undef } @DIRECTIVES }, extra => ['SlackApprovals Off']);
passes('optional directives left out (defaults)',
       set => { map { $_ => undef } qw(SlackApprovalsSlackAPI SlackApprovalsSlackAuthorizeURL
           SlackApprovalsMailRelay SlackApprovalsMailFrom SlackApprovalsCache SlackApprovalsWorkers
           SlackApprovalsHistoryDays SlackApprovalsAllowInsecureHTTP) });
passes('a secret file path relative to ServerRoot',
       set => { SlackApprovalsClientSecretFile => 'secrets/client_secret' });
passes('the cache mutex is registered for httpd\'s Mutex directive',
       extra => ["Mutex file:$ENV{SAP_RUN_DIR} slack-approvals-cache"]);
fails('an unregistered mutex name is refused (the check above means something)',
      [qr/slack-approvals-kache/], extra => ["Mutex file:$ENV{SAP_RUN_DIR} slack-approvals-kache"]);
passes('token key: 32 raw bytes', set => { SlackApprovalsTokenKeyFile => $file{key_raw} });
passes('token key: 32 raw bytes, the last one a newline',
       set => { SlackApprovalsTokenKeyFile => $file{key_raw_nl} });
passes('token key: 64 hex characters and a newline');   # %VALID's key file
passes('token key: 64 hex characters and CRLF',
       set => { SlackApprovalsTokenKeyFile => $file{key_64_hex_crlf} });
passes('a previous token key for rotation (32 raw bytes)',
       set => { SlackApprovalsTokenPreviousKeyFile => $file{key_raw} });
fails('a previous token key that is not a key',
      [qr/SlackApprovalsTokenPreviousKeyFile: \Q$file{key_31}\E holds 31 bytes; expected 32 raw bytes or 64 hex/],
      set => { SlackApprovalsTokenPreviousKeyFile => $file{key_31} });
fails('a previous token key file that does not exist',
      [qr/SlackApprovalsTokenPreviousKeyFile: cannot read \Q$dir\E\/no-such-key/],
      set => { SlackApprovalsTokenPreviousKeyFile => "$dir/no-such-key" });
passes('SlackApprovalsWorkers 1 and 64, SlackApprovalsHistoryDays 1',
       set => { SlackApprovalsWorkers => 1, SlackApprovalsHistoryDays => 1 },
       extra => ['SlackApprovalsWorkers 64']);
passes('smtps:// mail relay', set => { SlackApprovalsMailRelay => 'smtps://mail.example.com:465' });

# ---- required directives --------------------------------------------------

for my $directive (qw(SlackApprovalsPublicURL SlackApprovalsClientID SlackApprovalsClientSecretFile
                      SlackApprovalsSigningSecretFile SlackApprovalsTokenKeyFile
                      SlackApprovalsEngineURL SlackApprovalsEngineTokenFile
                      SlackApprovalsEngineSecretFile)) {
    fails("$directive missing", [qr/\Q$directive\E: is required when SlackApprovals is On/],
          set => { $directive => undef });
}
fails('a required directive missing in an enabled <VirtualHost>',
      [qr/SlackApprovalsEngineURL: is required when SlackApprovals is On \(in the <VirtualHost> at /],
      set => { map { $_ => undef } @DIRECTIVES },
      extra => ['<VirtualHost 127.0.0.1:*>', 'ServerName vhost.example.com',
                map({ qq{$_ "$VALID{$_}"} } grep { $_ ne 'SlackApprovalsEngineURL' && defined $VALID{$_} } @DIRECTIVES),
                '</VirtualHost>']);

# ---- secret files -----------------------------------------------------------

fails('a missing secret file', [qr/SlackApprovalsClientSecretFile: cannot read \Q$missing\E: /],
      set => { SlackApprovalsClientSecretFile => $missing });
fails('an unreadable secret file (a directory)',
      [qr/SlackApprovalsEngineTokenFile: cannot read \Q$a_directory\E: /],
      set => { SlackApprovalsEngineTokenFile => $a_directory });
fails('an empty secret file', [qr/SlackApprovalsSigningSecretFile: \Q$file{empty}\E is empty/],
      set => { SlackApprovalsSigningSecretFile => $file{empty} });
fails('a secret file holding only a newline',
      [qr/SlackApprovalsEngineSecretFile: \Q$file{newline_only}\E is empty/],
      set => { SlackApprovalsEngineSecretFile => $file{newline_only} });
fails('an empty token key file', [qr/SlackApprovalsTokenKeyFile: \Q$file{empty}\E is empty/],
      set => { SlackApprovalsTokenKeyFile => $file{empty} });
fails('token key: 31 bytes',
      [qr/SlackApprovalsTokenKeyFile: \Q$file{key_31}\E holds 31 bytes; expected 32 raw bytes or 64 hex/],
      set => { SlackApprovalsTokenKeyFile => $file{key_31} });
fails('token key: 63 hex characters',
      [qr/SlackApprovalsTokenKeyFile: \Q$file{key_63_hex}\E holds 63 hex characters; expected 32 raw/],
      set => { SlackApprovalsTokenKeyFile => $file{key_63_hex} });
fails('token key: 64 characters that are not hex',
      [qr/SlackApprovalsTokenKeyFile: \Q$file{key_64_nonhex}\E holds 64 characters that are not all hex/],
      set => { SlackApprovalsTokenKeyFile => $file{key_64_nonhex} });
fails('token key: a secret, not a key',
      [qr/SlackApprovalsTokenKeyFile: \Q$file{signing_secret}\E holds 32 hex characters; expected/],
      set => { SlackApprovalsTokenKeyFile => $file{signing_secret} });

# ---- URLs -------------------------------------------------------------------

fails('a malformed URL', [qr/SlackApprovalsPublicURL: the URL must start with http:\/\/ or https:\/\//],
      set => { SlackApprovalsPublicURL => 'approvals.example.com' });
fails('a URL without a host', [qr/SlackApprovalsEngineURL: the URL has no host/],
      set => { SlackApprovalsEngineURL => 'https:///approvals' });
fails('a URL with a bad port', [qr/SlackApprovalsSlackAPI: the URL has an invalid port/],
      set => { SlackApprovalsSlackAPI => 'https://slack.com:99999/api' });
fails('a URL with an invalid host', [qr/SlackApprovalsEngineURL: the URL has an invalid host/],
      set => { SlackApprovalsEngineURL => 'https://jira!example.com' });
fails('a URL with a space', [qr/SlackApprovalsSlackAuthorizeURL: .* must not contain spaces/],
      set => { SlackApprovalsSlackAuthorizeURL => 'https://slack.com/oauth v2' });
fails('a public URL with a query string', [qr/SlackApprovalsPublicURL: .* must not have a query string/],
      set => { SlackApprovalsPublicURL => 'https://approvals.example.com/s?x=1' });

my $url_password = 'pw' . random_hex(8);
fails('a URL with user:pass@', [qr/SlackApprovalsEngineURL: .*must not contain credentials/],
      set => { SlackApprovalsEngineURL => "https://svc:$url_password\@jira.example.com/approvals" });
unlike($outputs[-1], qr/\Q$url_password\E/, 'the refused URL\'s password is not echoed');

for my $directive (qw(SlackApprovalsPublicURL SlackApprovalsSlackAPI SlackApprovalsSlackAuthorizeURL
                      SlackApprovalsEngineURL)) {
    my $url = 'http://127.0.0.1:8080/path';
    fails("$directive http:// without SlackApprovalsAllowInsecureHTTP",
          [qr/\Q$directive\E: the URL must start with https:\/\/ \(set SlackApprovalsAllowInsecureHTTP On/],
          set => { $directive => $url });
    passes("$directive http:// with SlackApprovalsAllowInsecureHTTP On",
           set => { $directive => $url, SlackApprovalsAllowInsecureHTTP => 'On' });
}
fails('SlackApprovalsAllowInsecureHTTP On still wants http or https',
      [qr/SlackApprovalsEngineURL: the URL must start with http:\/\/ or https:\/\//],
      set => { SlackApprovalsEngineURL => 'ftp://engine.example.com', SlackApprovalsAllowInsecureHTTP => 'On' });

# ---- numbers and mail ---------------------------------------------------------

for my $workers (qw(0 65 abc)) {
    fails("SlackApprovalsWorkers $workers",
          [qr/SlackApprovalsWorkers: '$workers' must be a whole number from 1 to 64/],
          set => { SlackApprovalsWorkers => $workers });
}
for my $days (qw(0 3651)) {
    fails("SlackApprovalsHistoryDays $days",
          [qr/SlackApprovalsHistoryDays: '$days' must be a whole number from 1 to 3650/],
          set => { SlackApprovalsHistoryDays => $days });
}
fails('SlackApprovalsMailRelay http://x',
      [qr/SlackApprovalsMailRelay: the URL must start with smtp:\/\/ or smtps:\/\//],
      set => { SlackApprovalsMailRelay => 'http://x' });
fails('SlackApprovalsMailRelay without SlackApprovalsMailFrom',
      [qr/SlackApprovalsMailFrom: is required when SlackApprovalsMailRelay is set/],
      set => { SlackApprovalsMailFrom => undef });
fails('a bad SlackApprovalsMailFrom',
      [qr/SlackApprovalsMailFrom: 'approvals\.example\.com' is not a plain email address/],
      set => { SlackApprovalsMailFrom => 'approvals.example.com' });
fails('a SlackApprovalsMailFrom with a display name',
      [qr/SlackApprovalsMailFrom: 'Approvals <approvals\@example\.com>' is not a plain email address/],
      set => { SlackApprovalsMailFrom => 'Approvals <approvals@example.com>' });
fails('SlackApprovalsCache without a provider', [qr/SlackApprovalsCache: ':x' names no provider/],
      set => { SlackApprovalsCache => ':x' });

# ---- what only startup detects: the socache provider --------------------------

sub pid_alive { my ($pid) = @_; return $pid && kill(0, $pid) }

# The processes started with this config file (httpd's children share the
# parent's command line); ports are no evidence, another process may take one.
sub procs_for {
    my ($path) = @_;
    my @pids;
    for my $proc (glob '/proc/[0-9]*/cmdline') {
        open my $fh, '<', $proc or next;
        local $/;
        my $cmdline = <$fh> // '';
        push @pids, $proc =~ m{/proc/(\d+)/} if grep { $_ eq $path } split /\0/, $cmdline;
    }
    return @pids;
}

sub read_pid {
    my ($case) = @_;
    open my $fh, '<', "$case/httpd.pid" or return undef;
    my $pid = <$fh> // '';
    return $pid =~ /^(\d+)/ ? $1 : undef;
}

sub slurp { my ($path) = @_; open my $fh, '<', $path or return ''; local $/; return <$fh> // '' }

sub wait_for { my ($secs, $check) = @_; for (1 .. $secs * 10) { return 1 if $check->(); select undef, undef, undef, 0.1 } return $check->() }

# Stops a server this test started (its pid file names it) and waits for it.
sub stop_server {
    my ($case, $path) = @_;
    my $pid = read_pid($case);
    run_httpd('-f', $path, '-k', 'stop') if $pid;
    return 1 if wait_for(15, sub { !procs_for($path) });
    kill 'TERM', procs_for($path);   # what -k stop did not stop (only ours: matched by config path)
    return 0;
}

# A database that does not exist: a server started here must not run the
# suite's jobs. Its children log that they cannot connect, and keep running.
(my $no_db = $dbparams) =~ s/dbname=\S+/dbname=sap_config_t_no_such_db/;
my @start_head = ('User nobody', 'Group nogroup');

{
    my ($case, $path) = write_config(name => 'starts (control)', dbparams => $no_db,
                                            head => \@start_head);
    my ($rc, $out) = run_httpd('-f', $path, '-k', 'start');
    my $up = wait_for(10, sub { slurp("$case/error_log") =~ /resuming normal operations/ });
    ok($rc == 0 && $up && pid_alive(read_pid($case)) && procs_for($path) >= 2,
       'control: the valid configuration starts (parent and children)')
        or diag "exit $rc: $out\n" . slurp("$case/error_log");
    ok(stop_server($case, $path), 'control: and stops');
    push @outputs, slurp("$case/error_log");
}
# An unknown socache provider is found by check_config, so `apachectl -t`
# already refuses it (and -k start fails before it detaches).
fails('mod_dbd not loaded', [qr/mod_dbd is not loaded: add 'LoadModule dbd_module/],
      without_dbd => 1);
fails('the prefork MPM', [qr/SlackApprovals: needs a threaded MPM \(event or worker\); this server runs prefork/],
      prefork => 1);
fails('an unknown socache provider',
      [qr/SlackApprovalsCache: socache provider 'nosuchcache' is not loaded/],
      set => { SlackApprovalsCache => 'nosuchcache:x' });
{
    my ($case, $path) = write_config(name => 'unknown socache provider, started', dbparams => $no_db,
                                     head => \@start_head,
                                     set => { SlackApprovalsCache => 'nosuchcache:x' });
    my ($rc, $out) = run_httpd('-f', $path, '-k', 'start');
    push @outputs, $out;
    ok($rc != 0 && $out =~ /SlackApprovalsCache: socache provider 'nosuchcache' is not loaded/,
       'unknown provider: -k start fails and says why') or diag "exit $rc: $out";
    my $gone = wait_for(5, sub { !procs_for($path) });
    ok($gone && !-e "$case/httpd.pid", 'unknown provider: nothing keeps running')
        or diag 'still running: ' . join(' ', procs_for($path));
    stop_server($case, $path) unless $gone;   # should it have started after all
}

# ---- no secret anywhere ---------------------------------------------------------

my $all = join "\n", @outputs;
my @leaked = grep { index($all, $_) >= 0 } @secret_values;
ok(@outputs > 40 && @secret_values >= 20 && !@leaked, 'no secret value appears in any output (' . scalar(@outputs) . ' outputs)')
    or diag scalar(@leaked) . ' secret value(s) found in the output';

done_testing();
