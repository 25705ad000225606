// D19.scheduler: is pvescheduler active on each PVE host?

import type { Finding } from '../../model.js';
import { perPveHost } from '../pve-helpers.js';
import { PVE_COMMANDS } from '../../snapshot/probe.js';
import type { RunInput } from '../run-index.js';
import { make } from './shared.js';

export function checkSchedulers(input: RunInput): Finding[] {
  return perPveHost(input, 'D19.scheduler', (hostId, pve) => {
    const base = {
      check: 'D19.scheduler',
      subject: 'pvescheduler',
      host: hostId,
      severity: 'critical' as const,
      evidence: [
        {
          host: hostId,
          commandId: 'scheduler',
          command: PVE_COMMANDS.find((c) => c.id === 'scheduler')!.command,
          detail: pve.scheduler,
        },
      ],
      expected: 'active',
      actual: pve.scheduler,
    };
    if (pve.scheduler === 'active')
      return [make({ ...base, outcome: 'pass', message: `${hostId}: pvescheduler is active` })];
    return [
      make({
        ...base,
        outcome: 'fail',
        reason: 'scheduler_inactive',
        message: `${hostId}: pvescheduler is ${pve.scheduler || 'in an unknown state'}: no scheduled backup runs`,
        remediation: `On ${hostId}: \`journalctl -u pvescheduler -n 50\` to see why, then \`systemctl restart pvescheduler\`; check that missed jobs ran.`,
      }),
    ];
  });
}
