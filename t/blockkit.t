# Every Block Kit message the unit tests of sap_blocks.c build (hundreds:
# each button rule, delegates, 500 mentions, 200 decisions, emoji cuts) is
# checked by the fake Slack's own validator, so a layout Slack would refuse
# fails here even where the C checks agree with the C code.
use strict;
use warnings FATAL => 'all';
use Test::More;
use File::Temp qw(tempdir);
use lib 't/lib';
use SAP::Test qw(run_command);

my $binary = 'build/unit/test_blocks';
plan skip_all => "$binary is not built (make unit)" unless -x $binary;
plan tests => 3;

my $dir = tempdir(CLEANUP => 1);
local $ENV{SAP_BLOCKS_DUMP} = "$dir/blocks.jsonl";
my ($rc, $out) = run_command($binary);
is $rc, 0, 'the unit tests that build the messages pass' or diag $out;
my $lines = do { open my $fh, '<', "$dir/blocks.jsonl" or die $!; my @l = <$fh>; scalar @l };
ok $lines >= 100, "they built $lines messages";
($rc, $out) = run_command('sh', '-c', "node t/unit/check-blocks.js < '$dir/blocks.jsonl'");
is $rc, 0, "the fake Slack's validator accepts every one" or diag $out;
