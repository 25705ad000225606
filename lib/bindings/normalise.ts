// From schema-valid data to the typed bindings: pick the variant field names real history used,
// apply documented defaults, and check what a schema cannot (uniqueness, references between files).
// Each function runs only on data its schema accepted, so the raw shapes below hold.

import type {
  RawCalendarFile,
  RawCalendarHomeFile,
  RawDrillsFile,
  RawInventoryFile,
  RawLifecycleFile,
  RawPolicyFile,
  RawScheduleFile,
  RawSshFile,
} from './schemas/raw-types.generated.js';
import { describeValue, type FieldPath, type Source } from './source.js';
import {
  DEFAULT_MIN_RESTORE_POINTS,
  DEFAULT_UID_SCHEME,
  type BackupCalendar,
  type BackupInventory,
  type BackupSchedule,
  type CalendarHomeContract,
  type ClassScope,
  type GatePolicy,
  type RelayPolicy,
  type RestoreDrill,
  type SshTargets,
  type VmLifecycle,
  type Waiver,
} from './types.js';

/** Ids of ssh.targets.yaml, in file order; null when that file could not be loaded (no cross-checks then). */
export type SshIds = ReadonlySet<string> | null;

// The data each schema accepted, typed by the schema itself (schema-codegen.mjs writes the namespaces).
type RawTarget = RawInventoryFile.Target;
type RawInventory = RawInventoryFile.File;
type RawGuest = RawLifecycleFile.Guest;
type RawLifecycle = RawLifecycleFile.File;
type RawSsh = RawSshFile.File;
type RawCalendar = RawCalendarFile.File;
type RawSchedule = RawScheduleFile.File;
type RawCalendarHome = RawCalendarHomeFile.File;
type RawPolicy = RawPolicyFile.File;
type RawRelay = NonNullable<RawPolicy['relay']>;
/** The restore fields targets and guests share. */
type RawRestoreFields = Pick<RawTarget, 'restore_sop' | 'offsite' | 'description' | 'notes'>;
/** A class scope as the schema accepts it: a list of classifications, or a string its pattern allows only as "all". Default [critical]. */
const classScope = (v: RawPolicyFile.ClassScope | undefined): ClassScope =>
  v === undefined ? ['critical'] : typeof v === 'string' ? 'all' : v;

/** The change date, under either name real history used. */
type RawUpdated = Pick<RawLifecycle, 'updated' | 'updated_at'>;

export function normaliseSsh(src: Source): SshTargets {
  const { defaults, targets } = (src.data as RawSsh).ssh;
  requireUnique(
    src,
    targets,
    (t) => t.id,
    (i) => ['ssh', 'targets', i, 'id'],
    'target id',
  );
  const ids = new Set(targets.map((t) => t.id));
  // Built once: per target it made loading quadratic in the number of ssh targets (7 s for 5,000).
  const via = new Map(targets.map((t) => [t.id, t.probe_via]));
  return {
    defaults: {
      user: defaults.user,
      port: defaults.port ?? 22,
      connectTimeoutSec: defaults.connect_timeout_sec ?? null,
    },
    targets: targets.map((t, i) => {
      const path = ['ssh', 'targets', i];
      if (t.probe_via !== undefined && (t.probe_via === t.id || !ids.has(t.probe_via))) {
        src.report(
          [...path, 'probe_via'],
          `the id of another ssh target (${listSome(ids)})`,
          describeValue(t.probe_via),
        );
      } else {
        const loop = probeViaLoop(via, t.id);
        if (loop)
          src.report(
            [...path, 'probe_via'],
            'a probe_via chain that ends at a target reached directly',
            `a loop: ${loop.join(' → ')}`,
          );
      }
      return {
        id: t.id,
        host: t.host,
        user: t.user ?? defaults.user,
        port: t.port ?? defaults.port ?? 22,
        probeVia: t.probe_via ?? null,
        connectTimeoutSec: t.connect_timeout_sec ?? defaults.connect_timeout_sec ?? null,
        source: src.ref(path),
      };
    }),
  };
}

/** The probe_via chain from `id` back to itself (`a → b → a`), or null when `id` is on no loop. */
function probeViaLoop(via: ReadonlyMap<string, string | undefined>, id: string): string[] | null {
  const chain = [id];
  for (let next = via.get(id); next !== undefined && chain.length <= via.size; next = via.get(next)) {
    chain.push(next);
    if (next === id) return chain;
  }
  return null;
}

export function normaliseInventory(src: Source, sshIds: SshIds): BackupInventory {
  const raw = src.data as RawInventory;
  const { defaults } = raw;
  requireUnique(
    src,
    raw.targets,
    (t) => t.name,
    (i) => ['targets', i, 'name'],
    'target name',
  );
  return {
    version: raw.version,
    defaults: {
      timezone: defaults.timezone ?? null,
      staleAfterHours: defaults.stale_after_hours,
      sshTimeoutSec: defaults.ssh_timeout_sec ?? null,
    },
    targets: raw.targets.map((t, i) => {
      const path = ['targets', i];
      requireSshId(src, [...path, 'host'], t.host, sshIds);
      const common = {
        name: t.name,
        enabled: t.enabled,
        host: t.host,
        staleAfterHours: t.stale_after_hours ?? null,
        minSizeBytes: t.min_size_bytes ?? null,
        classification: t.classification ?? null,
        ...restoreFields(t),
        source: src.ref(path),
      };
      return t.kind === 'pve_storage'
        ? { ...common, kind: t.kind, storage: t.storage!, vmid: t.vmid! }
        : { ...common, kind: t.kind, basePath: t.base_path!, glob: t.glob! };
    }),
    targetsSource: src.keyRef('targets'),
    model: raw.model ?? null,
    runtimeUnits:
      raw.runtime_units?.map((u, i) => ({
        unitId: u.unit_id,
        kind: u.kind,
        hostname: u.hostname,
        backupProfile: u.backup_profile ?? null,
        dataClass: u.data_class ?? null,
        destinationLane: u.destination_lane ?? null,
        scheduleClass: u.schedule_class ?? null,
        restoreClass: u.restore_class ?? null,
        backupAdmissionState: u.backup_admission_state ?? null,
        inventoryTargets: u.inventory_targets ?? [],
        source: src.ref(['runtime_units', i]),
      })) ?? null,
  };
}

export function normaliseLifecycle(src: Source, sshIds: SshIds): VmLifecycle {
  const raw = src.data as RawLifecycle;
  const defaultHost = raw.defaults?.proxmox_host;
  if (defaultHost !== undefined) requireSshId(src, ['defaults', 'proxmox_host'], defaultHost, sshIds);
  // The schema guarantees exactly one of `id` and the older `vmid`.
  const idField = (g: RawGuest) => (g.id !== undefined ? 'id' : 'vmid');
  requireUnique(
    src,
    raw.vms,
    (g) => g[idField(g)] as number,
    (i) => ['vms', i, idField(raw.vms[i] as RawGuest)],
    'VMID',
  );
  return {
    version: raw.version,
    updated: updatedOf(raw),
    defaults: { proxmoxHost: defaultHost ?? null },
    guests: raw.vms.map((g, i) => {
      const path = ['vms', i];
      if (g.proxmox_host !== undefined) requireSshId(src, [...path, 'proxmox_host'], g.proxmox_host, sshIds);
      else if (defaultHost === undefined) {
        src.report([...path, 'proxmox_host'], 'a proxmox_host here or in defaults.proxmox_host', 'neither', 'parent');
      }
      return {
        id: g[idField(g)] as number,
        hostname: g.hostname ?? null,
        proxmoxHost: g.proxmox_host ?? defaultHost ?? '', // '' only with an error reported above
        status: g.status,
        vmType: g.vm_type ?? 'qemu',
        backupTarget: g.backup_target ?? null,
        sshTarget: g.ssh_target ?? null,
        ...restoreFields(g),
        decommissionedAt: g.decommissioned_at ?? null,
        source: src.ref(path),
      };
    }),
  };
}

export function normaliseCalendar(src: Source): BackupCalendar {
  const raw = src.data as RawCalendar;
  return {
    version: raw.version,
    updated: updatedOf(raw),
    timezone: raw.timezone ?? null,
    dtstartDate: raw.dtstart_date ?? null,
    calendarName: raw.calendar_name ?? null,
    events: raw.events.map((e, i) => ({
      id: e.id,
      summary: e.summary,
      freq: e.freq,
      byhour: e.byhour ?? null,
      byminute: e.byminute ?? null,
      durationMinutes: e.duration_minutes ?? null,
      description: e.description ?? null,
      byday: e.byday ?? null,
      bymonthday: e.bymonthday ?? null,
      source: src.ref(['events', i]),
    })),
    eventsSource: src.keyRef('events'),
  };
}

export function normaliseSchedule(src: Source): BackupSchedule {
  const raw = src.data as RawSchedule;
  return {
    version: raw.version,
    timezone: raw.timezone ?? null,
    jobs: raw.jobs.map((j, i) => ({
      id: j.id,
      enabled: j.enabled,
      kind: j.kind,
      host: j.host ?? null,
      scheduleCron: j.schedule_cron ?? null,
      inventoryTargets: [
        ...(j.inventory_target === undefined ? [] : [j.inventory_target]),
        ...(j.inventory_targets ?? []),
      ],
      source: src.ref(['jobs', i]),
    })),
  };
}

export function normaliseCalendarHome(src: Source): CalendarHomeContract {
  const { home } = src.data as RawCalendarHome;
  return {
    host: home?.host ?? null,
    baseUrl: home?.endpoint?.base_url ?? null,
    calendarCollection: home?.endpoint?.calendar_collection ?? null,
  };
}

/** drift.gates.yaml, or its documented defaults when there is no such file (src null). */
export function normalisePolicy(src: Source | null, sshIds: SshIds): GatePolicy {
  const raw = (src?.data ?? {}) as RawPolicy;
  const storageHosts = raw.d69?.storage_hosts ?? {};
  const offsiteStorages = raw.d69?.offsite_storages ?? {};
  if (src) {
    for (const pveHost of Object.keys(offsiteStorages))
      requireSshId(src, ['d69', 'offsite_storages', pveHost], pveHost, sshIds);
    raw.pve_hosts?.forEach((host, i) => requireSshId(src, ['pve_hosts', i], host, sshIds));
    for (const [pveHost, storageHost] of Object.entries(storageHosts)) {
      requireSshId(src, ['d69', 'storage_hosts', pveHost], pveHost, sshIds);
      requireSshId(src, ['d69', 'storage_hosts', pveHost], storageHost, sshIds);
    }
  }
  const from = raw.notify?.from ?? null;
  const domain = raw.relay?.sender_domain?.toLowerCase();
  if (src && from && domain && from.slice(from.lastIndexOf('@') + 1).toLowerCase() !== domain) {
    src.report(['notify', 'from'], `an address @${domain} (relay.sender_domain)`, describeValue(from));
  }
  return {
    thresholds: { critical: 26, important: 48, rebuildable: 168, ...raw.thresholds },
    pveHosts: raw.pve_hosts ?? null,
    repositoryRoot: raw.repository_root ?? null,
    d19: {
      storageFullPercent: raw.d19?.storage_full_percent ?? 90,
      verifyMaxAgeDays: raw.d19?.verify_max_age_days ?? { critical: 7 },
      restoreDrillMaxAgeDays: raw.d19?.restore_drill_max_age_days ?? { critical: 90 },
      minSizeRatio: raw.d19?.min_size_ratio ?? 0.5,
      retention: {
        minRestorePoints: {
          critical: raw.d19?.retention?.critical?.min_restore_points ?? DEFAULT_MIN_RESTORE_POINTS.critical,
          important: raw.d19?.retention?.important?.min_restore_points ?? DEFAULT_MIN_RESTORE_POINTS.important,
          rebuildable: raw.d19?.retention?.rebuildable?.min_restore_points ?? DEFAULT_MIN_RESTORE_POINTS.rebuildable,
        },
        allowUnbounded: raw.d19?.retention?.allow_unbounded ?? [],
      },
    },
    d69: {
      restoreSopRequiredFor: classScope(raw.d69?.restore_sop_required_for),
      offsiteRequiredFor: classScope(raw.d69?.offsite_required_for),
      sshTargetRequiredFor:
        raw.d69?.ssh_target_required_for === undefined ? 'all' : classScope(raw.d69.ssh_target_required_for),
      storageHosts,
      offsiteStorages,
    },
    relay: src && raw.relay ? normaliseRelay(src, raw.relay, sshIds) : null,
    calendar: raw.calendar
      ? {
          url: raw.calendar.url ?? null,
          uidScheme: raw.calendar.uid_scheme ?? DEFAULT_UID_SCHEME,
          credentialsFile: raw.calendar.credentials_file ?? null,
        }
      : null,
    notify: { from, cooldownHours: raw.notify?.cooldown_hours ?? 24 },
  };
}

/** `relay:` of drift.gates.yaml with its defaults; hosts named must be ssh targets, and `mail` keys in `hosts` when it is set. */
function normaliseRelay(src: Source, relay: RawRelay, sshIds: SshIds): RelayPolicy {
  relay.hosts?.forEach((host, i) => requireSshId(src, ['relay', 'hosts', i], host, sshIds));
  for (const host of Object.keys(relay.mail ?? {})) {
    requireSshId(src, ['relay', 'mail', host], host, sshIds);
    if (relay.hosts && !relay.hosts.includes(host))
      src.report(
        ['relay', 'mail', host],
        `a host in relay.hosts (${relay.hosts.join(', ')})`,
        describeValue(host),
        'key',
      );
  }
  return {
    host: relay.host.toLowerCase(),
    port: relay.port ?? 465,
    tls: relay.tls ?? 'implicit',
    hosts: relay.hosts ?? null,
    allowedRecipients: relay.allowed_recipients,
    senderDomain: relay.sender_domain?.toLowerCase() ?? null,
    maxQueueAgeMinutes: relay.max_queue_age_minutes ?? 60,
    failOnDeferred: relay.fail_on_deferred ?? false,
    mail: relay.mail ?? {},
    source: src.ref(['relay']),
  };
}

/** drift.waivers.yaml: gates must exist, dates be real, and a gate, check and subject appear once. */
export function normaliseWaivers(src: Source | null, gateIds: readonly string[]): Waiver[] {
  if (!src) return [];
  const raw = (src.data as { waivers: Omit<Waiver, 'source'>[] }).waivers;
  raw.forEach((w, i) => {
    if (!gateIds.includes(w.gate))
      src.report(['waivers', i, 'gate'], `a gate id (one of ${gateIds.join(', ')})`, describeValue(w.gate));
    const day = Date.parse(`${w.expires}T00:00:00Z`);
    if (Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== w.expires) {
      src.report(['waivers', i, 'expires'], 'a real UTC date YYYY-MM-DD', describeValue(w.expires));
    }
  });
  requireUnique(
    src,
    raw,
    (w) => `${w.gate} ${w.check} ${w.subject}`,
    (i) => ['waivers', i, 'subject'],
    'gate, check and subject',
  );
  return raw.map((w, i) => ({
    gate: w.gate,
    check: w.check,
    subject: w.subject,
    justification: w.justification,
    owner: w.owner,
    expires: w.expires,
    source: src.ref(['waivers', i]),
  }));
}

/** `description` (or the older `notes`) and the D69 restore fields, shared by targets and guests. */
function restoreFields(raw: RawRestoreFields) {
  return {
    description: raw.description ?? raw.notes ?? null,
    restoreSop: raw.restore_sop ?? null,
    offsite: raw.offsite ? { required: raw.offsite.required, reason: raw.offsite.reason ?? null } : null,
  };
}

function updatedOf(raw: RawUpdated): string | null {
  return raw.updated ?? raw.updated_at ?? null;
}

function requireSshId(src: Source, path: FieldPath, id: string, sshIds: SshIds): void {
  if (sshIds && !sshIds.has(id))
    src.report(path, `an ssh.targets.yaml target id (${listSome(sshIds)})`, describeValue(id));
}

/** Reports every repeat of a key at the repeat, naming the line of the first use. */
function requireUnique<T>(
  src: Source,
  items: T[],
  key: (item: T) => string | number,
  path: (i: number) => FieldPath,
  what: string,
): void {
  const first = new Map<string | number, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const prev = first.get(k);
    if (prev === undefined) first.set(k, i);
    else
      src.report(path(i), `a unique ${what}`, `${describeValue(k)}, already used at line ${src.ref(path(prev)).line}`);
  });
}

/** "one of a, b, c": at most ten ids, so an error stays one readable line. */
function listSome(ids: ReadonlySet<string>): string {
  const shown = [...ids].slice(0, 10);
  const more = ids.size - shown.length;
  return `one of ${shown.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
}

/** restore.drills.yaml: each drill names an inventory target, on a real date. */
export function normaliseDrills(src: Source | null, targetNames: ReadonlySet<string> | null): RestoreDrill[] | null {
  if (!src) return null;
  const { drills } = src.data as RawDrillsFile.File;
  return drills.map((d, i) => {
    if (targetNames && !targetNames.has(d.target))
      src.report(['drills', i, 'target'], 'a target name of backup.inventory.yaml', describeValue(d.target));
    const day = Date.parse(`${d.date}T00:00:00Z`);
    if (Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== d.date)
      src.report(['drills', i, 'date'], 'a real UTC date YYYY-MM-DD', describeValue(d.date));
    return {
      target: d.target,
      date: d.date,
      result: d.result,
      by: d.by,
      notes: d.notes ?? null,
      evidence: d.evidence ?? null,
      source: src.ref(['drills', i]),
    };
  });
}
