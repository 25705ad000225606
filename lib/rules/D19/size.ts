// D19.size: is the newest backup suspiciously small next to the previous ones of the same guest?
// A backup that goes on, fresh and green, after the data it should hold is gone (an app rebuilt
// empty, a disk excluded) looks like a sudden drop in size. Sizes come from the dump folder listing
// (`%s`) and from PVE's storage content list (`size`).

import type { InventoryTarget } from '../../bindings/types.js';
import type { Evidence, Finding, HostRecord } from '../../model.js';
import { standardArchive } from '../../pve/archives.js';
import { bindingEvidence, hostOf, NO_HOST_STATE } from '../input.js';
import type { RunIndex, RunInput } from '../run-index.js';
import { make, judgeEachTarget, isoOf, type FreshnessBase } from './shared.js';
import { targetBackups } from './storage-backups.js';
import { dumpFiles, isBackupFile } from './dump-files.js';

const CHECK = 'D19.size';
/** Fewer archives of one kind than this (the newest included) is no history to judge against. */
export const MIN_HISTORY = 4;
/** How many archives before the newest the median is taken over. */
export const HISTORY_WINDOW = 7;

/** One archive as the size check sees it. */
interface Sized {
  name: string;
  /** Epoch seconds: mtime of a file, ctime of a storage backup. */
  at: number;
  size: number;
  /**
   * Same kind, same history: the extension (`vma.zst`, `sql.gz`) or the storage format; a change of compressor starts
   * anew.
   */
  kind: string;
  /** The guest a vzdump name or a content entry names; null for other files. */
  guest: number | null;
}

type Verdict =
  | { kind: 'ok' | 'short'; newest: Sized; history: Sized[] }
  | { kind: 'empty' | 'drop'; newest: Sized; history: Sized[]; median: number | null; ratio: number | null };

export function checkSizes(input: RunInput): Finding[] {
  return judgeEachTarget(input, CHECK, (t, base) => judgeSize(input, t, base));
}

function judgeSize(input: RunInput, t: InventoryTarget, base: FreshnessBase): Finding {
  if (!input.state)
    return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` });
  const host = hostOf(input.state, t.host);
  if ('problem' in host)
    return make({
      ...base,
      outcome: 'error',
      reason: host.problem.reason,
      evidence: [bindingEvidence(t)],
      message: `${t.name}: cannot judge sizes, host ${t.host} unreadable: ${host.problem.message}`,
    });
  const read =
    t.kind === 'file_glob' ? fileArchives(input.index, host.value, t) : storageArchives(input.index, host.value, t);
  const { evidence } = read;
  if ('problem' in read)
    return make({
      ...base,
      outcome: 'error',
      reason: read.problem.reason,
      evidence,
      message: `${t.name}: cannot judge sizes: ${read.problem.message}`,
    });
  if ('skip' in read)
    return make({
      ...base,
      outcome: 'skip',
      reason: read.skip.reason,
      evidence,
      message: `${t.name}: ${read.skip.message}`,
    });
  if (read.archives.length === 0)
    return make({
      ...base,
      outcome: 'skip',
      reason: 'no_backups',
      evidence,
      message: `${t.name}: no archive to judge (see D19.freshness)`,
    });

  const ratio = input.bindings.policy.d19.minSizeRatio;
  const floor = t.minSizeBytes ?? 0;
  const byGuest = new Map<number | null, Sized[]>();
  for (const a of read.archives) {
    const same = byGuest.get(a.guest);
    if (same) same.push(a);
    else byGuest.set(a.guest, [a]);
  }
  const verdicts = [...byGuest.values()].map((archives) => judgeHistory(archives, ratio, floor));
  for (const v of verdicts)
    evidence.push({
      host: t.host,
      detail: `newest ${v.newest.name} ${v.newest.size} B (${isoOf(v.newest.at)}); previous ${
        v.history
          .slice(1, 1 + HISTORY_WINDOW)
          .map((h) => h.size)
          .join(', ') || 'none'
      }`,
    });

  const bad = verdicts.filter((v) => v.kind === 'empty' || v.kind === 'drop');
  const sizes = (v: Verdict) =>
    v.history
      .slice(1, 1 + HISTORY_WINDOW)
      .map((h) => bytes(h.size))
      .join(', ');
  const history = (v: Verdict) =>
    v.history
      .slice(0, 1 + HISTORY_WINDOW)
      .map((a) => a.size)
      .reverse();
  const empty = bad.find((v) => v.kind === 'empty');
  if (empty) {
    const what = floor > 0 ? `under min_size_bytes ${floor}` : '0 bytes';
    return make({
      ...base,
      outcome: 'fail',
      reason: 'empty_archive',
      evidence,
      sizeHistory: history(empty),
      expected: floor > 0 ? `≥ ${bytes(floor)}` : '> 0 B',
      actual: bytes(empty.newest.size),
      message: `${t.name}: the newest archive ${empty.newest.name} is ${bytes(empty.newest.size)} (${what})${empty.history.length > 1 ? `; the previous were ${sizes(empty)}` : ''}`,
      remediation: `An archive this small holds nothing: read the backup's log (${logHint(t)}), check the guest's data and disks, and take a new backup.`,
    });
  }
  const drop = bad[0];
  if (drop && drop.kind === 'drop') {
    return make({
      ...base,
      outcome: 'fail',
      reason: 'size_drop',
      evidence,
      sizeHistory: history(drop),
      expected: `≥ ${ratio} × median ${bytes(drop.median!)}`,
      actual: `${bytes(drop.newest.size)} (${drop.ratio!.toFixed(2)}×)`,
      message: `${t.name}: the newest archive ${drop.newest.name} is ${bytes(drop.newest.size)}, ${drop.ratio!.toFixed(2)} × the median ${bytes(drop.median!)} of the previous ${Math.min(HISTORY_WINDOW, drop.history.length - 1)} (${sizes(drop)}); below d19.min_size_ratio ${ratio}`,
      remediation:
        drop.newest.guest === null
          ? `Find out what the dump lost before the older ones are deleted: compare the newest with the previous one (\`zcat … | head\`, row counts), check the application that writes it (an empty rebuild, deleted data, a dump that fails after its header) and keep a good older dump meanwhile. A drop you expected clears once the new size is the median; waive it until then.`
          : `Find out what the backup lost before the older archives are pruned: compare the newest with the previous one (${logHint(t)}), check the application in the guest (an empty rebuild, deleted data) and the job (a disk with backup=0, an exclude-path). Protect a good older archive meanwhile (\`pvesh set /nodes/<node>/storage/<storage>/content/<volid> --protected 1\`). A drop you expected clears once the new size is the median; waive it until then.`,
    });
  }
  const judged = verdicts.filter((v) => v.kind === 'ok');
  if (judged.length === 0) {
    // Older archives of the same guest in another kind: the compressor or format changed.
    const changed = verdicts.some((v) => (byGuest.get(v.newest.guest)?.length ?? 0) > v.history.length);
    return make({
      ...base,
      outcome: 'skip',
      reason: 'short_history',
      evidence,
      message: `${t.name}: fewer than ${MIN_HISTORY} archives of the newest one's kind (${verdicts.map((v) => `${v.newest.kind}: ${v.history.length}`).join(', ')}): no history to compare the newest with${changed ? ' (the compressor or format changed: a new history starts)' : ''}`,
    });
  }
  const shown = judged[0]!;
  const median = medianOf(shown.history.slice(1, 1 + HISTORY_WINDOW).map((h) => h.size));
  return make({
    ...base,
    outcome: 'pass',
    evidence,
    sizeHistory: history(shown),
    expected: `≥ ${ratio} × median`,
    actual: `${(shown.newest.size / median).toFixed(2)}×`,
    message: `${t.name}: the newest archive ${shown.newest.name} is ${bytes(shown.newest.size)}, ${(shown.newest.size / median).toFixed(2)} × the median ${bytes(median)} of the previous ${Math.min(HISTORY_WINDOW, shown.history.length - 1)}${judged.length > 1 ? ` (and ${judged.length - 1} more guest(s) judged alike)` : ''}`,
  });
}

/** The newest archive against the previous ones of its kind. */
export function judgeHistory(archives: Sized[], ratio: number, floor: number): Verdict {
  const sorted = [...archives].sort((a, b) => b.at - a.at || (a.name < b.name ? -1 : 1));
  const newest = sorted[0]!;
  const history = sorted.filter((a) => a.kind === newest.kind);
  if (newest.size === 0 || newest.size < floor) return { kind: 'empty', newest, history, median: null, ratio: null };
  if (history.length < MIN_HISTORY) return { kind: 'short', newest, history };
  const median = medianOf(history.slice(1, 1 + HISTORY_WINDOW).map((h) => h.size));
  if (median > 0 && newest.size < ratio * median)
    return { kind: 'drop', newest, history, median, ratio: newest.size / median };
  return { kind: 'ok', newest, history };
}

export function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Extension of an archive name: vzdump's (`vma.zst`, `tar.gz`), else a compressed tar/sql/dump's two parts (`sql.gz`),
 * else
 * the last one.
 */
export function kindOf(name: string): string {
  const base = name.split('/').pop()!;
  const vz = standardArchive(base);
  if (vz) return vz.ext;
  const m = /\.((?:tar|sql|vma|dump|json|csv)\.)?([A-Za-z0-9]+)$/.exec(base);
  return m ? `${m[1] ?? ''}${m[2]}` : '';
}

function fileArchives(
  index: RunIndex,
  host: HostRecord,
  t: InventoryTarget & { kind: 'file_glob' },
):
  | { archives: Sized[]; evidence: Evidence[] }
  | { problem: { reason: string; message: string }; evidence: Evidence[] }
  | { skip: { reason: string; message: string }; evidence: Evidence[] } {
  const probe = host.commands.find((c) => c.basePath === t.basePath);
  const evidence: Evidence[] = [
    bindingEvidence(t),
    ...(probe ? [{ host: t.host, commandId: probe.id, command: probe.command }] : []),
  ];
  const listing = host.listings[t.basePath];
  if (!listing)
    return {
      problem: { reason: 'not_collected', message: `no listing of ${t.basePath} on ${t.host} in the host state` },
      evidence,
    };
  if (listing.status === 'error')
    return {
      problem: { reason: listing.reason, message: `listing ${t.basePath} on ${t.host} failed: ${listing.message}` },
      evidence,
    };
  if (listing.status === 'missing')
    return {
      skip: {
        reason: 'no_backups',
        message: `base path ${t.basePath} does not exist on ${t.host} (see D19.freshness)`,
      },
      evidence,
    };
  const isMatch = index.globMatcher(t.glob);
  const bad = (listing.malformed ?? []).filter((r) => r.path === null || isMatch(r.path));
  if (bad.length)
    return {
      problem: {
        reason: 'bad_listing_record',
        message: `record ${bad[0]!.record} of the listing of ${t.basePath} does not read (${bad[0]!.problem}): the archives' sizes cannot be known`,
      },
      evidence,
    };
  const archives = dumpFiles(index, t.glob, listing.files)
    .filter(isBackupFile)
    .map(({ file, name }) => ({
      name: file.path,
      at: file.mtime,
      size: file.size,
      kind: name?.ext ?? kindOf(file.path),
      guest: name?.vmid ?? null,
    }));
  return { archives, evidence };
}

function storageArchives(
  index: RunIndex,
  host: HostRecord,
  t: InventoryTarget & { kind: 'pve_storage' },
):
  | { archives: Sized[]; evidence: Evidence[] }
  | { problem: { reason: string; message: string }; evidence: Evidence[] }
  | { skip: { reason: string; message: string }; evidence: Evidence[] } {
  const read = targetBackups(index, host, t);
  if ('problem' in read) return { problem: read.problem, evidence: read.evidence };
  const volumes = read.backups.filter((v) => v.format !== 'pbs-vm');
  if (read.backups.length > 0 && volumes.length === 0) {
    return {
      skip: {
        reason: 'pbs_vm_size',
        message: `the backups of VMID ${t.vmid} on ${t.storage} are Proxmox Backup Server VM snapshots: the size PBS reports for one is the size of its disk images, not of the data in them, so it says nothing about what the backup holds`,
      },
      evidence: read.evidence,
    };
  }
  const sized = volumes.filter((v) => v.size !== null);
  if (
    volumes.length > 0 &&
    sized.length < volumes.length &&
    volumes.reduce((a, b) => (b.ctime! > a.ctime! ? b : a)).size === null
  ) {
    return {
      skip: { reason: 'no_size', message: `PVE gives no size for the newest backup of VMID ${t.vmid} on ${t.storage}` },
      evidence: read.evidence,
    };
  }
  return {
    archives: sized.map((v) => ({ name: v.volid, at: v.ctime!, size: v.size!, kind: v.format, guest: v.vmid })),
    evidence: read.evidence,
  };
}

const logHint = (t: InventoryTarget) =>
  t.kind === 'file_glob'
    ? `the \`.log\` beside it in ${t.basePath}`
    : `\`pvesh get /nodes/<node>/tasks\` for the vzdump task on ${t.host}`;

/** Bytes for people: 1.2 GiB, 435 MiB, 0 B. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
