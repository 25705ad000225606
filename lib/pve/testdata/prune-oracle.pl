#!/usr/bin/perl
# Generates prune-oracle-cases.json: random backup groups and policies, marked by Proxmox's own
# prune_mark_backup_group. The Proxmox code is NOT in this file: it is cut at run time out of
# pve-storage's src/PVE/Storage.pm (the `my $prune_mark = sub {…};` and `sub prune_mark_backup_group
# {…}` blocks, both pure Perl using only POSIX strftime and localtime) and eval'ed.
# Usage: perl prune-oracle.pl <pve-storage git dir> > prune-oracle-cases.json
use strict;
use warnings;
use POSIX qw(strftime tzset);
use Time::Local qw(timelocal);
use JSON::PP;

my $gitdir = shift or die "usage: $0 <pve-storage git dir>\n";
my $src = `git --git-dir=$gitdir show HEAD:src/PVE/Storage.pm`;
die "cannot read Storage.pm\n" if $?;
my $commit = `git --git-dir=$gitdir rev-parse HEAD`; chomp $commit;
my ($mark) = $src =~ /^(my \$prune_mark = sub \{.*?^\};)$/ms or die "no \$prune_mark\n";
my ($group) = $src =~ /^(sub prune_mark_backup_group \{.*?^\})$/ms or die "no prune_mark_backup_group\n";
eval "package Oracle; use POSIX qw(strftime); $mark\n$group\n1;" or die $@;

srand(22);
my @zones = ('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney');
my @keys = qw(keep-last keep-hourly keep-daily keep-weekly keep-monthly keep-yearly);
my @cases;
for my $n (1 .. 400) {
    my $zone = $zones[$n % @zones];
    $ENV{TZ} = $zone; tzset();
    my %keep;
    for my $k (@keys) { $keep{$k} = int(rand(5)) if rand() < 0.45 }
    $keep{'keep-all'} = 1 if $n % 37 == 0;
    # A history: backups every few hours to weeks apart, some days twice, over up to three years.
    my $t = timelocal(0, 0, 2, 1, int(rand(12)), 2022 + int(rand(2)));
    my @entries;
    my $count = 1 + int(rand(40));
    for my $i (1 .. $count) {
        my $step = (3600, 3 * 3600, 86400, 86400, 86400, 2 * 86400, 7 * 86400, 30 * 86400)[int(rand(8))];
        $t += $step + int(rand(600));
        my @l = localtime($t);
        my $stamp = strftime('%Y_%m_%d-%H_%M_%S', @l);
        my $ctime = timelocal(@l[0 .. 5]); # archive_info: timelocal of the name's stamp
        push @entries, { stamp => $stamp, ctime => $ctime, protected => (rand() < 0.08 ? 1 : 0) };
    }
    my @group = map { { ctime => $_->{ctime}, ($_->{protected} ? (mark => 'protected') : ()) } } @entries;
    Oracle::prune_mark_backup_group(\@group, \%keep);
    push @cases, [$zone, \%keep, [map { [$entries[$_]{stamp}, $entries[$_]{protected}, $group[$_]{mark}] } 0 .. $#entries]];
}
print JSON::PP->new->canonical->encode({ source => "pve-storage $commit src/PVE/Storage.pm prune_mark_backup_group", cases => \@cases }), "\n";
