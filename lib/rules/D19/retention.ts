// D19.retention: how many restore points of each guest survive PVE's next prune, judged exactly as
// PVE prunes (lib/pve/prune.ts), against the class's min_restore_points. Subject: each enabled target
// whose backups are one guest's vzdump backups (a pve_storage target, or a file_glob of one guest's
// vzdump names). Never a pass without the facts: what cannot be counted is an error.

import type { Classification, FileGlobTarget, InventoryTarget, PveStorageTarget } from '../../bindings/types.js';
import type {
  Evidence,
  Finding,
  HostRecord,
  PveState,
  PveStorageState,
  RetentionFacts,
  StorageConfig,
  VzdumpJob,
} from '../../model.js';
import {
  effectivePolicy,
  isKeepAll,
  keepSum,
  markBackups,
  policyText,
  type BackupItem,
  type EffectivePolicy,
  type MarkedBackup,
} from '../../pve/prune.js';
import { bindingEvidence, hostOf, NO_HOST_STATE, pveStateOf } from '../input.js';
import { Derived, type RunIndex, type RunInput } from '../run-index.js';
import { commandEvidence, jobsCfgEvidence } from '../pve-helpers.js';
import { make, judgeEachTarget, type FreshnessBase } from './shared.js';
import { storageStateOf, targetBackups } from './storage-backups.js';
import { dumpFiles } from './dump-files.js';

type Problem = { outcome: 'error' | 'skip'; reason: string; message: string; evidence?: Evidence[] };

/** A job writing to a storage, and the policy its vzdump run applies there. */
interface JobPolicy {
  job: VzdumpJob;
  storageId: string;
  scfg: StorageConfig | null;
  eff: EffectivePolicy;
}

// A job's policy is the same for every guest it backs up (a job is one host's, and so are the
// storage.cfg and vzdump.conf it falls back to): worked out once per job in a run.
const JOB_POLICIES = new Derived<VzdumpJob, JobPolicy>('D19.retention policy by job');

export function checkRetention(input: RunInput): Finding[] {
  // Only one guest's vzdump backups: PVE's prune does not apply to anything else.
  const subjectOf = (t: InventoryTarget) =>
    t.kind === 'pve_storage' ? { vmid: t.vmid, type: undefined } : input.index.globSubject(t.glob);
  return judgeEachTarget(
    input,
    'D19.retention',
    (t, base, pveHosts) => judgeRetention(input, t, subjectOf(t)!, pveHosts, base),
    (t) => subjectOf(t) !== null,
  );
}

function judgeRetention(
  input: RunInput,
  t: InventoryTarget,
  subject: { vmid: number; type?: 'qemu' | 'lxc' },
  pveHosts: string[],
  base: FreshnessBase,
): Finding {
  const min = t.classification
    ? input.bindings.policy.d19.retention.minRestorePoints[t.classification as Classification]
    : 0;
  if (!min) {
    return make({
      ...base,
      outcome: 'skip',
      reason: 'not_required',
      message: `${t.name}: ${t.classification ?? 'an unclassified target'} is held to no minimum of restore points (drift.gates.yaml d19.retention)`,
    });
  }
  if (!input.state)
    return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` });
  const facts = nodeFacts(input, t, subject.vmid, pveHosts);
  if ('outcome' in facts) return make({ ...base, ...facts, evidence: [bindingEvidence(t), ...(facts.evidence ?? [])] });
  const { pveHost, pve, record, retention, storage } = facts;
  const type = subject.type ?? guestType(input.index, pve, subject.vmid);
  const evidence: Evidence[] = [bindingEvidence(t)];

  // The jobs that back the guest up to this target's storage (or folder), and the policy each applies.
  const jobs = pve.jobs.filter((j) => j.enabled && j.runs && input.index.pve(pve).selection(j).includes(subject.vmid));
  const confStorage = retention.vzdumpConf.storage ?? 'local';
  const storageOfJob = (j: VzdumpJob) => j.storage ?? confStorage;
  const writing = jobs.filter((j) => writesTo(j, storageOfJob(j), t, pveHost, storage.config));
  if (writing.length === 0) {
    const elsewhere = jobs.length
      ? `; job(s) ${jobs.map((j) => `${j.id} → ${storageOfJob(j)}`).join(', ')} write it elsewhere`
      : '';
    return make({
      ...base,
      outcome: 'skip',
      reason: 'no_job',
      evidence,
      message: `${t.name}: no enabled job on ${pveHost} writes VMID ${subject.vmid} here${elsewhere}, so PVE never prunes these backups (see D19.guest-covered, D19.target-enrolled)`,
    });
  }
  const judged = writing.map((job) =>
    input.index.remember(JOB_POLICIES, job, () => {
      const storageId = storageOfJob(job);
      const scfg = storage.config.find((c) => c.id === storageId) ?? null;
      const eff = effectivePolicy({
        job: {
          pruneBackups: job.options['prune-backups'] ?? null,
          maxfiles: job.options['maxfiles'] ?? null,
          remove: job.options['remove'] ?? null,
        },
        storage: scfg ? { pruneBackups: scfg.pruneBackups ?? null, maxfiles: scfg.maxfiles ?? null } : null,
        vzdumpConf: retention.vzdumpConf,
        major: retention.pveVersion.major,
      });
      return { job, storageId, scfg, eff };
    }),
  );

  // The backups there.
  const read =
    t.kind === 'pve_storage' ? storageItems(input.index, record, t, storage) : folderItems(input.index, record, t);
  if ('outcome' in read) return make({ ...base, ...read, evidence: [...evidence, ...(read.evidence ?? [])] });
  evidence.push(...read.evidence);
  const zone = pveZone(input, pveHost);
  if (zone === null)
    return make({
      ...base,
      outcome: 'error',
      reason: 'not_collected',
      evidence,
      message: `${t.name}: the time zone of ${pveHost} is unknown, and PVE buckets hours, days and weeks in it`,
    });
  if (read.items.length === 0)
    return make({
      ...base,
      outcome: 'skip',
      reason: 'no_backups',
      evidence,
      message: `${t.name}: no backup of VMID ${subject.vmid} there to count (see D19.freshness)`,
    });

  // Each job's prune on what is there; the one that leaves the fewest decides (never a false green).
  const verdicts = judged.map((j) =>
    verdictOf(input, t, j, read.items, zone, type, min, read.pbs, pveHost, retention.pveVersion.version),
  );
  const worst = verdicts.reduce((a, b) => (rank(b) < rank(a) ? b : a));
  for (const j of judged) {
    evidence.push(jobsCfgEvidence(pveHost, j.job));
    evidence.push({
      host: pveHost,
      detail: `job ${j.job.id}: ${describePolicy(j.eff)} on ${j.storageId}${j.eff.ignored.length ? `; PVE ignores ${j.eff.ignored.join(', ')}` : ''}`,
    });
  }
  evidence.push(commandEvidence(pveHost, 'vzdump-conf'), {
    host: pveHost,
    detail: `PVE ${retention.pveVersion.version}`,
  });
  return make({ ...base, ...worst.finding, evidence });
}

interface Verdict {
  finding: Omit<Finding, 'gate' | 'check' | 'subject' | 'host' | 'severity' | 'evidence'> &
    Partial<Pick<Finding, 'severity'>>;
  order: number;
  kept: number;
}

const rank = (v: Verdict) => v.order * 1e6 + v.kept;

function verdictOf(
  input: RunInput,
  t: InventoryTarget,
  j: JobPolicy,
  items: BackupItem[],
  zone: string,
  type: 'qemu' | 'lxc' | undefined,
  min: number,
  pbs: boolean,
  pveHost: string,
  version: string,
): Verdict {
  const { eff } = j;
  const marked = markBackups(items, eff.policy, zone, type);
  // Nothing is pruned while remove is off: every backup stays until vzdump refuses the next one.
  const stays = (b: MarkedBackup) =>
    b.mark === 'keep' || b.mark === 'protected' || (!eff.remove && b.mark === 'remove');
  const counts = {
    present: marked.length,
    kept: marked.filter(stays).length,
    protected: marked.filter((b) => b.mark === 'protected').length,
    renamed: marked.filter((b) => b.mark === 'renamed').length,
  };
  const retention = {
    source: eff.source,
    policy: policyText(eff.policy),
    present: counts.present,
    kept: counts.kept,
    protected: counts.protected,
    min,
  };
  const where = `${describePolicy(eff)} (job ${j.job.id} on storage ${j.storageId}, PVE ${version})`;
  const tally = `${counts.present} backup(s) of VMID ${input.index.targetVmid(t)} there${counts.protected ? `, ${counts.protected} protected` : ''}${counts.renamed ? `, ${counts.renamed} not named as vzdump names them (never pruned)` : ''}; PVE's prune keeps ${counts.kept}`;
  const facts = { expected: `≥ ${min} restore points`, actual: `${counts.kept}`, retention };
  const fix = (policy: string) => remediationFor(j, policy, pveHost);

  if (isKeepAll(eff.policy)) {
    if (pbs) {
      return {
        order: 3,
        kept: counts.kept,
        finding: {
          outcome: 'skip',
          reason: 'pbs_side_retention',
          ...facts,
          message: `${t.name}: ${where} keeps everything on the PVE side; on a Proxmox Backup Server storage the retention is PBS's own prune jobs, which PVE cannot see (${tally})`,
          remediation: null,
        },
      };
    }
    if (!input.bindings.policy.d19.retention.allowUnbounded.includes(j.storageId)) {
      return {
        order: 1,
        kept: counts.kept,
        finding: {
          outcome: 'fail',
          reason: 'retention_unbounded',
          severity: 'medium',
          ...facts,
          message: `${t.name}: ${where} keeps every backup: the storage fills until backups fail (${tally})`,
          remediation: `${fix(suggestPolicy(eff, min))} Or, if keeping everything is on purpose, list ${j.storageId} in drift.gates.yaml d19.retention.allow_unbounded.`,
        },
      };
    }
  }
  const limit = keepSum(eff.policy);
  if (!eff.remove && limit > 0) {
    // VZDump.pm counts every backup of the guest's type there that is not protected (renamed ones too).
    const unprotected = marked.filter((b) => b.mark !== 'protected').length;
    if (unprotected >= limit) {
      return {
        order: 0,
        kept: counts.kept,
        finding: {
          outcome: 'fail',
          reason: 'prune_will_block',
          ...facts,
          message: `${t.name}: \`remove 0\` with ${where}: ${unprotected} unprotected backup(s) reach the limit of ${limit} (the sum of the keeps), so vzdump refuses the next backup ("There is a max backup limit of ${limit} enforced by the target storage or the vzdump parameters")`,
          remediation: `On ${pveHost}: let vzdump prune (\`pvesh set /cluster/backup/${j.job.id} --delete remove\`, and no \`remove: 0\` in /etc/vzdump.conf), or delete old backups by hand.`,
        },
      };
    }
  }
  if (!isKeepAll(eff.policy) && limit < min) {
    return {
      order: 0,
      kept: counts.kept,
      finding: {
        outcome: 'fail',
        reason: 'policy_below_class',
        ...facts,
        message: `${t.name}: ${where} can never keep more than ${limit} restore point(s), a ${t.classification} target needs ${min} (${tally})`,
        remediation: fix(suggestPolicy(eff, min)),
      },
    };
  }
  if (counts.kept < min) {
    return {
      order: 0,
      kept: counts.kept,
      finding: {
        outcome: 'fail',
        reason: 'too_few_restore_points',
        ...facts,
        message: `${t.name}: ${tally}, fewer than the ${min} a ${t.classification} target needs; policy ${where}`,
        remediation: `Keep backups coming (see D19.freshness for this target) until ${min} exist; protect a known-good one meanwhile (\`pvesh set /nodes/<node>/storage/${j.storageId}/content/<volid> --protected 1\`).`,
      },
    };
  }
  return {
    order: 2,
    kept: counts.kept,
    finding: {
      outcome: 'pass',
      reason: null,
      ...facts,
      message: `${t.name}: ${tally} (at least ${min}); policy ${where}`,
      remediation: null,
    },
  };
}

function describePolicy(eff: EffectivePolicy): string {
  const from =
    eff.source === 'default'
      ? "PVE's default"
      : eff.source === 'vzdump.conf'
        ? '/etc/vzdump.conf'
        : eff.source === 'storage'
          ? 'storage.cfg'
          : 'the job';
  return `${policyText(eff.policy)} from ${from}${eff.setting && eff.setting !== `prune-backups ${policyText(eff.policy)}` ? ` (\`${eff.setting}\`)` : ''}${eff.remove ? '' : ', pruning off (remove 0)'}`;
}

/** A policy that keeps at least `min`: the one in force with keep-last raised to `min`, or keep-last=min. */
function suggestPolicy(eff: EffectivePolicy, min: number): string {
  if (isKeepAll(eff.policy)) return `keep-last=${min}`;
  const p = { ...(eff.policy as Record<string, number>) };
  p['keep-last'] = Math.max(p['keep-last'] ?? 0, min - (keepSum(eff.policy) - (p['keep-last'] ?? 0)));
  return policyText(Object.fromEntries(Object.entries(p).filter(([, v]) => v > 0)));
}

function remediationFor(
  j: { job: VzdumpJob; storageId: string; eff: EffectivePolicy },
  policy: string,
  pveHost: string,
): string {
  switch (j.eff.source) {
    case 'job':
      return `On ${pveHost}: \`pvesh set /cluster/backup/${j.job.id} --prune-backups ${policy}\`.`;
    case 'storage':
      return `On ${pveHost}: \`pvesm set ${j.storageId} --prune-backups ${policy}\` (every job writing there without its own policy follows it), or give job ${j.job.id} its own (\`pvesh set /cluster/backup/${j.job.id} --prune-backups ${policy}\`).`;
    default:
      return `On ${pveHost}: \`pvesm set ${j.storageId} --prune-backups ${policy}\`, or \`pvesh set /cluster/backup/${j.job.id} --prune-backups ${policy}\` for this job alone${j.eff.source === 'vzdump.conf' ? ' (either overrides /etc/vzdump.conf)' : ''}.`;
  }
}

/** Whether `job`, writing to `storageId`, writes this target's backups. */
function writesTo(
  job: VzdumpJob,
  storageId: string,
  t: InventoryTarget,
  pveHost: string,
  config: StorageConfig[],
): boolean {
  if (t.kind === 'pve_storage') return storageId === t.storage;
  // A Proxmox Backup Server storage writes no files into any folder: its job prunes PBS, not this one.
  const scfg = config.find((c) => c.id === storageId);
  if (scfg?.type === 'pbs') return false;
  // A dump folder on the PVE host itself: the storage whose backup folder it is. Elsewhere (an NFS
  // export on a NAS), the folder cannot be matched to a path on the node: every job backing the guest up counts.
  if (t.host !== pveHost) return true;
  if (!scfg?.path) return true;
  const dir = `${scfg.path.replace(/\/+$/, '')}/${scfg.contentDirs['backup'] ?? 'dump'}`;
  return dir.replace(/\/+/g, '/') === t.basePath.replace(/\/+$/, '').replace(/\/+/g, '/');
}

function guestType(index: RunIndex, pve: PveState, vmid: number): 'qemu' | 'lxc' | undefined {
  const type = index.pve(pve).guest(vmid)?.type;
  return type === 'qemu' || type === 'lxc' ? type : undefined;
}

function pveZone(input: RunInput, pveHost: string): string | null {
  return input.state!.hosts[pveHost]?.timezone ?? null;
}

/** The PVE host whose jobs and storages decide this target's retention, with its facts. */
function nodeFacts(
  input: RunInput,
  t: InventoryTarget,
  vmid: number,
  pveHosts: string[],
):
  | { pveHost: string; pve: PveState; record: HostRecord; retention: RetentionFacts; storage: PveStorageState }
  | Problem {
  const state = input.state!;
  let pveHost: string | undefined;
  if (t.kind === 'pve_storage') pveHost = t.host;
  else {
    for (const id of [t.host, ...pveHosts]) {
      const pve = state.hosts[id] ? pveStateOf(state, id) : null;
      if (pve && 'value' in pve && input.index.pve(pve.value).guest(vmid)) {
        pveHost = id;
        break;
      }
    }
    pveHost ??= input.bindings.lifecycle?.guests.find((g) => g.id === vmid)?.proxmoxHost ?? undefined;
  }
  if (!pveHost)
    return {
      outcome: 'error',
      reason: 'guest_not_found',
      message: `${t.name}: no PVE host lists VMID ${vmid}, so the policy that prunes its backups cannot be known`,
    };
  const host = hostOf(state, pveHost);
  if ('problem' in host)
    return {
      outcome: 'error',
      reason: host.problem.reason,
      message: `${t.name}: cannot judge retention, host ${pveHost} unreadable: ${host.problem.message}`,
    };
  const pve = pveStateOf(state, pveHost);
  if ('problem' in pve)
    return {
      outcome: 'error',
      reason: pve.problem.reason,
      message: `${t.name}: cannot judge retention, the PVE facts of ${pveHost}: ${pve.problem.message}`,
    };
  const r = host.value.retention;
  if (!r)
    return {
      outcome: 'error',
      reason: 'not_collected',
      message: `${t.name}: /etc/vzdump.conf and the PVE version of ${pveHost} were not collected (a snapshot older than those commands): the policy in force cannot be known`,
    };
  if (!r.ok)
    return {
      outcome: 'error',
      reason: r.problem.reason,
      message: `${t.name}: cannot read the retention facts of ${pveHost}: ${r.problem.message}`,
    };
  const storage = storageStateOf(host.value);
  if ('problem' in storage)
    return {
      outcome: 'error',
      reason: storage.problem.reason,
      message: `${t.name}: cannot read storage.cfg of ${pveHost}: ${storage.problem.message}`,
    };
  const listed = t.kind === 'pve_storage' ? { value: host.value } : hostOf(state, t.host);
  if ('problem' in listed)
    return {
      outcome: 'error',
      reason: listed.problem.reason,
      message: `${t.name}: cannot count backups, host ${t.host} unreadable: ${listed.problem.message}`,
    };
  return { pveHost, pve: pve.value, record: listed.value, retention: r.value, storage: storage.value };
}

/** A pve_storage target's backups as prune items: the volid's name (file storages) or its PBS group type. */
function storageItems(
  index: RunIndex,
  host: HostRecord,
  t: PveStorageTarget,
  storage: PveStorageState,
): { items: BackupItem[]; evidence: Evidence[]; pbs: boolean } | Problem {
  const read = targetBackups(index, host, t);
  if ('problem' in read)
    return {
      outcome: 'error',
      reason: read.problem.reason,
      message: `${t.name}: cannot count backups: ${read.problem.message}`,
      evidence: read.evidence.slice(1),
    };
  const type =
    storage.storages.find((s) => s.id === t.storage)?.type ?? storage.config.find((c) => c.id === t.storage)?.type;
  const pbs = type === 'pbs';
  const items = read.backups.map((v): BackupItem => {
    const group = pbs ? /(?:^|\/)(vm|ct)\/\d+\//.exec(v.volid)?.[1] : undefined;
    return {
      name: v.volid,
      ctime: v.ctime!,
      protected: v.protected,
      ...(group ? { type: group === 'vm' ? 'qemu' : 'lxc' } : {}),
    };
  });
  if (pbs && items.some((i) => !i.type))
    return {
      outcome: 'error',
      reason: 'parse_error',
      message: `${t.name}: a PBS volid of VMID ${t.vmid} on ${t.storage} names no vm/ or ct/ group`,
      evidence: read.evidence.slice(1),
    };
  return { items, evidence: read.evidence.slice(1), pbs };
}

/** A dump folder's archives of the target's glob, each protected when its `.protected` sidecar is listed. */
function folderItems(
  index: RunIndex,
  host: HostRecord,
  t: FileGlobTarget,
): { items: BackupItem[]; evidence: Evidence[]; pbs: false } | Problem {
  const probe = host.commands.find((c) => c.basePath === t.basePath);
  const evidence: Evidence[] = probe ? [{ host: t.host, commandId: probe.id, command: probe.command }] : [];
  const listing = host.listings[t.basePath];
  if (!listing)
    return {
      outcome: 'error',
      reason: 'not_collected',
      message: `${t.name}: no listing of ${t.basePath} on ${t.host}`,
      evidence,
    };
  if (listing.status === 'error')
    return {
      outcome: 'error',
      reason: listing.reason,
      message: `${t.name}: listing ${t.basePath} on ${t.host} failed: ${listing.message}`,
      evidence,
    };
  if (listing.status === 'missing')
    return {
      outcome: 'skip',
      reason: 'no_backups',
      message: `${t.name}: ${t.basePath} does not exist on ${t.host} (see D19.freshness)`,
      evidence,
    };
  const isMatch = index.globMatcher(t.glob);
  const bad = (listing.malformed ?? []).filter(
    (r) => r.path === null || isMatch(r.path) || isMatch(r.path.replace(/\.protected$/, '')),
  );
  if (bad.length)
    return {
      outcome: 'error',
      reason: 'bad_listing_record',
      message: `${t.name}: listing record ${bad[0]!.record} of ${t.basePath} on ${t.host} does not read (${bad[0]!.problem}): the backups cannot be counted`,
      evidence,
    };
  const items: BackupItem[] = [];
  for (const d of dumpFiles(index, t.glob, listing.files))
    if (d.kind === 'archive')
      items.push({ name: d.file.path, ctime: Math.floor(d.file.mtime), protected: d.protected });
  return { items, evidence, pbs: false };
}
