// D69 VM-creation backup onboarding: has every active guest everything onboarding promises (an
// enabled inventory target of the right shape, an enabled vzdump job, a calendar event at the job's
// time, ssh access, a runtime unit, a restore SOP, an offsite decision), does every retired guest
// have none of it left, and is every guest a host runs in the lifecycle at all?
// Pure function of (bindings, host state, policy, now, checked SOP files) → findings. Check ids are a contract.

import { groupBy } from '../group-by.js';
import {
  noFile, type BackupCalendar, type CalendarEvent, type ClassScope, type InventoryTarget, type LifecycleGuest, type PveStorageTarget, type RuntimeUnit,
} from '../bindings/types.js';
import type { Evidence, Finding, PveState, Severity, VzdumpJob } from '../model.js';
import { eventForRun, eventsAtTime, flowEvent, hhmm, pveJobRuns, PUBLISH_CALENDAR, type Run } from '../calendar/schedule.js';
import { PVE_COMMANDS } from '../snapshot/probe.js';
import {
  bindingEvidence, findingsFor, isRepositoryRelative, NO_HOST_STATE, pveStateOf, skipForMissingFile, type Rule, type VerifyInput,
} from './input.js';
import { globMatcher, literalPrefix } from './glob-index.js';
import {
  enrolledVmids, globSubject, guestOf, hostFixPlan, INACTIVE_LIFECYCLE, jobsCfgEvidence, jobSelection, perPveHost, targetVmid, whyNotEnrolled,
} from './pve-helpers.js';

export const D69_CHECKS = [
  'D69.status', 'D69.backup-target', 'D69.target-enabled', 'D69.target-shape', 'D69.enrolled', 'D69.scheduled',
  'D69.ssh-target', 'D69.runtime-unit', 'D69.restore-sop', 'D69.offsite', 'D69.decommissioned-clean',
  'D69.unregistered-guest',
] as const;

export const LIFECYCLE_STATUSES = ['planning', 'provisioned', 'registered', 'active', 'decommissioned', 'abandoned'];

const { make } = findingsFor('D69');
type GuestCheck = (input: VerifyInput, g: LifecycleGuest) => Finding;

export const evaluateD69: Rule = (input) => {
  // Every D69 check starts from the lifecycle's guests (or, unregistered-guest, compares with them).
  if (!input.bindings.lifecycle) return skipForMissingFile('D69', D69_CHECKS, 'lifecycle');
  const guests = input.bindings.lifecycle.guests;
  const active = guests.filter((g) => g.status === 'active');
  const activeChecks: GuestCheck[] = [
    checkBackupTarget, checkTargetEnabled, checkTargetShape, checkEnrolled, checkScheduled, checkSshTarget,
    checkRuntimeUnit, checkRestoreSop, checkOffsite,
  ];
  return [
    ...guests.map(checkStatus),
    ...activeChecks.flatMap((check) => active.map((g) => check(input, g))),
    ...guests.filter((g) => INACTIVE_LIFECYCLE.has(g.status)).map((g) => checkDecommissionedClean(input, g)),
    ...checkUnregistered(input, guests),
  ];
};

// --- shared facts about one lifecycle guest -------------------------------------------------

const label = (g: LifecycleGuest) => `${g.vmType}/${g.id}${g.hostname ? ` (${g.hostname})` : ''}`;
const at = (entry: { source: { file: string; line: number } }) => `${entry.source.file}:${entry.source.line}`;
const ARCHIVE_EXT = { qemu: 'vma.zst', lxc: 'tar.zst' } as const;

function guestBase(check: string, g: LifecycleGuest, severity: Severity) {
  return { check, subject: `${g.vmType}/${g.id}`, host: g.proxmoxHost, severity, evidence: [bindingEvidence(g)] };
}

// Lookups every active guest makes, built once per binding list (bindings never change while
// gates run): a search of the whole inventory per guest and check made large estates quadratic.
function once<K extends object, V>(cache: WeakMap<K, V>, key: K, build: (key: K) => V): V {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = build(key)));
  return value;
}
const targetsByName = new WeakMap<readonly InventoryTarget[], Map<string, InventoryTarget[]>>();
const targetsBySubject = new WeakMap<readonly InventoryTarget[], Map<number | undefined, InventoryTarget[]>>();
const sshIds = new WeakMap<readonly { id: string }[], Set<string>>();
const vmUnits = new WeakMap<readonly RuntimeUnit[], Map<string | null, RuntimeUnit[]>>();
const jobMatches = new WeakMap<BackupCalendar, WeakMap<VzdumpJob, Map<string, JobMatch>>>();

function targetOf(input: VerifyInput, g: LifecycleGuest): InventoryTarget | undefined {
  if (g.backupTarget === null) return undefined;
  return once(targetsByName, input.bindings.inventory.targets, (ts) => groupBy(ts, (t) => t.name)).get(g.backupTarget)?.[0];
}

/** The hosts a guest's own-site targets live on: its hypervisor and the storage host the policy names for it. */
function siteHosts(input: VerifyInput, g: LifecycleGuest): string[] {
  const storage = input.bindings.policy.d69.storageHosts[g.proxmoxHost];
  return storage && storage !== g.proxmoxHost ? [g.proxmoxHost, storage] : [g.proxmoxHost];
}

/** The type the host reports when it can be read (what the archives are named after), else vm_type. */
function guestType(input: VerifyInput, g: LifecycleGuest): 'qemu' | 'lxc' {
  const pve = input.state ? pveStateOf(input.state, g.proxmoxHost) : null;
  const live = pve && 'value' in pve ? guestOf(pve.value, g.id) : undefined;
  return live?.type ?? g.vmType;
}

const ARCHIVE_NAMES = { qemu: ['vma.zst', 'vma.gz', 'vma.lzo', 'vma'], lxc: ['tar.zst', 'tar.gz', 'tar.lzo', 'tar'] } as const;
/** Names this guest's archives could have, as globCovers tests them. */
const archiveNames = (type: 'qemu' | 'lxc', vmid: number) => ARCHIVE_NAMES[type].map((ext) => `vzdump-${type}-${vmid}-2026_01_01-02_00_00.${ext}`);

/** A glob's last segment when it names vzdump archives: its compiled matcher and literal prefix. */
const vzdumpGlobs = new Map<string, { prefix: string; isMatch: (name: string) => boolean } | null>();
function vzdumpGlob(glob: string): { prefix: string; isMatch: (name: string) => boolean } | null {
  let known = vzdumpGlobs.get(glob);
  if (known === undefined) {
    const base = glob.split('/').pop() ?? '';
    // app-dump folders (`*.tar.gz`) hold no guest archives
    known = base.startsWith('vzdump-') ? { prefix: literalPrefix(base), isMatch: globMatcher(base) } : null;
    vzdumpGlobs.set(glob, known);
  }
  return known;
}

/** Whether a target's glob matches this guest's vzdump archives (its last segment, vzdump-named only). */
function globCovers(glob: string, type: 'qemu' | 'lxc', vmid: number): boolean {
  const g = vzdumpGlob(glob);
  return g !== null && archiveNames(type, vmid).some((name) => name.startsWith(g.prefix) && g.isMatch(name));
}

const targetsByGlobPrefix = new WeakMap<readonly InventoryTarget[], Map<string, number[]>>();
const groupTargetsByVmid = (ts: readonly InventoryTarget[]) => groupBy(ts, targetVmid);

/**
 * `targets.filter((t) => globCovers(t.glob, type, vmid))` plus the pve_storage targets of that VMID, without testing every target: a glob
 * covers a name only if its literal prefix starts the name, so only targets filed under one of
 * the names' prefixes are tested.
 */
function targetsCovering(targets: readonly InventoryTarget[], type: 'qemu' | 'lxc', vmid: number): InventoryTarget[] {
  const byPrefix = once(targetsByGlobPrefix, targets, (ts) => {
    const index = new Map<string, number[]>();
    ts.forEach((t, i) => {
      const g = t.kind === 'file_glob' ? vzdumpGlob(t.glob) : null;
      if (g) index.set(g.prefix, [...(index.get(g.prefix) ?? []), i]);
    });
    return index;
  });
  const found = new Set<number>();
  for (const name of archiveNames(type, vmid)) {
    for (let n = 1; n <= name.length; n++) for (const i of byPrefix.get(name.slice(0, n)) ?? []) found.add(i);
  }
  const byGlob = [...found].map((i) => targets[i]!).filter((t) => t.kind === 'file_glob' && globCovers(t.glob, type, vmid));
  // A pve_storage target names its guest by VMID: its backups on that storage are the guest's whatever their type.
  const byVmid = (once(targetsBySubject, targets, groupTargetsByVmid).get(vmid) ?? []).filter((t) => t.kind === 'pve_storage');
  return [...byGlob, ...byVmid].sort((a, b) => targets.indexOf(a) - targets.indexOf(b));
}

/** The guest's PVE host state, or the finding to give instead: skip without host state, error when unreadable. */
function hostPve(input: VerifyInput, base: ReturnType<typeof guestBase>, g: LifecycleGuest): { pve: PveState } | { finding: Finding } {
  if (!input.state) return { finding: make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${label(g)}: ${NO_HOST_STATE}` }) };
  const pve = pveStateOf(input.state, g.proxmoxHost);
  if ('problem' in pve) {
    return { finding: make({ ...base, outcome: 'error', reason: pve.problem.reason, message: `${label(g)}: cannot judge, ${pve.problem.message}` }) };
  }
  return { pve: pve.value };
}

/** Whether the policy requires something (SOP, offsite decision) of this guest; null when it cannot tell. */
function requiredFor(scope: ClassScope, t: InventoryTarget | undefined): boolean | null {
  if (scope === 'all') return true;
  if (!t) return null;
  return t.classification !== null && scope.includes(t.classification);
}

const scopeText = (scope: ClassScope) => (scope === 'all' ? 'all' : `[${scope.join(', ')}]`);

// --- D69.status -----------------------------------------------------------------------------

const STATUS_FIX: Record<string, string> = {
  template: 'a template is not lifecycle-governed: remove the entry (D69.unregistered-guest skips templates the lifecycle does not list)',
  planned: 'set `status: planning`',
  stopped: 'a stopped guest is still `active` until it is decommissioned: set `status: active` or `status: decommissioned`',
};

function checkStatus(g: LifecycleGuest): Finding {
  const base = guestBase('D69.status', g, 'low');
  if (LIFECYCLE_STATUSES.includes(g.status)) return make({ ...base, outcome: 'pass', message: `${label(g)}: status ${g.status}` });
  return make({
    ...base, outcome: 'fail', reason: 'status_not_in_enum',
    message: `${label(g)}: status "${g.status}" is not one of ${LIFECYCLE_STATUSES.join(', ')}, so no onboarding or decommission rule applies to it`,
    expected: `one of ${LIFECYCLE_STATUSES.join(', ')}`, actual: g.status,
    remediation: `In ${at(g)} (VMID ${g.id}): ${STATUS_FIX[g.status] ?? `set status to one of ${LIFECYCLE_STATUSES.join(', ')}`}.`,
  });
}

// --- the active guest's inventory target ----------------------------------------------------

function checkBackupTarget(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.backup-target', g, 'high');
  const t = targetOf(input, g);
  if (t) return make({ ...base, evidence: [...base.evidence, bindingEvidence(t)], outcome: 'pass', message: `${label(g)}: backup_target ${t.name} is an inventory target` });
  // The target whose glob names this guest's archives on its own site is what backup_target should say.
  const sameGuest = once(targetsBySubject, input.bindings.inventory.targets, groupTargetsByVmid).get(g.id) ?? [];
  const named = sameGuest.find((x) => siteHosts(input, g).includes(x.host));
  const type = guestType(input, g);
  const remediation = named
    ? `Set \`backup_target: ${named.name}\` on VMID ${g.id} in ${at(g)} (the inventory target whose glob names ${g.id}'s archives).`
    : `Add a target to backup.inventory.yaml (\`name: vm-${g.id}-${g.hostname ?? 'guest'}-primary, host: ${g.proxmoxHost}, glob: "vzdump-${type}-${g.id}-*.${ARCHIVE_EXT[type]}"\`) and set backup_target to its name in ${at(g)}.`;
  const missing = g.backupTarget === null;
  return make({
    ...base, outcome: 'fail', reason: missing ? 'no_backup_target' : 'unknown_target',
    message: missing ? `${label(g)} is active with no backup_target` : `${label(g)}: backup_target ${g.backupTarget} names no backup.inventory.yaml target`,
    expected: 'the name of an inventory target', actual: g.backupTarget ?? 'none', remediation,
  });
}

/** The guest's resolved target, or the skip finding of a check that is about that target. */
function withTarget(input: VerifyInput, g: LifecycleGuest, base: ReturnType<typeof guestBase>): { t: InventoryTarget } | { finding: Finding } {
  const t = targetOf(input, g);
  if (t) return { t };
  return { finding: make({ ...base, outcome: 'skip', reason: 'no_target', message: `${label(g)}: backup_target does not name an inventory target (see D69.backup-target)` }) };
}

function checkTargetEnabled(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.target-enabled', g, 'high');
  const found = withTarget(input, g, base);
  if ('finding' in found) return found.finding;
  const { t } = found;
  const evidence = [...base.evidence, bindingEvidence(t)];
  if (t.enabled) return make({ ...base, evidence, outcome: 'pass', message: `${label(g)}: ${t.name} is enabled` });
  return make({
    ...base, evidence, outcome: 'fail', reason: 'target_disabled',
    message: `${label(g)} is active but its target ${t.name} is disabled: nothing checks that it is backed up`,
    expected: 'enabled: true', actual: 'enabled: false',
    remediation: `Set \`enabled: true\` on ${t.name} in ${at(t)} (once its first archive exists), or set the guest's status in ${at(g)} to what it really is.`,
  });
}

function checkTargetShape(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.target-shape', g, 'high');
  const found = withTarget(input, g, base);
  if ('finding' in found) return found.finding;
  const { t } = found;
  if (t.kind === 'pve_storage') return checkStorageTargetShape(g, t, base);
  const hosts = siteHosts(input, g);
  const type = guestType(input, g);
  const wanted = `vzdump-${type}-${g.id}-*.${ARCHIVE_EXT[type]}`;
  const subject = globSubject(t.glob);
  const problems: Array<{ reason: string; text: string; fix: string }> = [];
  if (!hosts.includes(t.host)) {
    problems.push({ reason: 'wrong_host', text: `its host is ${t.host}, not ${hosts.join(' or ')}`, fix: `host: ${g.proxmoxHost}` });
  }
  if (subject?.vmid !== g.id || subject.type !== type) {
    const typeNote = type !== g.vmType ? ` (${g.proxmoxHost} reports it as ${type}; vm_type says ${g.vmType})` : '';
    problems.push({ reason: 'glob_mismatch', text: `its glob ${t.glob} does not name ${type} ${g.id}'s archives${typeNote}`, fix: `glob: "${wanted}"` });
  }
  const evidence = [...base.evidence, bindingEvidence(t)];
  const expected = `host ${hosts.join(' or ')}, glob vzdump-${type}-${g.id}-*`;
  if (!problems.length) return make({ ...base, evidence, expected, actual: `host ${t.host}, glob ${t.glob}`, outcome: 'pass', message: `${label(g)}: ${t.name} is on ${t.host} and names its archives` });
  return make({
    ...base, evidence, expected, actual: `host ${t.host}, glob ${t.glob}`, outcome: 'fail', reason: problems[0]!.reason,
    message: `${label(g)}: target ${t.name} would not hold its backups: ${problems.map((p) => p.text).join('; ')}`,
    remediation: `If ${t.name} is ${g.id}'s own target, set ${problems.map((p) => `\`${p.fix}\``).join(' and ')} on it in ${at(t)}; if it belongs to another guest, point backup_target in ${at(g)} at ${g.id}'s target.`,
  });
}

/** A pve_storage target is the guest's own when it is on the guest's PVE host and names its VMID. */
function checkStorageTargetShape(g: LifecycleGuest, t: PveStorageTarget, base: ReturnType<typeof guestBase>): Finding {
  const problems: Array<{ reason: string; text: string; fix: string }> = [];
  if (t.host !== g.proxmoxHost) problems.push({ reason: 'wrong_host', text: `its host is ${t.host}, not ${g.proxmoxHost}`, fix: `host: ${g.proxmoxHost}` });
  if (t.vmid !== g.id) problems.push({ reason: 'vmid_mismatch', text: `it expects VMID ${t.vmid}'s backups, not ${g.id}'s`, fix: `vmid: ${g.id}` });
  const evidence = [...base.evidence, bindingEvidence(t)];
  const facts = { evidence, expected: `host ${g.proxmoxHost}, vmid ${g.id}`, actual: `host ${t.host}, vmid ${t.vmid} (storage ${t.storage})` };
  if (!problems.length) return make({ ...base, ...facts, outcome: 'pass', message: `${label(g)}: ${t.name} expects its backups on storage ${t.storage} of ${t.host}` });
  return make({
    ...base, ...facts, outcome: 'fail', reason: problems[0]!.reason,
    message: `${label(g)}: target ${t.name} would not hold its backups: ${problems.map((p) => p.text).join('; ')}`,
    remediation: `If ${t.name} is ${g.id}'s own target, set ${problems.map((p) => `\`${p.fix}\``).join(' and ')} on it in ${at(t)}; if it belongs to another guest, point backup_target in ${at(g)} at ${g.id}'s target.`,
  });
}

// --- D69.enrolled, D69.scheduled (host state) -------------------------------------------------

function checkEnrolled(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.enrolled', g, 'high');
  const host = hostPve(input, base, g);
  if ('finding' in host) return host.finding;
  const { pve } = host;
  const evidence = [...base.evidence, jobsCfgEvidence(g.proxmoxHost)];
  if (!guestOf(pve, g.id)) {
    return make({
      ...base, evidence, outcome: 'fail', reason: 'guest_missing',
      message: `${label(g)} is active in the lifecycle but ${g.proxmoxHost} does not run VMID ${g.id}: nothing there can back it up`,
      expected: `VMID ${g.id} on ${g.proxmoxHost}`, actual: 'no such guest',
      remediation: `Fix proxmox_host or status of VMID ${g.id} in ${at(g)} (or create the guest).`,
    });
  }
  const jobs = enrolledVmids(pve).get(g.id);
  if (jobs) return make({ ...base, evidence, outcome: 'pass', message: `${label(g)} is backed up by ${jobs.map((j) => j.id).join(', ')}` });
  const { reason, why } = whyNotEnrolled(pve, g.id);
  return make({
    ...base, evidence, outcome: 'fail', reason,
    message: `${label(g)} is active but no enabled vzdump job on ${g.proxmoxHost} backs it up: ${why}`,
    expected: 'selected by an enabled vzdump job', actual: why,
    remediation: hostFixPlan(input, g.proxmoxHost, pve).enroll(g.id),
  });
}

interface JobMatch {
  job: VzdumpJob;
  /** null when every run of the job has its event. */
  reason: 'unrepresentable_schedule' | 'no_calendar_event' | null;
  text: string;
  events: CalendarEvent[];
  /** Events to add when some are missing (every one, so adding them clears the finding). */
  add: Record<string, unknown>[];
}

function checkScheduled(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.scheduled', g, 'medium');
  const calendar = input.bindings.calendar;
  if (!calendar) return make({ ...base, outcome: 'skip', reason: noFile('calendar'), message: `${label(g)}: the bindings have no backup.calendar.yaml` });
  const host = hostPve(input, base, g);
  if ('finding' in host) return host.finding;
  const jobs = enrolledVmids(host.pve).get(g.id);
  if (!jobs) return make({ ...base, outcome: 'skip', reason: 'not_enrolled', message: `${label(g)}: no enabled job backs it up, so there is no time to find in the calendar (see D69.enrolled)` });
  const zones = {
    calendar: calendar.timezone ?? input.bindings.inventory.defaults.timezone,
    host: input.state!.hosts[g.proxmoxHost]?.timezone ?? null,
  };
  const matches = jobs.map((job) => matchJobOnce(job, calendar, zones, input.now));
  const evidence = [...base.evidence, ...matches.flatMap((m) => [jobsCfgEvidence(g.proxmoxHost, m.job), ...m.events.map((e) => bindingEvidence(e))])];
  const failed = matches.find((m) => m.reason !== null);
  const message = `${label(g)}: ${matches.map((m) => m.text).join('; ')}`;
  if (!failed) return make({ ...base, evidence, outcome: 'pass', message });
  const add = matches.flatMap((m) => m.add);
  const reschedule = matches.filter((m) => m.reason === 'unrepresentable_schedule').map((m) => m.job.id);
  const file = calendar.events[0]?.source.file ?? 'backup.calendar.yaml';
  const more = add.length > 3 ? ` and ${add.length - 3} more` : '';
  return make({
    ...base, evidence, outcome: 'fail', reason: failed.reason, message,
    expected: 'a backup.calendar.yaml event at each time the job(s) run', actual: failed.text,
    remediation: [
      ...(add.length ? [`Add to events in ${file}: ${add.slice(0, 3).map((e) => `\`${flowEvent(e)}\``).join(', ')}${more}; then publish them (${PUBLISH_CALENDAR}).`] : []),
      ...reschedule.map((id) => `Give job ${id} on ${g.proxmoxHost} daily or weekday times the calendar can publish (e.g. \`pvesh set /cluster/backup/${id} --schedule 02:00\`).`),
    ].join(' '),
    // Only a remediation that is nothing but events to add is machine-applicable.
    ...(add.length && !reschedule.length ? { fix: add.map((value) => ({ file, path: ['events'], op: 'append' as const, value })) } : {}),
  });
}

/** matchJob, once per (job, zones, now): every guest a job backs up shares its match. */
function matchJobOnce(job: VzdumpJob, calendar: BackupCalendar, zones: { calendar: string | null; host: string | null }, now: string): JobMatch {
  const byJob = once(jobMatches, calendar, () => new WeakMap<VzdumpJob, Map<string, JobMatch>>());
  const byZones = once(byJob, job, () => new Map<string, JobMatch>());
  const key = JSON.stringify([zones.calendar, zones.host, now]);
  let match = byZones.get(key);
  if (!match) byZones.set(key, (match = matchJob(job, calendar, zones, now)));
  return match;
}

/** The job's runs as times of day in the calendar's zone, each with the event that publishes it. */
function matchJob(job: VzdumpJob, calendar: BackupCalendar, zones: { calendar: string | null; host: string | null }, now: string): JobMatch {
  const result = (reason: JobMatch['reason'], text: string, events: CalendarEvent[] = [], add: Record<string, unknown>[] = []): JobMatch =>
    ({ job, reason, text: `job ${job.id} (${job.schedule ?? 'no schedule'}): ${text}`, events, add });
  const runs = pveJobRuns(job.schedule, { from: zones.host, to: zones.calendar, now });
  if (!runs.ok) return result('unrepresentable_schedule', runs.why);
  const { freq } = runs;
  const everyHour = freq === 'HOURLY';
  const zoneNote = runs.shift ? ` (${zones.calendar} time on ${now.slice(0, 10)})` : '';
  const events: CalendarEvent[] = [];
  const missing: Run[] = [];
  for (const t of runs.runs) {
    const event = eventsAtTime(calendar.events, freq, t)[0];
    if (event) events.push(event); else missing.push(t);
  }
  const when = (t: Run) => (everyHour ? `:${String(t.minute).padStart(2, '0')} every hour` : hhmm(t));
  const dayNote = freq === 'WEEKLY' ? '; D69 matches by time: a WEEKLY event matches by time only and its day is not checked (radicale-calendar\'s calendar.job-has-event checks it)' : '';
  if (!missing.length) {
    return result(null, `${runs.runs.map(when).join(', ')}${zoneNote} ↔ ${freq} event(s) ${[...new Set(events.map((e) => e.id))].join(', ')}${dayNote}`, events);
  }
  // An id the calendar already has (the job's event at another time) gets the run's time appended.
  const taken = new Set(calendar.events.map((e) => e.id));
  const suffix = (t: Run) => (missing.length < 2 && !taken.has(job.id) ? '' : everyHour ? `-m${t.minute}` : `-${hhmm(t).replace(':', '')}`);
  const add = missing.map((t) => eventForRun(`${job.id}${suffix(t)}`, `vzdump job ${job.id}`, freq, t));
  const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
  return result('no_calendar_event', `no ${freq} event at ${missing.slice(0, 5).map(when).join(', ')}${more}${zoneNote}${dayNote}`, events, add);
}

// --- ssh target and runtime unit ----------------------------------------------------------------

function checkSshTarget(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.ssh-target', g, 'medium');
  if (!input.bindings.ssh) return make({ ...base, outcome: 'skip', reason: noFile('ssh'), message: `${label(g)}: the bindings have no ssh.targets.yaml` });
  const ids = once(sshIds, input.bindings.ssh.targets, (ts) => new Set(ts.map((t) => t.id)));
  // ssh_target when set, else the hostname: a set but dangling ssh_target is drift even if the hostname resolves.
  const id = g.sshTarget ?? g.hostname;
  const by = g.sshTarget ? 'ssh_target' : 'hostname';
  if (id && ids.has(id)) return make({ ...base, outcome: 'pass', message: `${label(g)}: ssh.targets.yaml has ${id} (by ${by})` });
  const hostnameFix = g.sshTarget && g.hostname && ids.has(g.hostname) ? ` (ssh.targets.yaml has ${g.hostname}: set \`ssh_target: ${g.hostname}\`)` : '';
  return make({
    ...base, outcome: 'fail', reason: g.sshTarget ? 'unknown_ssh_target' : 'no_ssh_target',
    message: id ? `${label(g)}: ${by} ${id} is not an ssh.targets.yaml target id` : `${label(g)} has neither ssh_target nor hostname`,
    expected: 'an ssh.targets.yaml entry', actual: id ? `${by} ${id}` : 'none',
    remediation: `Add \`{id: ${id ?? `vm-${g.id}`}, host: <address>, user: <user>}\` to ssh.targets.yaml targets, or fix ssh_target on VMID ${g.id} in ${at(g)}${hostnameFix}.`,
  });
}

const UNIT_FIELDS = [
  ['backup_profile', 'backupProfile'], ['data_class', 'dataClass'], ['destination_lane', 'destinationLane'],
  ['schedule_class', 'scheduleClass'], ['restore_class', 'restoreClass'],
] as const;

function checkRuntimeUnit(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.runtime-unit', g, 'medium');
  const units = input.bindings.inventory.runtimeUnits;
  if (!units) return make({ ...base, outcome: 'skip', reason: 'no_runtime_units', message: `${label(g)}: backup.inventory.yaml has no runtime_units` });
  const candidates = once(vmUnits, units, (us) => groupBy(us, (u) => u.hostname, (u) => u.kind === 'vm')).get(g.hostname) ?? [];
  const judged = candidates.map((u) => ({
    u, missing: UNIT_FIELDS.filter(([, key]) => !u[key]?.trim()).map(([field]) => field),
  }));
  const ready = judged.find((j) => !j.missing.length && j.u.backupAdmissionState === 'production_ready');
  if (ready) return make({ ...base, evidence: [...base.evidence, bindingEvidence(ready.u)], outcome: 'pass', message: `${label(g)}: runtime unit ${ready.u.unitId} is complete and production_ready` });
  const first = judged[0];
  if (!first) {
    return make({
      ...base, outcome: 'fail', reason: 'no_runtime_unit',
      message: `${label(g)}: no \`kind: vm\` runtime unit has hostname ${g.hostname ?? '(none: the guest has no hostname)'}`,
      expected: 'a kind: vm runtime unit for its hostname', actual: 'none',
      remediation: `Add to runtime_units in backup.inventory.yaml: \`{unit_id: vm-${g.id}-${g.hostname ?? 'guest'}, kind: vm, hostname: ${g.hostname ?? '<hostname>'}, backup_profile: …, data_class: …, destination_lane: …, schedule_class: …, restore_class: …, backup_admission_state: production_ready, inventory_targets: [${g.backupTarget ?? '<target>'}]}\`.`,
    });
  }
  const evidence = [...base.evidence, bindingEvidence(first.u)];
  if (first.missing.length) {
    return make({
      ...base, evidence, outcome: 'fail', reason: 'unit_incomplete',
      message: `${label(g)}: runtime unit ${first.u.unitId} has no ${first.missing.join(', ')}`,
      expected: UNIT_FIELDS.map(([f]) => f).join(', '), actual: `missing ${first.missing.join(', ')}`,
      remediation: `Set ${first.missing.join(', ')} on runtime unit ${first.u.unitId} in ${at(first.u)}.`,
    });
  }
  return make({
    ...base, evidence, outcome: 'fail', reason: 'not_production_ready',
    message: `${label(g)} is active but runtime unit ${first.u.unitId} is admitted as ${first.u.backupAdmissionState ?? '(nothing)'}`,
    expected: 'backup_admission_state: production_ready', actual: String(first.u.backupAdmissionState),
    remediation: `Once its backup is proven (fresh archive, restore test), set \`backup_admission_state: production_ready\` on ${first.u.unitId} in ${at(first.u)}.`,
  });
}

// --- restore SOP and offsite decision ---------------------------------------------------------

/** The D69 fields targets and guests share, with the same types. */
type RestoreFields = Pick<LifecycleGuest, 'restoreSop' | 'offsite'>;

/**
 * A restore field the policy may require of an active guest (its target's classification in
 * `scope`): where it is declared (the guest wins over its target), or the skip finding.
 */
function declaredField<K extends 'restoreSop' | 'offsite'>(
  input: VerifyInput, g: LifecycleGuest, base: ReturnType<typeof guestBase>, key: K, scope: ClassScope, policyField: string,
): { t: InventoryTarget | undefined; on: LifecycleGuest | InventoryTarget | null; value: RestoreFields[K] | null; evidence: Evidence[] } | { finding: Finding } {
  const t = targetOf(input, g);
  const required = requiredFor(scope, t);
  if (required === null) {
    return { finding: make({ ...base, outcome: 'skip', reason: 'no_target', message: `${label(g)}: backup_target does not name an inventory target, so its classification is unknown (see D69.backup-target)` }) };
  }
  if (!required) {
    return { finding: make({ ...base, outcome: 'skip', reason: 'not_required', message: `${label(g)}: ${t!.name} is ${t!.classification ?? 'unclassified'}; drift.gates.yaml d69.${policyField} is ${scopeText(scope)}, so none is required` }) };
  }
  const on = g[key] ? g : t?.[key] ? t : null;
  return { t, on, value: on ? (on as RestoreFields)[key] : null, evidence: [...base.evidence, ...(on && on !== g ? [bindingEvidence(on)] : [])] };
}

/** "(restore_sop on the guest or on <target>)": the places a missing field may go. */
const placesFor = (field: string, t: InventoryTarget | undefined) => `(${field} on the guest${t ? ` or on ${t.name}` : ''})`;

function checkRestoreSop(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.restore-sop', g, 'medium');
  const found = declaredField(input, g, base, 'restoreSop', input.bindings.policy.d69.restoreSopRequiredFor, 'restore_sop_required_for');
  if ('finding' in found) return found.finding;
  const { t, on, value: path, evidence } = found;
  if (!on || !path) {
    return make({
      ...base, outcome: 'fail', reason: 'no_restore_sop',
      message: `${label(g)}: no restore SOP declared ${placesFor('restore_sop', t)}`,
      expected: 'restore_sop: <path of the SOP>', actual: 'none',
      remediation: `Write its restore SOP (artifact paths, restore commands, post-restore checks, restore test) and add \`restore_sop: docs/restore/${g.hostname ?? g.id}.md\` to VMID ${g.id} in ${at(g)}${t ? ` or to ${t.name} in ${at(t)}` : ''}.`,
    });
  }
  if (!isRepositoryRelative(path)) {
    return make({
      ...base, evidence, outcome: 'fail', reason: 'sop_outside_repository',
      message: `${label(g)}: restore_sop ${path} is not a path inside the repository (absolute, or with a .. segment); it is not looked up`,
      expected: 'a path relative to the repository root', actual: path,
      remediation: `Keep the SOP in the repository and set restore_sop to its path relative to the repository root in ${at(on)}.`,
    });
  }
  const sops = input.restoreSops;
  if (!sops || !(path in sops.found)) return make({ ...base, evidence, outcome: 'skip', reason: 'not_checked', message: `${label(g)}: whether ${path} exists was not checked` });
  if (sops.found[path]) return make({ ...base, evidence, outcome: 'pass', message: `${label(g)}: restore SOP ${path} exists` });
  return make({
    ...base, evidence, outcome: 'fail', reason: 'sop_not_found',
    message: `${label(g)}: restore SOP ${path} (declared in ${at(on)}) does not exist under ${sops.root}`,
    expected: `file ${path}`, actual: 'missing', remediation: `Write ${path} in the repository, or fix restore_sop in ${at(on)}.`,
  });
}

function checkOffsite(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.offsite', g, 'medium');
  const found = declaredField(input, g, base, 'offsite', input.bindings.policy.d69.offsiteRequiredFor, 'offsite_required_for');
  if ('finding' in found) return found.finding;
  const { t, on: decidedOn, value: decision, evidence } = found;
  if (!decidedOn || !decision) {
    return make({
      ...base, outcome: 'fail', reason: 'no_offsite_decision',
      message: `${label(g)}: no offsite decision recorded ${placesFor('offsite', t)}`,
      expected: 'offsite: {required: true|false, reason}', actual: 'none',
      remediation: `Decide and record it on VMID ${g.id} in ${at(g)}: \`offsite: {required: true, reason: "…"}\` (then add an enabled target on the offsite host that holds its archives), or \`offsite: {required: false, reason: "<why the local copy is enough>"}\`.`,
    });
  }
  if (!decision.required) {
    if (decision.reason?.trim()) return make({ ...base, evidence, outcome: 'pass', message: `${label(g)}: no offsite copy required: ${decision.reason}` });
    return make({
      ...base, evidence, outcome: 'fail', reason: 'no_offsite_reason',
      message: `${label(g)}: offsite.required is false with no reason: an unexplained "no" is not a decision`,
      expected: 'offsite.reason', actual: 'none',
      remediation: `Add \`reason: "<why the local copy is enough>"\` to offsite in ${at(decidedOn)}.`,
    });
  }
  const type = guestType(input, g);
  const home = siteHosts(input, g);
  const copies = targetsCovering(input.bindings.inventory.targets, type, g.id).filter((x) => isOffsiteCopy(input, x, home));
  const enabled = copies.filter((x) => x.enabled);
  if (enabled.length) {
    return make({ ...base, evidence: [...evidence, ...enabled.map((x) => bindingEvidence(x))], outcome: 'pass', message: `${label(g)}: offsite copy required and held by ${enabled.map((x) => `${x.name} on ${x.host}`).join(', ')}` });
  }
  const disabled = copies.length ? ` (${copies.map((x) => x.name).join(', ')} would, but is disabled)` : '';
  return make({
    ...base, evidence: [...evidence, ...copies.map((x) => bindingEvidence(x))], outcome: 'fail', reason: 'no_offsite_target',
    message: `${label(g)}: an offsite copy is required, but no enabled target on a host other than ${home.join(' and ')} holds its archives${disabled}`,
    expected: `an enabled target off ${home.join('/')} whose glob matches vzdump-${type}-${g.id}-*`, actual: 'none',
    remediation: `Add an enabled target on the offsite host to backup.inventory.yaml (\`glob: "vzdump-${type}-${g.id}-*.${ARCHIVE_EXT[type]}"\`) with the sync job that fills it, or record \`offsite: {required: false, reason: "…"}\` in ${at(decidedOn)}.`,
  });
}

/**
 * Whether a target holding the guest's backups is off its site: on another host, or (pve_storage)
 * on a storage of its host that `d69.offsite_storages` says lives elsewhere (a remote PBS).
 */
function isOffsiteCopy(input: VerifyInput, t: InventoryTarget, home: string[]): boolean {
  if (!home.includes(t.host)) return true;
  return t.kind === 'pve_storage' && (input.bindings.policy.d69.offsiteStorages[t.host] ?? []).includes(t.storage);
}

// --- decommissioned guests ------------------------------------------------------------------

function checkDecommissionedClean(input: VerifyInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.decommissioned-clean', g, 'medium');
  const problems: Array<{ reason: string; text: string; fix: string; evidence?: Evidence }> = [];
  if (g.backupTarget !== null) {
    const gone = targetOf(input, g) ? '' : ' (a target the inventory no longer has)';
    problems.push({ reason: 'backup_target_set', text: `backup_target is still ${g.backupTarget}${gone}`, fix: `Set \`backup_target: null\` on VMID ${g.id} in ${at(g)}.` });
  }
  for (const t of input.bindings.inventory.targets.filter((x) => x.enabled && (x.name === g.backupTarget || targetVmid(x) === g.id))) {
    problems.push({
      reason: 'enabled_target', text: `enabled target ${t.name} still expects its backups`, evidence: bindingEvidence(t),
      fix: `Set \`enabled: false\` on ${t.name} in ${at(t)} with a description (retired with VMID ${g.id}), or remove it.`,
    });
  }
  let hostNote = '';
  const pve = input.state ? pveStateOf(input.state, g.proxmoxHost) : null;
  if (pve && 'value' in pve) {
    for (const job of enrolledVmids(pve.value).get(g.id) ?? []) {
      problems.push({ reason: 'in_enabled_job', text: `enabled job ${job.id} still backs it up`, evidence: jobsCfgEvidence(g.proxmoxHost, job), fix: dropFromJob(input, g, pve.value, job) });
    }
  } else {
    const why = pve ? `${g.proxmoxHost} unreadable: ${pve.problem.message}` : NO_HOST_STATE;
    if (!problems.length) {
      return make({ ...base, outcome: pve ? 'error' : 'skip', reason: pve ? pve.problem.reason : NO_HOST_STATE, message: `${label(g)}: its bindings are clean; its jobs cannot be judged (${why})` });
    }
    hostNote = ` (jobs not judged: ${why})`;
  }
  const evidence = [...base.evidence, ...problems.flatMap((p) => (p.evidence ? [p.evidence] : []))];
  const expected = 'no backup_target, no enabled target, in no enabled job';
  if (!problems.length) return make({ ...base, evidence, expected, actual: 'none left', outcome: 'pass', message: `${label(g)} is ${g.status}: no backup_target, no enabled target, in no enabled job` });
  return make({
    ...base, evidence, expected, actual: problems.map((p) => p.text).join('; '), outcome: 'fail', reason: problems[0]!.reason,
    message: `${label(g)} is ${g.status} but ${problems.map((p) => p.text).join('; ')}${hostNote}`,
    remediation: [...new Set(problems.map((p) => p.fix))].join(' '),
  });
}

/** How to take a retired guest out of a job: the host's one fix line for vmid lists, else exclude / leave the pool. */
function dropFromJob(input: VerifyInput, g: LifecycleGuest, pve: PveState, job: VzdumpJob): string {
  if (job.pool !== null) return `On ${g.proxmoxHost}: \`pvesh set /pools/${job.pool} --vms ${g.id} --delete 1\` (job ${job.id} backs up pool ${job.pool}).`;
  if (job.vmids) return hostFixPlan(input, g.proxmoxHost, pve).drop(job);
  return `On ${g.proxmoxHost}: \`pvesh set /cluster/backup/${job.id} --exclude ${[...job.exclude, g.id].join(',')}\` (job ${job.id} backs up every guest), or destroy the guest.`;
}

// --- guests the hosts run -------------------------------------------------------------------

function checkUnregistered(input: VerifyInput, guests: LifecycleGuest[]): Finding[] {
  const listed = new Map(guests.map((g) => [g.id, g]));
  return perPveHost(input, 'D69.unregistered-guest', (hostId, pve) => {
    if (pve.guests.length === 0) {
      return [make({ check: 'D69.unregistered-guest', subject: hostId, host: hostId, severity: 'high', outcome: 'skip', reason: 'no_guests', message: `${hostId}: the host reports no guests` })];
    }
    const evidence: Evidence[] = [{ host: hostId, commandId: 'guests', command: PVE_COMMANDS.find((c) => c.id === 'guests')!.command }];
    return [...pve.guests].sort((a, b) => a.vmid - b.vmid).map((x) => {
      const base = { check: 'D69.unregistered-guest', subject: `${x.type}/${x.vmid}`, host: hostId, severity: 'high' as const, evidence };
      const name = `${x.type}/${x.vmid}${x.name ? ` (${x.name})` : ''}`;
      const entry = listed.get(x.vmid);
      if (entry) return make({ ...base, evidence: [...evidence, bindingEvidence(entry)], outcome: 'pass', message: `${name} is in vm.lifecycle.yaml (${entry.status})` });
      if (x.template) return make({ ...base, outcome: 'skip', reason: 'template', message: `${name} is a template the lifecycle does not list` });
      return make({
        ...base, outcome: 'fail', reason: 'not_in_lifecycle',
        message: `${name} runs on ${hostId} but is not in vm.lifecycle.yaml: nobody onboarded it`,
        expected: 'a vm.lifecycle.yaml entry', actual: 'none',
        remediation: `Register it in vm.lifecycle.yaml: \`{id: ${x.vmid}, hostname: ${x.name ?? '<hostname>'}, proxmox_host: ${hostId}, status: active${x.type === 'lxc' ? ', vm_type: lxc' : ''}, backup_target: <target>, ssh_target: <id>}\`, then onboard it (target, job, calendar); or, if nobody owns it, take a last backup and destroy it.`,
      });
    });
  });
}
