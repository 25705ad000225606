// D19.restore-drill: was the target's backup restored recently, and did that restore work?
// Evidence from PVE itself (restore tasks of the task index whose log names a backup of the target's
// guest; one of another copy than the target's says so) and from people (restore.drills.yaml). The newest drill
// decides.

import type { InventoryTarget, RestoreDrill } from '../../bindings/types.js';
import type {
  Evidence,
  Finding,
  HostRecord,
  RestoreSource,
  RestoreTask,
  RestoreTasks,
  StateProblem,
} from '../../model.js';
import { restoreOutcome } from '../../pve/task-index.js';
import { RESTORE_COMMANDS } from '../../snapshot/probe.js';
import { instantMs } from '../../time/instants.js';
import { bindingEvidence, hostOf, NO_HOST_STATE } from '../input.js';
import type { RunIndex, RunInput } from '../run-index.js';
import { make, judgeEachTarget, FUTURE_MTIME_TOLERANCE_S, isoOf, type FreshnessBase } from './shared.js';
import { storageStateOf } from './storage-backups.js';

const CHECK = 'D19.restore-drill';
const RESTORE_COMMAND = RESTORE_COMMANDS.find((c) => c.id === 'restore-tasks')!;

/** One drill, from either source. */
interface Drill {
  /** Epoch seconds: a task's end, a binding drill's day at 00:00 UTC. */
  at: number;
  ok: boolean;
  source: 'pve' | 'restore.drills.yaml';
  /** `restore task UPID:… on pve-shop (qmrestore into 9101 from …)` or `restore.drills.yaml:12 (by alice)`. */
  text: string;
  evidence: Evidence;
}

export function checkRestoreDrills(input: RunInput): Finding[] {
  return judgeEachTarget(input, CHECK, (t, base, pveHosts) => judgeDrill(input, t, base, pveHosts));
}

function judgeDrill(input: RunInput, t: InventoryTarget, base: FreshnessBase, pveHosts: string[]): Finding {
  const maxDays = t.classification ? input.bindings.policy.d19.restoreDrillMaxAgeDays[t.classification] : undefined;
  const evidence: Evidence[] = [bindingEvidence(t)];
  if (maxDays === undefined) {
    return make({
      ...base,
      outcome: 'skip',
      reason: 'not_required',
      evidence,
      message: `${t.name}: drift.gates.yaml d19.restore_drill_max_age_days sets no age for ${t.classification ?? 'unclassified'} targets`,
    });
  }
  if (!input.state)
    return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` });
  const capture = instantMs(input.state.capturedAt);
  if (capture === null)
    return make({
      ...base,
      outcome: 'error',
      reason: 'bad_capture_time',
      evidence,
      message: `${t.name}: the snapshot's capture time ${input.state.capturedAt} is no real time: no drill can be aged`,
    });
  const captureS = Math.floor(capture / 1000);

  const drills: Drill[] = (input.bindings.drills ?? []).filter((d) => d.target === t.name).map(bindingDrill);
  const pve = pveDrills(input, t, pveHosts);
  drills.push(...pve.drills);
  evidence.push(...pve.evidence);
  const unattributed = pve.unattributed.filter((u) => u.task.end !== null && captureS - u.task.end <= maxDays * 86400);
  if (unattributed.length) {
    const first = unattributed[0]!;
    pve.notes.push(
      `${unattributed.length} restore task(s) within ${maxDays} days name no backup the probe could read (${describe(first.task, first.hostId)}: ${first.task.sourceProblem ?? 'its log was not read: gone, or beyond the newest 64'}), so they count for no target`,
    );
  }
  const notes = pve.notes.length ? `; ${pve.notes.join('; ')}` : '';

  const future = drills.filter((d) => d.at > captureS + FUTURE_MTIME_TOLERANCE_S);
  if (future.length) {
    return make({
      ...base,
      outcome: 'error',
      reason: 'future_drill',
      evidence: [...evidence, ...future.map((d) => d.evidence)],
      message: `${t.name}: a drill is dated after the capture time ${input.state.capturedAt} (${future[0]!.text}): a clock or a date is wrong, so the newest drill cannot be known`,
      remediation: "Fix the date in restore.drills.yaml, or the node's clock (`timedatectl`).",
    });
  }
  const newest = drills.reduce<Drill | null>(
    (a, d) => (a === null || d.at > a.at || (d.at === a.at && !d.ok) ? d : a),
    null,
  );
  if (newest) evidence.push(newest.evidence);
  const ageDays = newest ? Math.max(0, (captureS - newest.at) / 86400) : null;
  const last = newest
    ? `the last drill was ${isoOf(newest.at).slice(0, 10)} (${Math.floor(ageDays!)} days ago): ${newest.text}`
    : 'no drill was ever recorded';
  const facts = {
    expected: `a restore drill that worked within ${maxDays}d`,
    actual: newest ? `${newest.ok ? 'ok' : 'failed'} ${Math.floor(ageDays!)}d ago` : 'never',
    drill: newest ? { at: newest.at, ok: newest.ok, source: newest.source } : { at: null, ok: null, source: null },
  };

  // What could not be read may hold a newer drill (a failed one, or the one that proves it): an
  // error, never a pass or a fail. A task log that cannot be read only matters when its task ended after the newest
  // drill.
  const problems = pve.problems.filter((p) => p.at === undefined || newest === null || p.at >= newest.at);
  if (problems.length) {
    const first = problems[0]!;
    return make({
      ...base,
      outcome: 'error',
      reason: first.reason,
      evidence,
      message: `${t.name}: cannot judge its restore drills: ${problems.map((p) => p.message).join('; ')}; ${last}`,
      remediation:
        "Take a new snapshot (`ops snapshot`) so the restore-tasks command is recorded, and check that the probe's user can read /var/log/pve/tasks/ (index, index.1, active and the task logs).",
    });
  }
  if (newest?.ok && ageDays! <= maxDays) {
    return make({
      ...base,
      ...facts,
      outcome: 'pass',
      evidence,
      message: `${t.name}: restored ${Math.floor(ageDays!)} days ago (within ${maxDays}): ${newest.text}${notes}`,
    });
  }
  const remediation = drillRemediation(input, t, maxDays, base.target?.guest?.startsWith('lxc/') ? 'lxc' : 'qemu');
  if (newest && !newest.ok) {
    return make({
      ...base,
      ...facts,
      outcome: 'fail',
      reason: 'drill_failed',
      evidence,
      remediation,
      message: `${t.name}: the last restore drill failed, ${isoOf(newest.at).slice(0, 10)}: ${newest.text}${notes}`,
    });
  }
  return make({
    ...base,
    ...facts,
    outcome: 'fail',
    reason: 'no_recent_drill',
    evidence,
    remediation,
    message: `${t.name}: no restore drill within ${maxDays} days; ${last}${notes}`,
  });
}

function bindingDrill(d: RestoreDrill): Drill {
  const where = `${d.source.file}:${d.source.line}`;
  return {
    at: Date.parse(`${d.date}T00:00:00Z`) / 1000,
    ok: d.result === 'ok',
    source: 'restore.drills.yaml',
    text: `${where} (${d.result}, by ${d.by}${d.notes ? `: ${d.notes}` : ''})`,
    evidence: {
      file: d.source.file,
      line: d.source.line,
      detail: `${d.date} ${d.result} by ${d.by}${d.evidence ? `, evidence ${d.evidence}` : ''}`,
    },
  };
}

/** `at`: when the unread task ended (it matters only if after the newest drill); absent: could be any time. */
interface PveDrills {
  drills: Drill[];
  problems: (StateProblem & { at?: number })[];
  notes: string[];
  evidence: Evidence[];
  /** Ended restore tasks whose log named no backup (gone, not read, a tar archive): they count for no target. */
  unattributed: { task: RestoreTask; hostId: string }[];
}

/**
 * The restore tasks of the PVE hosts that can restore the target's guest: the target's own host
 * when it is a PVE host, and every PVE host whose cluster lists the guest. A target naming no guest
 * (an application dump) has only restore.drills.yaml.
 */
function pveDrills(input: RunInput, t: InventoryTarget, pveHosts: string[]): PveDrills {
  const out: PveDrills = { drills: [], problems: [], notes: [], evidence: [], unattributed: [] };
  const vmid = input.index.targetVmid(t);
  if (vmid === undefined) return out;
  const hosts = new Set<string>();
  if (pveHosts.includes(t.host)) hosts.add(t.host);
  for (const h of pveHosts) {
    const rec = input.state!.hosts[h];
    if (rec?.status === 'ok' && rec.pve?.ok && input.index.pve(rec.pve.value).guest(vmid)) hosts.add(h);
  }
  for (const hostId of hosts) {
    const host = hostOf(input.state!, hostId);
    if ('problem' in host) {
      out.problems.push({ reason: host.problem.reason, message: `host ${hostId} unreadable: ${host.problem.message}` });
      continue;
    }
    const restores = restoresOf(host.value);
    out.evidence.push({ host: hostId, commandId: RESTORE_COMMAND.id });
    if ('problem' in restores) {
      out.problems.push({
        reason: restores.problem.reason,
        message: `the restore tasks of ${hostId}: ${restores.problem.message}`,
      });
      continue;
    }
    const { tasks, malformed } = restores.value;
    if (malformed.length) {
      out.problems.push({
        reason: 'bad_task_record',
        message: `${malformed.length} restore task record(s) of ${hostId} do not read (${malformed[0]})`,
      });
    }
    const fromCopy = copyMatcher(input.index, t, host.value);
    for (const task of tasks) {
      const outcome = restoreOutcome(task);
      if (task.source) {
        if (task.source.vmid !== vmid) continue;
        // A drill proves the guest's backups restore; one of another copy (the PBS copy of a target on
        // a dump folder) counts too, and says so.
        const copy = fromCopy(task.source)
          ? ''
          : ` (another copy of ${vmid} than this target's ${t.kind === 'file_glob' ? t.glob : t.storage})`;
        if (outcome === 'running') {
          out.notes.push(
            `a restore is still running on ${hostId} since ${isoOf(task.start)} (${describe(task, hostId)}): it counts once it ends OK`,
          );
          continue;
        }
        if (outcome === 'unknown') {
          out.notes.push(`${describe(task, hostId)} ended without a status`);
          continue;
        }
        out.drills.push({
          at: task.end!,
          ok: outcome === 'ok',
          source: 'pve',
          text: `${describe(task, hostId)} ended ${isoOf(task.end!)} ${task.status}${task.vmid === vmid ? ` (a restore over VMID ${vmid} itself)` : ''}${copy}`,
          evidence: { host: hostId, commandId: RESTORE_COMMAND.id, detail: `${task.upid} ${task.status ?? ''}`.trim() },
        });
      } else if (outcome === 'ok' || outcome === 'failed') {
        // Its log could not be read: it may be this guest's drill.
        if (task.sourceProblem?.includes('cannot be read'))
          out.problems.push({
            reason: 'log_unreadable',
            at: task.end!,
            message: `${describe(task, hostId)}: ${task.sourceProblem}`,
          });
        else out.unattributed.push({ task, hostId });
      }
    }
  }
  return out;
}

function describe(task: RestoreTask, hostId: string): string {
  const into = task.vmid === null ? '' : ` into ${task.vmid}`;
  const from = task.source ? ` from ${task.source.archive}` : '';
  return `${task.type}${into}${from} on ${hostId} (${task.upid})`;
}

function restoresOf(host: HostRecord): { value: RestoreTasks } | { problem: StateProblem } {
  if (!host.restores)
    return {
      problem: {
        reason: 'not_collected',
        message: `not in the snapshot (taken before the restore-tasks command existed)`,
      },
    };
  return host.restores.ok ? { value: host.restores.value } : { problem: host.restores.problem };
}

/**
 * Whether a restore read the target's copy (said in the drill's text when not): a file_glob target's archive name
 * matches its glob; a
 * pve_storage target's backup is on its storage (its volid, its folder, or a PBS VM image read from
 * the storage's server and datastore: pbs-restore names the repository, not the storage id).
 */
function copyMatcher(index: RunIndex, t: InventoryTarget, host: HostRecord): (s: RestoreSource) => boolean {
  if (t.kind === 'file_glob') {
    const isMatch = index.globMatcher(t.glob.split('/').pop()!);
    return (s) => (s.kind === 'vma' || s.kind === 'lxc') && isMatch(s.archive.split(/[/:]/).pop()!);
  }
  const facts = storageStateOf(host);
  const config = 'value' in facts ? facts.value.config.find((c) => c.id === t.storage) : undefined;
  const type =
    'value' in facts ? (facts.value.storages.find((s) => s.id === t.storage)?.type ?? config?.type) : undefined;
  return (s) => {
    if (s.archive.startsWith(`${t.storage}:`)) return true;
    if (s.kind === 'pbs-vm')
      return type === 'pbs' && pbsRepositoryIs(s.repository, config?.server ?? null, config?.datastore ?? null);
    return config?.path != null && s.archive.startsWith(`${config.path}/`);
  };
}

/**
 * Whether pbs-restore's repository (`user@realm@server[:port]:datastore`, PVE::PBSClient get_repository,
 * an IPv6 server in brackets) is this storage's server and datastore. Unknown either way: the
 * storage type alone decides (a restore that names no repository is still a restore from a PBS).
 */
function pbsRepositoryIs(repository: string | undefined, server: string | null, datastore: string | null): boolean {
  if (repository === undefined || datastore === null) return true;
  if (!repository.endsWith(`:${datastore}`)) return false;
  if (server === null) return true;
  const host = repository
    .slice(0, -datastore.length - 1)
    .split('@')
    .pop()!;
  return (
    host === server ||
    host === `[${server}]` ||
    host.replace(/:\d+$/, '') === server ||
    host.replace(/:\d+$/, '') === `[${server}]`
  );
}

/** The exact restore to a scratch VMID, and the line that records it. */
function drillRemediation(input: RunInput, t: InventoryTarget, maxDays: number, guestType: 'qemu' | 'lxc'): string {
  const today = input.state!.capturedAt.slice(0, 10);
  const record = `record it in restore.drills.yaml: \`- {target: ${t.name}, date: ${today}, result: ok, by: <you>, notes: "<what you checked>"}\``;
  const vmid = input.index.targetVmid(t);
  const type = t.kind === 'file_glob' ? (input.index.globSubject(t.glob)?.type ?? guestType) : guestType;
  const archive =
    t.kind === 'pve_storage'
      ? `<the newest volid of ${t.vmid} on ${t.storage} (\`pvesh get /nodes/<node>/storage/${t.storage}/content --content backup --vmid ${t.vmid}\`)>`
      : `${t.basePath}/<the newest ${t.glob}>`;
  const at = ` on ${t.host}`;
  if (vmid !== undefined && type !== 'lxc') {
    return `Restore the newest backup to a scratch VMID at least every ${maxDays} days${at}: \`qmrestore ${archive} $(pvesh get /cluster/nextid) --storage <a storage for disk images> --unique 1\`, then \`qm set <that vmid> --net0 <…>,link_down=1\` (or an isolated bridge), \`qm start <that vmid>\` and check the service answers; destroy it afterwards (PVE's task index then shows the drill). A drill Proxmox cannot see: ${record}.`;
  }
  if (vmid !== undefined) {
    return `Restore the newest backup to a scratch CT ID at least every ${maxDays} days${at}: \`pct restore $(pvesh get /cluster/nextid) ${archive} --storage <a storage for container volumes> --unique 1\`, start it with its network down and check the service; destroy it afterwards (PVE's task index then shows the drill). A drill Proxmox cannot see: ${record}.`;
  }
  const what = t.kind === 'file_glob' ? `${t.basePath}/<the newest ${t.glob}>` : archive;
  return `Restore ${what} into a scratch place (a test database, a temporary folder) at least every ${maxDays} days and check the data, then ${record}.`;
}
