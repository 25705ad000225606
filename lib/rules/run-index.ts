// The lookups the rules make thousands of times on a large estate (a guest by VMID, the jobs that back
// a guest up, the files a glob matches…), built once per judged run and handed to every check with
// its input: a scan per guest and check made large estates quadratic. Each lookup is built on first
// use and lives as long as the run's input; nothing is kept between runs, and the bindings and host
// state never change while a run is judged, so no lookup can go stale.

import picomatch from 'picomatch';
import type { InventoryTarget, LifecycleGuest, RuntimeUnit } from '../bindings/types.js';
import { groupBy } from '../group-by.js';
import type { BackupVolume, FileEntry, Guest, PveState, VzdumpJob } from '../model.js';
import { vzdumpGlobSubject } from '../pve/archives.js';
import { selectGuests } from '../pve/jobs-cfg.js';
import { ListingIndex } from './glob-index.js';
import type { VerifyInput } from './input.js';

/** What every check judges: the run's input and its index. */
export interface RunInput extends VerifyInput {
  readonly index: RunIndex;
}

/** The input with a fresh index: each gate's entry point calls it once. */
export const indexed = (input: VerifyInput): RunInput => ({ ...input, index: new RunIndex(input) });

// Shell-glob semantics as the operator's `ls -- $GLOB` had them: no braces, no extglobs, no dotfiles.
const GLOB_OPTIONS = { dot: false, nobrace: true, noextglob: true } as const;

/**
 * A table of facts a rule derives and keeps for the run (RunIndex.remember), named where the rule
 * declares it. The key holds no data; the run's index does.
 */
export class Derived<K, V> {
  constructor(readonly name: string) {}
  /** Only here so that two tables of different types never pass for one another. */
  declare private readonly types: [K, V];
}

/** Facts one host's PVE state gives, each computed once. Callers must not change what they return. */
export class PveIndex {
  private readonly selections = new Map<VzdumpJob, number[]>();
  private guestsByVmid?: Map<number, Guest>;
  private enrolledByVmid?: Map<number, VzdumpJob[]>;

  constructor(readonly pve: PveState) {}

  /** The guest the host reports under this VMID (the first, as `pve.guests.find` would). */
  guest(vmid: number): Guest | undefined {
    if (!this.guestsByVmid) {
      this.guestsByVmid = new Map();
      for (const g of this.pve.guests) if (!this.guestsByVmid.has(g.vmid)) this.guestsByVmid.set(g.vmid, g);
    }
    return this.guestsByVmid.get(vmid);
  }

  /** `selectGuests(job, pve.guests, pve.pools)`: the VMIDs the job backs up. */
  selection(job: VzdumpJob): number[] {
    let ids = this.selections.get(job);
    if (!ids) this.selections.set(job, (ids = selectGuests(job, this.pve.guests, this.pve.pools)));
    return ids;
  }

  /** Every VMID an enabled job on this host backs up, with the jobs that do. */
  get enrolled(): Map<number, VzdumpJob[]> {
    if (!this.enrolledByVmid) {
      this.enrolledByVmid = new Map();
      for (const job of this.pve.jobs) {
        if (!job.enabled) continue;
        for (const vmid of this.selection(job)) {
          const jobs = this.enrolledByVmid.get(vmid);
          if (jobs) jobs.push(job);
          else this.enrolledByVmid.set(vmid, [job]);
        }
      }
    }
    return this.enrolledByVmid;
  }
}

export class RunIndex {
  private readonly bindings: VerifyInput['bindings'];
  private readonly globs = new Map<string, (path: string) => boolean>();
  private readonly subjects = new Map<string, ReturnType<typeof vzdumpGlobSubject>>();
  private readonly hosts = new Map<PveState, PveIndex>();
  private readonly listings = new Map<readonly FileEntry[], ListingIndex>();
  private readonly contents = new Map<readonly BackupVolume[], Map<number, BackupVolume[]>>();
  private readonly derived = new Map<Derived<unknown, unknown>, Map<unknown, unknown>>();
  private lifecycle?: Map<number, LifecycleGuest>;
  private targetsByName?: Map<string, InventoryTarget[]>;
  private targetsByVmid?: Map<number | undefined, InventoryTarget[]>;
  private sshIds?: Set<string>;
  private vmUnits?: Map<string | null, RuntimeUnit[]>;

  constructor(input: VerifyInput) {
    this.bindings = input.bindings;
  }

  /** The lifecycle's guests by VMID. */
  get lifecycleById(): Map<number, LifecycleGuest> {
    return (this.lifecycle ??= new Map((this.bindings.lifecycle?.guests ?? []).map((g) => [g.id, g])));
  }

  /** The first inventory target of that name. */
  targetNamed(name: string): InventoryTarget | undefined {
    this.targetsByName ??= groupBy(this.bindings.inventory.targets, (t) => t.name);
    return this.targetsByName.get(name)?.[0];
  }

  /** The inventory targets whose backups are this guest's (targetVmid), in inventory order. */
  targetsOfVmid(vmid: number): InventoryTarget[] {
    this.targetsByVmid ??= groupBy(this.bindings.inventory.targets, (t) => this.targetVmid(t));
    return this.targetsByVmid.get(vmid) ?? [];
  }

  /** Whether ssh.targets.yaml has a target with this id. */
  isSshTarget(id: string): boolean {
    this.sshIds ??= new Set(this.bindings.ssh?.targets.map((t) => t.id));
    return this.sshIds.has(id);
  }

  /** The inventory's `vm` runtime units of this hostname. */
  vmUnitsOf(hostname: string | null): RuntimeUnit[] {
    this.vmUnits ??= groupBy(
      this.bindings.inventory.runtimeUnits ?? [],
      (u) => u.hostname,
      (u) => u.kind === 'vm',
    );
    return this.vmUnits.get(hostname) ?? [];
  }

  /** The glob's matcher, compiled once per glob text. */
  globMatcher(glob: string): (path: string) => boolean {
    let isMatch = this.globs.get(glob);
    if (!isMatch) this.globs.set(glob, (isMatch = picomatch(glob, GLOB_OPTIONS)));
    return isMatch;
  }

  /** `vzdumpGlobSubject(glob)`: the guest a vzdump glob names, parsed once per glob text. */
  globSubject(glob: string): ReturnType<typeof vzdumpGlobSubject> {
    if (!this.subjects.has(glob)) this.subjects.set(glob, vzdumpGlobSubject(glob));
    return this.subjects.get(glob)!;
  }

  /** The guest whose backups a target expects: a pve_storage target's vmid, or the guest a vzdump glob names. */
  targetVmid(t: InventoryTarget): number | undefined {
    return t.kind === 'pve_storage' ? t.vmid : this.globSubject(t.glob)?.vmid;
  }

  /** The facts of one host's PVE state. */
  pve(pve: PveState): PveIndex {
    let host = this.hosts.get(pve);
    if (!host) this.hosts.set(pve, (host = new PveIndex(pve)));
    return host;
  }

  /** The files the glob matches, in listing order: `files.filter((f) => globMatcher(glob)(f.path))`. */
  filesMatching(glob: string, files: readonly FileEntry[]): FileEntry[] {
    return this.listing(files).matching(glob, this.globMatcher(glob));
  }

  /** The files whose path starts with `prefix`, in listing order. */
  filesStartingWith(prefix: string, files: readonly FileEntry[]): FileEntry[] {
    return this.listing(files).startingWith(prefix);
  }

  /** A storage content list's dated backups of one VMID (a PBS datastore lists every guest of every host using it). */
  backupsOf(volumes: readonly BackupVolume[], vmid: number): BackupVolume[] {
    let byVmid = this.contents.get(volumes);
    if (!byVmid) {
      byVmid = groupBy(
        volumes,
        (v) => v.vmid!,
        (v) => v.vmid !== null && v.ctime !== null,
      );
      this.contents.set(volumes, byVmid);
    }
    return byVmid.get(vmid) ?? [];
  }

  /** `build()`, once per key of the rule's table for this run: every caller with that key gets the same value. */
  remember<K, V>(table: Derived<K, V>, key: K, build: () => V): V {
    let values = this.derived.get(table) as Map<K, V> | undefined;
    if (!values) this.derived.set(table, (values = new Map()) as Map<unknown, unknown>);
    if (values.has(key)) return values.get(key)!;
    const value = build();
    values.set(key, value);
    return value;
  }

  private listing(files: readonly FileEntry[]): ListingIndex {
    let listing = this.listings.get(files);
    if (!listing) this.listings.set(files, (listing = new ListingIndex(files)));
    return listing;
  }
}
