// D19.storage: is every storage a backup goes to enabled, active and not full?

import type { Evidence, Finding, PveState } from '../../model.js';
import { perPveHost } from '../pve-helpers.js';
import type { RunInput } from '../run-index.js';
import { make, enabledTargets, enabledJobsOn } from './shared.js';
import { storageProbe, storageStateOf, storageOf } from './storage-backups.js';

/**
 * Every storage an enabled pve_storage target on this host, or an enabled job running on its node (any node: null),
 * writes to.
 */
function storagesInUse(input: RunInput, hostId: string, node: string | null, pve: PveState): Map<string, string[]> {
  const users = new Map<string, string[]>();
  const use = (storage: string, by: string) => users.set(storage, [...(users.get(storage) ?? []), by]);
  for (const t of enabledTargets(input))
    if (t.kind === 'pve_storage' && t.host === hostId) use(t.storage, `target ${t.name}`);
  for (const j of enabledJobsOn(pve, node)) if (j.storage !== null) use(j.storage, `job ${j.id}`);
  return users;
}

const bytesText = (n: number) => (n >= 2 ** 40 ? `${(n / 2 ** 40).toFixed(2)} TiB` : `${(n / 2 ** 30).toFixed(1)} GiB`);

export function checkStorages(input: RunInput): Finding[] {
  const fullAt = input.bindings.policy.d19.storageFullPercent;
  return perPveHost(input, 'D19.storage', (hostId, pve, state) => {
    const host = state.hosts[hostId]!;
    const facts = storageStateOf(host);
    if ('problem' in facts && storagesInUse(input, hostId, null, pve).size === 0) return [];
    if ('problem' in facts)
      return [
        make({
          check: 'D19.storage',
          subject: hostId,
          host: hostId,
          severity: 'high',
          outcome: 'error',
          reason: facts.problem.reason,
          message: `${hostId}: cannot judge its storages: ${facts.problem.message}`,
        }),
      ];
    const { value: st } = facts;
    return [...storagesInUse(input, hostId, st.node, pve)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, users]) => {
        const cfg = st.config.find((c) => c.id === id);
        const s = storageOf(st, id);
        const evidence: Evidence[] = [
          {
            ...storageProbe(hostId, 'storage-status'),
            detail: s
              ? `${id}: type ${s.type}, enabled ${Number(s.enabled)}, active ${Number(s.active)}, content ${s.content.join(',')}`
              : `${id}: not listed`,
          },
          ...(cfg ? [{ host: hostId, commandId: 'storage-cfg', detail: `${cfg.type}: ${id} (line ${cfg.line})` }] : []),
        ];
        const base = { check: 'D19.storage', subject: id, host: hostId, severity: 'critical' as const, evidence };
        const usedBy = `used by ${users.join(', ')}`;
        const fail = (reason: string, what: string, remediation: string, expected: string, actual: string) =>
          make({
            ...base,
            outcome: 'fail',
            reason,
            message: `${hostId}: storage ${id} (${usedBy}) ${what}`,
            remediation,
            expected,
            actual,
          });
        if (!s) {
          return fail(
            'storage_missing',
            `does not exist on node ${st.node}`,
            `Create storage ${id} on ${hostId} (\`pvesm add …\`), or point the ${users.join(', ')} at a storage that exists.`,
            'a configured storage',
            'none',
          );
        }
        if (!s.enabled) {
          const why = cfg?.disabled
            ? 'is disabled in storage.cfg'
            : cfg?.nodes
              ? `is not available on node ${st.node} (storage.cfg nodes ${cfg.nodes.join(',')})`
              : 'is disabled';
          const fix = cfg?.disabled
            ? `\`pvesm set ${id} --disable 0\``
            : `\`pvesm set ${id} --nodes ${[...(cfg?.nodes ?? []), st.node].join(',')}\``;
          return fail(
            'storage_disabled',
            `${why}: every backup to it fails`,
            `On ${hostId}: ${fix}, or move the ${users.join(', ')} to another storage.`,
            'enabled',
            'disabled',
          );
        }
        if (!s.active) {
          const pbs = s.type === 'pbs' ? ` (PBS ${cfg?.server ?? 'server'}, datastore ${cfg?.datastore ?? '?'})` : '';
          return fail(
            'storage_inactive',
            `is not active${pbs}: not mounted or unreachable, so backups to it fail`,
            `On ${hostId}: \`pvesm status --storage ${id}\` and the syslog say why; check the mount, network and credentials${s.type === 'pbs' ? ' (and the PBS fingerprint)' : ''}.`,
            'active',
            'inactive',
          );
        }
        if (!s.content.includes('backup')) {
          return fail(
            'no_backup_content',
            `does not allow backup content (content ${s.content.join(',') || 'none'})`,
            `On ${hostId}: \`pvesm set ${id} --content ${[...s.content, 'backup'].join(',')}\`, or move the ${users.join(', ')} to a backup storage.`,
            'content includes backup',
            s.content.join(',') || 'none',
          );
        }
        if (s.total === null || s.total === 0 || s.used === null) {
          return make({
            ...base,
            outcome: 'pass',
            message: `${hostId}: storage ${id} (${s.type}, ${usedBy}) is enabled, active and takes backups; it reports no size`,
          });
        }
        const percent = (s.used / s.total) * 100;
        const figures = `${bytesText(s.used)} of ${bytesText(s.total)} used (${percent.toFixed(1)} %), ${bytesText(s.avail ?? s.total - s.used)} free`;
        if (percent >= fullAt) {
          return fail(
            'storage_full',
            `is ${figures}: at or above ${fullAt} %, scheduled backups start failing`,
            `On ${hostId}: free space on ${id} (prune old backups: check the jobs' and storage's prune-backups, remove unprotected old ones) or grow it.`,
            `< ${fullAt} % used`,
            `${percent.toFixed(1)} %`,
          );
        }
        return make({
          ...base,
          outcome: 'pass',
          expected: `< ${fullAt} % used`,
          actual: `${percent.toFixed(1)} %`,
          message: `${hostId}: storage ${id} (${s.type}, ${usedBy}) is active and ${figures}`,
        });
      });
  });
}
