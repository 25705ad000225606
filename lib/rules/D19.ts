// D19 backup drift: are the backups the inventory promises really there, fresh, and scheduled?
// Pure function of (bindings, host state, policy, now) → findings. Check ids are a contract: each
// check's rules are in lib/rules/D19/<the check id after `D19.`>.ts.

import type { Rule } from './input.js';
import { checkFreshness } from './D19/freshness.js';
import { checkGuestsCovered } from './D19/guest-covered.js';
import { checkJobGuestsActive } from './D19/job-guest-active.js';
import { checkJobRuns } from './D19/job-run.js';
import { checkJobsValid } from './D19/job-valid.js';
import { checkJudged } from './D19/judged.js';
import { checkRetention } from './D19/retention.js';
import { checkSchedulers } from './D19/scheduler.js';
import { checkSnapshotAge } from './D19/snapshot-age.js';
import { checkStorages } from './D19/storage.js';
import { checkTargetsEnrolled } from './D19/target-enrolled.js';
import { checkTargetsRetired } from './D19/target-retired.js';
import { checkThresholds } from './D19/threshold.js';
import { checkVerified } from './D19/verified.js';
import { checkRestoreDrills } from './D19/restore-drill.js';
import { checkSizes } from './D19/size.js';
import { dumpFiles } from './D19/dump-files.js';

export const D19_CHECKS = [
  'D19.freshness',
  'D19.threshold',
  'D19.judged',
  'D19.guest-covered',
  'D19.target-enrolled',
  'D19.job-guest-active',
  'D19.target-retired',
  'D19.scheduler',
  'D19.snapshot-age',
  'D19.job-valid',
  'D19.job-run',
  'D19.verified',
  'D19.storage',
  'D19.retention',
  'D19.restore-drill',
  'D19.size',
] as const;

export const evaluateD19: Rule = (input) => {
  // Each dump folder's files a glob matches are matched and named once, for the checks that read them.
  const files = dumpFiles();
  const freshness = checkFreshness(input, files);
  return [
    ...freshness,
    ...checkThresholds(input),
    checkJudged(input, freshness),
    ...checkGuestsCovered(input),
    ...checkTargetsEnrolled(input),
    ...checkJobGuestsActive(input),
    ...checkTargetsRetired(input),
    ...checkSchedulers(input),
    checkSnapshotAge(input),
    ...checkJobsValid(input),
    ...checkJobRuns(input),
    ...checkVerified(input),
    ...checkStorages(input),
    ...checkRetention(input, files),
    ...checkRestoreDrills(input),
    ...checkSizes(input, files),
  ];
};
