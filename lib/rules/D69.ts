// D69 VM-creation backup onboarding: has every active guest everything onboarding promises (an
// enabled inventory target of the right shape, an enabled vzdump job, a calendar event at the job's
// time, ssh access, a runtime unit, a restore SOP, an offsite decision), does every retired guest
// have none of it left, and is every guest a host runs in the lifecycle at all?
// Pure function of (bindings, host state, policy, now, checked SOP files) → findings. Check ids are a
// contract: each check's rules are in lib/rules/D69/<the check id after `D69.`>.ts.

import { skipForMissingFile, type Rule } from './input.js';
import { indexed } from './run-index.js';
import { INACTIVE_LIFECYCLE } from './pve-helpers.js';
import { checkBackupTarget } from './D69/backup-target.js';
import { checkDecommissionedClean } from './D69/decommissioned-clean.js';
import { checkEnrolled } from './D69/enrolled.js';
import { GuestCheck } from './D69/guest-facts.js';
import { checkOffsite } from './D69/offsite.js';
import { checkRestoreSop } from './D69/restore-sop.js';
import { checkRuntimeUnit } from './D69/runtime-unit.js';
import { checkScheduled } from './D69/scheduled.js';
import { checkSshTarget } from './D69/ssh-target.js';
import { checkStatus } from './D69/status.js';

export { LIFECYCLE_STATUSES } from './D69/status.js';
import { checkTargetEnabled } from './D69/target-enabled.js';
import { checkTargetShape } from './D69/target-shape.js';
import { checkUnregistered } from './D69/unregistered-guest.js';

export const D69_CHECKS = [
  'D69.status',
  'D69.backup-target',
  'D69.target-enabled',
  'D69.target-shape',
  'D69.enrolled',
  'D69.scheduled',
  'D69.ssh-target',
  'D69.runtime-unit',
  'D69.restore-sop',
  'D69.offsite',
  'D69.decommissioned-clean',
  'D69.unregistered-guest',
] as const;

export const evaluateD69: Rule = (verifyInput) => {
  const input = indexed(verifyInput);
  // Every D69 check starts from the lifecycle's guests (or, unregistered-guest, compares with them).
  if (!input.bindings.lifecycle) return skipForMissingFile('D69', D69_CHECKS, 'lifecycle');
  const guests = input.bindings.lifecycle.guests;
  const active = guests.filter((g) => g.status === 'active');
  const activeChecks: GuestCheck[] = [
    checkBackupTarget,
    checkTargetEnabled,
    checkTargetShape,
    checkEnrolled,
    checkScheduled,
    checkSshTarget,
    checkRuntimeUnit,
    checkRestoreSop,
    checkOffsite,
  ];
  return [
    ...guests.map(checkStatus),
    ...activeChecks.flatMap((check) => active.map((g) => check(input, g))),
    ...guests.filter((g) => INACTIVE_LIFECYCLE.has(g.status)).map((g) => checkDecommissionedClean(input, g)),
    ...checkUnregistered(input, guests),
  ];
};
