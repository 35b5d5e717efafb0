package SAP::Httpd;
# A second httpd with the module, outside Apache::Test: for tests that need
# two instances on one database. Same secrets, same database, its own port.
use strict;
use warnings FATAL => 'all';
use File::Path qw(make_path);
use IO::Socket::INET;

sub free_port {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
        or die "no free port: $!";
    return $sock->sockport;
}

# new(name => 'second', extra => "directives\n")
sub new {
    my ($class, %args) = @_;
    my $dir = "$ENV{SAP_RUN_DIR}/httpd-$args{name}";
    make_path("$dir/logs");
    chmod 0755, $dir;
    my $self = bless { dir => $dir, port => free_port(), extra => $args{extra} // '',
                       dbparams => $args{dbparams} // $ENV{SAP_TEST_DBPARAMS} }, $class;
    $self->_write_conf;
    return $self;
}

sub port { $_[0]{port} }
sub dir  { $_[0]{dir} }
sub conf { "$_[0]{dir}/httpd.conf" }

sub _write_conf {
    my ($self) = @_;
    my $s = $ENV{SAP_TEST_SECRETS};
    open my $fh, '>', $self->conf or die "cannot write conf: $!";
    print $fh <<"CONF";
ServerRoot "$self->{dir}"
Include "$ENV{SAP_TOP}/t/conf/modules.conf"
LoadModule slack_approvals_module "$ENV{SAP_MODULE_SO}"
Listen 127.0.0.1:$self->{port}
ServerName 127.0.0.1:$self->{port}
PidFile "$self->{dir}/logs/httpd.pid"
ErrorLog "$self->{dir}/logs/error_log"
DefaultRuntimeDir "$self->{dir}/logs"
TypesConfig /etc/mime.types
User nobody
Group nogroup
LogLevel info slack_approvals:debug
StartServers 2
DBDriver pgsql
DBDParams "$self->{dbparams}"
SlackApprovals On
SlackApprovalsPublicURL http://127.0.0.1:$self->{port}/slack-approvals
SlackApprovalsClientID 1111.2222
SlackApprovalsClientSecretFile $s/client_secret
SlackApprovalsSigningSecretFile $s/signing_secret
SlackApprovalsTokenKeyFile $s/token_key
SlackApprovalsSlackAPI http://127.0.0.1:$ENV{SAP_FAKE_SLACK_PORT}/api
SlackApprovalsEngineURL http://127.0.0.1:$ENV{SAP_FAKE_ENGINE_PORT}
SlackApprovalsEngineTokenFile $s/engine_token
SlackApprovalsEngineSecretFile $s/engine_secret
SlackApprovalsAllowInsecureHTTP On
<Location /slack-approvals>
    SetHandler slack-approvals
</Location>
$self->{extra}
CONF
    close $fh;
}

sub start {
    my ($self) = @_;
    system($ENV{SAP_HTTPD} // '/usr/sbin/apache2', '-f', $self->conf, '-k', 'start') == 0
        or die "second httpd did not start: see $self->{dir}/logs/error_log\n";
    for (1 .. 50) {
        return 1 if $self->pid;
        select undef, undef, undef, 0.1;
    }
    die "second httpd wrote no pid file\n";
}

sub error_log {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/logs/error_log" or return '';
    local $/;
    return <$fh> // '';
}

sub pid {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/logs/httpd.pid" or return undef;
    my $pid = <$fh>;
    chomp $pid if defined $pid;
    return $pid && kill(0, $pid) ? $pid : undef;
}

# The job-lease owners ("host:pid") of this instance's workers, from its log.
sub worker_owners {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/logs/error_log" or return ();
    return map { /workers: \d+ thread\(s\) started as (\S+)/ ? $1 : () } <$fh>;
}

sub stop {
    my ($self) = @_;
    my $pid = $self->pid or return;
    kill 'TERM', $pid;
    for (1 .. 100) {
        return unless kill 0, $pid;
        select undef, undef, undef, 0.1;
    }
    kill 'KILL', $pid;
}

sub DESTROY { $_[0]->stop }

1;
