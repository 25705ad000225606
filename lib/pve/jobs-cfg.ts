// /etc/pve/jobs.cfg → VzdumpJob[], and which guests a job covers (pve-manager PVE/VZDump.pm
// verify_vzdump_parameters, get_included_guests).

import type { Guest, VzdumpJob } from '../model.js';
import { sortedUnique, splitList } from './lists.js';
import { parseSectionConfig, type Section } from './section-config.js';

export function parseJobsCfg(text: string): { jobs: VzdumpJob[]; warnings: string[] } {
  const { sections, warnings } = parseSectionConfig(text);
  // realm-sync and any other job type share the file; only vzdump jobs back up guests.
  const jobs = sections.filter((s) => s.type === 'vzdump').map((s) => toJob(s, warnings));
  return { jobs, warnings };
}

function toJob(section: Section, warnings: string[]): VzdumpJob {
  const { keys } = section;
  const warn = (message: string) => warnings.push(`line ${section.line}: job '${section.id}': ${message}`);
  const options = { ...keys };
  if (keys.comment !== undefined) options.comment = decodeText(keys.comment);
  // Empty values count as unset, as PVE rejects them for these string keys.
  const pool = keys.pool || null;
  return {
    id: section.id,
    line: section.line,
    enabled: parseBool(keys, 'enabled', true, warn),
    schedule: keys.schedule || null,
    vmids: keys.vmid === undefined ? null : parseVmids(keys.vmid, 'vmid', warn),
    // `exclude` "assumes --all" unless a pool is named (verify_vzdump_parameters).
    all: parseBool(keys, 'all', false, warn) || (keys.exclude !== undefined && pool === null),
    exclude: parseVmids(keys.exclude ?? '', 'exclude', warn),
    pool,
    node: keys.node || null,
    storage: keys.storage || null,
    options,
  };
}

// The schema accepts exactly '0'/'1'; a bare key means 1. An invalid value drops the key, so the default applies.
function parseBool(
  keys: Record<string, string>,
  key: string,
  fallback: boolean,
  warn: (message: string) => void,
): boolean {
  const value = keys[key];
  if (value === undefined) return fallback;
  if (value === '1' || value === '') return true;
  if (value === '0') return false;
  warn(`'${key}' must be 0 or 1, got '${value}'; using the default ${fallback ? 1 : 0}`);
  return fallback;
}

// check_vmids: digits only, leading zeros dropped, 0 skipped.
function parseVmids(text: string, key: string, warn: (message: string) => void): number[] {
  const vmids: number[] = [];
  for (const item of splitList(text)) {
    if (!/^\d+$/.test(item)) {
      warn(`'${key}' entry '${item}' is not a VMID, ignored`);
      continue;
    }
    const vmid = Number(item);
    if (vmid !== 0) vmids.push(vmid);
  }
  return sortedUnique(vmids);
}

// PVE::Tools::decode_text: %XX byte escapes, then UTF-8 (invalid bytes become U+FFFD, never an error).
function decodeText(text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (escapes) =>
    Buffer.from(escapes.replaceAll('%', ''), 'hex').toString('utf8'),
  );
}

/**
 * VMIDs a job backs up, in PVE's precedence: pool (existing members, `exclude` ignored) → vmid
 * (as listed, even guests that no longer exist: they fail visibly in the run) → all minus exclude
 * → nothing. With `node` set, guests hosted elsewhere are dropped; unknown ids have no node and stay.
 * Disabled jobs are not filtered here.
 */
export function selectGuests(job: VzdumpJob, guests: Guest[], pools: Record<string, number[]>): number[] {
  const byId = new Map(guests.map((g) => [g.vmid, g]));
  let ids: number[] = [];
  if (job.pool !== null) {
    const members = Object.hasOwn(pools, job.pool) ? (pools[job.pool] ?? []) : [];
    ids = members.filter((id) => byId.has(id));
  } else if (job.vmids !== null) {
    ids = job.vmids;
  } else if (job.all) {
    ids = guests.map((g) => g.vmid).filter((id) => !job.exclude.includes(id));
  }
  const onNode = (id: number) => {
    const node = byId.get(id)?.node;
    return job.node === null || node === undefined || node === job.node;
  };
  return sortedUnique(ids.filter(onNode));
}
