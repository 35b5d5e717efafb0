# The settings page in a real browser: runs the Playwright tests of
# t/browser/*.test.js (Node's test runner, TAP reporter) against the
# Apache::Test server, and hands their TAP to prove, so prove counts every
# browser test. Needs what scripts/test.sh exports (the database, the fake
# Slack, $SAP_UI_DIR served by httpd) and what scripts/install-deps.sh
# installs (Debian's chromium, playwright-core in t/browser/node_modules).
use strict;
use warnings FATAL => 'all';
use lib 't/lib';

BEGIN {
    unless ($ENV{SAP_TEST_DBPARAMS} && $ENV{SAP_FAKE_SLACK_PORT} && $ENV{SAP_UI_DIR}) {
        print "1..0 # SKIP run through make test (needs the environment scripts/test.sh exports)\n";
        exit 0;
    }
}

use SAP::Test qw(base_url);

my @files = sort glob('t/browser/*.test.js');
die "t/browser.t: no t/browser/*.test.js\n" unless @files;
die "t/browser.t: t/browser/node_modules/playwright-core is missing: run scripts/install-deps.sh\n"
    unless -d 't/browser/node_modules/playwright-core';
my $chromium = $ENV{SAP_CHROMIUM} // '/usr/bin/chromium';
die "t/browser.t: $chromium is missing: run scripts/install-deps.sh\n" unless -x $chromium;

# The server as Apache::Test configured it (http://localhost:PORT): the same
# origin as SlackApprovalsPublicURL in t/conf/extra.conf.in, which the
# module's Origin check and OAuth redirects use.
$ENV{SAP_BASE_URL} = base_url();
# Screenshots, HTML and Playwright traces of failed cases.
$ENV{SAP_BROWSER_ARTIFACTS} //= ($ENV{SAP_RUN_DIR} // '/tmp') . '/browser';

# One file at a time: the cases share the database and the fake Slack. A
# case without a timeout of its own fails after two minutes.
my @node = ('node', '--test', '--test-reporter=tap', '--test-concurrency=1', '--test-timeout=120000', @files);

# Node's TAP carries YAML diagnostics that prove's YAMLish reader cannot
# always parse (it then gives up on the whole stream). Test lines and comments
# pass as they are; the YAML of a failed test goes to stderr as comments (as
# Test::More's diagnostics do, so prove shows them), that of a passed one
# (its duration) is dropped.
$| = 1;
open my $tap, '-|', @node or die "t/browser.t: cannot run node: $!\n";
my ($in_yaml, $failed) = (0, 0);
while (my $line = <$tap>) {
    if ($in_yaml) {
        if ($line =~ /^\s*\.\.\.\s*$/) {
            $in_yaml = 0;
        } elsif ($failed) {
            print STDERR "# $line";
        }
        next;
    }
    if ($line =~ /^\s*---\s*$/) {
        $in_yaml = 1;
        next;
    }
    $failed = $line =~ /^\s*not ok /;
    print STDERR "# Failed: $line" if $failed;
    print $line;
}
close $tap;
# A crash of node itself (no plan printed) fails too.
exit($? == 0 ? 0 : 1);
