// Loads a bindings folder into typed, normalised Bindings, or every problem found in it:
// all files are read, validated and cross-checked before answering.
// Only backup.inventory.yaml is required: an estate adopts the others one at a time, and a file
// that is not there yet makes the checks that need it skip (`no vm.lifecycle.yaml`), never the run.

import { resolve } from 'node:path';
import {
  normaliseCalendar,
  normaliseCalendarHome,
  normaliseDrills,
  normaliseInventory,
  normaliseLifecycle,
  normalisePolicy,
  normaliseSchedule,
  normaliseSsh,
  normaliseWaivers,
} from './normalise.js';
import { gateIds } from '../catalogue/gates.js';
import { compileSchema, type Validator } from './schema.js';
import calendarSchema from './schemas/backup.calendar.schema.json' with { type: 'json' };
import inventorySchema from './schemas/backup.inventory.schema.json' with { type: 'json' };
import scheduleSchema from './schemas/backup.schedule.schema.json' with { type: 'json' };
import calendarHomeSchema from './schemas/calendar.home.contract.schema.json' with { type: 'json' };
import policySchema from './schemas/drift.gates.schema.json' with { type: 'json' };
import sshSchema from './schemas/ssh.targets.schema.json' with { type: 'json' };
import lifecycleSchema from './schemas/vm.lifecycle.schema.json' with { type: 'json' };
import waiversSchema from './schemas/drift.waivers.schema.json' with { type: 'json' };
import drillsSchema from './schemas/restore.drills.schema.json' with { type: 'json' };
import { readSource, type Source } from './source.js';
import type { BindingError, Bindings, SshTargets } from './types.js';

export type LoadResult = { ok: true; bindings: Bindings } | { ok: false; errors: BindingError[] };

const FILES = {
  ssh: { name: 'ssh.targets.yaml', required: false, validate: compileSchema(sshSchema) },
  inventory: { name: 'backup.inventory.yaml', required: true, validate: compileSchema(inventorySchema) },
  lifecycle: { name: 'vm.lifecycle.yaml', required: false, validate: compileSchema(lifecycleSchema) },
  calendar: { name: 'backup.calendar.yaml', required: false, validate: compileSchema(calendarSchema) },
  schedule: { name: 'backup.schedule.yaml', required: false, validate: compileSchema(scheduleSchema) },
  calendarHome: { name: 'calendar.home.contract.yaml', required: false, validate: compileSchema(calendarHomeSchema) },
  policy: { name: 'drift.gates.yaml', required: false, validate: compileSchema(policySchema) },
  waivers: { name: 'drift.waivers.yaml', required: false, validate: compileSchema(waiversSchema) },
  drills: { name: 'restore.drills.yaml', required: false, validate: compileSchema(drillsSchema) },
} satisfies Record<string, { name: string; required: boolean; validate: Validator }>;

export async function loadBindings(dir: string): Promise<LoadResult> {
  const root = resolve(dir);
  const errors: BindingError[] = [];
  const digests: Record<string, string> = {};
  // Sequential on purpose: digests and errors come out in the same order on every run.
  const load = async ({ name, required, validate }: (typeof FILES)[keyof typeof FILES]): Promise<Source | null> => {
    const src = await readSource(root, name, required, errors, digests);
    return src && validate(src) ? src : null;
  };

  const sshSrc = await load(FILES.ssh);
  const ssh = sshSrc && normaliseSsh(sshSrc);
  // References into ssh.targets.yaml are only checked against a file that loaded.
  const sshIds = ssh && new Set(ssh.targets.map((t) => t.id));
  const inventorySrc = await load(FILES.inventory);
  const inventory = inventorySrc && normaliseInventory(inventorySrc, sshIds);
  const lifecycleSrc = await load(FILES.lifecycle);
  const lifecycle = lifecycleSrc && normaliseLifecycle(lifecycleSrc, sshIds);
  const calendarSrc = await load(FILES.calendar);
  const calendar = calendarSrc && normaliseCalendar(calendarSrc);
  const scheduleSrc = await load(FILES.schedule);
  const calendarHomeSrc = await load(FILES.calendarHome);
  const policySrc = await load(FILES.policy);
  const policy = normalisePolicy(policySrc, sshIds);
  const waivers = normaliseWaivers(await load(FILES.waivers), gateIds());
  // Drill targets are only checked against an inventory that loaded.
  const drills = normaliseDrills(await load(FILES.drills), inventory && new Set(inventory.targets.map((t) => t.name)));

  if (errors.length || !inventory) {
    return { ok: false, errors: errors.sort(byFileThenPosition) };
  }
  return {
    ok: true,
    bindings: {
      dir: root,
      inventory,
      lifecycle,
      ssh,
      calendar,
      schedule: scheduleSrc && normaliseSchedule(scheduleSrc),
      calendarHome: calendarHomeSrc && normaliseCalendarHome(calendarHomeSrc),
      policy,
      waivers,
      drills,
      digests,
    },
  };
}

function byFileThenPosition(a: BindingError, b: BindingError): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/** ssh.targets.yaml alone, for `ops init` (before any other binding exists); null when it is absent. */
export async function loadSshTargets(
  dir: string,
): Promise<{ ok: true; ssh: SshTargets | null } | { ok: false; errors: BindingError[] }> {
  const errors: BindingError[] = [];
  const src = await readSource(resolve(dir), FILES.ssh.name, false, errors, {});
  const ssh = src && FILES.ssh.validate(src) ? normaliseSsh(src) : null;
  return errors.length ? { ok: false, errors } : { ok: true, ssh };
}
