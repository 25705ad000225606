// D19.job-valid: does PVE read and run each vzdump job as written?

import type { Evidence, Finding, VzdumpJob } from '../../model.js';
import { convertCommand } from '../../pve/vzdump-cron.js';
import { commandEvidence, jobsCfgEvidence, perPveHost } from '../pve-helpers.js';
import type { RunInput } from '../run-index.js';
import { make } from './shared.js';

export function checkJobsValid(input: RunInput): Finding[] {
  return perPveHost(input, 'D19.job-valid', (hostId, pve, state) => {
    const warnings = pve.configWarnings.map((w) =>
      make({
        check: 'D19.job-valid',
        subject: `${w.file}:${w.line}`,
        host: hostId,
        severity: 'medium',
        outcome: 'fail',
        reason: 'config_warning',
        message: `/etc/pve/${w.file} line ${w.line}: ${w.message} (PVE logs this and reads the file without it)`,
        evidence: [commandEvidence(hostId, w.file.replace('.', '-'), `line ${w.line}`)],
        remediation: `On ${hostId}: fix or delete line ${w.line} of /etc/pve/${w.file}, so the file says what PVE does.`,
      }),
    );
    if (pve.jobs.length === 0 && warnings.length === 0) {
      return [
        make({
          check: 'D19.job-valid',
          subject: hostId,
          host: hostId,
          severity: 'high',
          outcome: 'skip',
          reason: 'no_jobs',
          message: `${hostId}: jobs.cfg has no vzdump job`,
        }),
      ];
    }
    // `maxfiles` is dropped only from PVE 9 on: an older node (its `pveversion`) reads it. Unknown version: as PVE 9.
    const retention = state.hosts[hostId]?.retention;
    const major = retention?.ok ? retention.value.pveVersion.major : null;
    const readsIt = (p: VzdumpJob['problems'][number]) =>
      p.readBefore === undefined || (major !== null && major >= p.readBefore);
    const asRead = (job: VzdumpJob): VzdumpJob =>
      major === null || job.problems.every(readsIt) ? job : { ...job, problems: job.problems.filter(readsIt) };
    return [...pve.jobs.map((job) => jobValidity(hostId, asRead(job))), ...warnings];
  });
}

function jobValidity(hostId: string, job: VzdumpJob): Finding {
  const base = { check: 'D19.job-valid', subject: job.id, host: hostId, evidence: [jobsCfgEvidence(hostId, job)] };
  if (job.problems.length === 0) {
    if (job.source === 'vzdump.cron') return legacyCronJob(hostId, job, base);
    return make({
      ...base,
      severity: 'high',
      outcome: 'pass',
      message: `job ${job.id}: PVE reads and runs it as written`,
    });
  }
  const invalid = job.problems.some((p) => p.kind === 'job_invalid');
  const said = job.problems.map((p) =>
    p.kind === 'key_dropped'
      ? `file /etc/pve/jobs.cfg line ${p.line} (section '${job.id}') - unable to parse value of '${p.key}': ${p.reason} [\`${p.text}\`: the key is dropped]`
      : `line ${p.line} \`${p.text}\`: ${p.reason}`,
  );
  const consequence = invalid
    ? 'PVE never runs it or its run aborts: it backs up nothing'
    : 'PVE runs it without the dropped key(s)';
  return make({
    ...base,
    severity: job.enabled ? 'high' : 'low',
    outcome: 'fail',
    reason: invalid ? 'job_invalid' : 'key_dropped',
    message: `job ${job.id}${job.enabled ? '' : ' (disabled)'}: ${consequence}. ${said.join('; ')}`,
    expected: 'every key valid, the job runnable',
    actual: job.problems.map((p) => `${p.kind} ${p.key ?? 'section'}`).join(', '),
    evidence: [
      ...base.evidence,
      ...job.problems.map((p) => ({
        host: hostId,
        file: `/etc/pve/${job.source ?? 'jobs.cfg'}`,
        line: p.line,
        detail: p.text,
      })),
    ],
    remediation: [...new Set(job.problems.map((p) => p.fix))].join('\n'),
  });
}

/**
 * A valid legacy job: cron runs it and it counts as coverage, but it fails (low): it has no
 * pvescheduler state, so D19.job-run cannot tell whether it ran, and PVE 7+ manages jobs in jobs.cfg.
 * PVE's own conversion (API2/Backup.pm update_job) keeps its id and schedule and removes the line.
 */
function legacyCronJob(
  hostId: string,
  job: VzdumpJob,
  base: { check: string; subject: string; host: string; evidence: Evidence[] },
): Finding {
  return make({
    ...base,
    severity: 'low',
    outcome: 'fail',
    reason: 'legacy_cron_job',
    message: `job ${job.id}${job.enabled ? '' : ' (disabled)'} is a legacy /etc/pve/vzdump.cron line (line ${job.line}, schedule ${job.schedule}): cron runs it and it counts as coverage, but it keeps no run state, so whether it ran cannot be checked (D19.job-run)`,
    expected: 'backup jobs in /etc/pve/jobs.cfg',
    actual: `/etc/pve/vzdump.cron line ${job.line}`,
    remediation: `Convert it to a jobs.cfg job (same id, schedule and options): edit it once in Datacenter → Backup and press OK, or on any node run \`${convertCommand(job)}\`. Each conversion rewrites vzdump.cron, so the ids of its remaining jobs change: convert them one by one from a fresh listing (\`pvesh get /cluster/backup\`).`,
  });
}
