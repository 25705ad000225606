// Every check id, what it judges and where its reason codes are documented: the one catalogue that
// SARIF rules (and any other reader of check ids) describe a check from. Check ids are part of the
// output contract; lib/catalogue/checks.test.ts keeps this list and the rules' findings in step.

export interface CheckInfo {
  /** One sentence: what passing this check means. */
  summary: string;
  /** The documentation page of the check's gate, relative to the package root. */
  docs: string;
}

const D19 = 'docs/gates/D19.md';
const D69 = 'docs/gates/D69.md';
const RELAY = 'docs/gates/relay-stalwart.md';
const CALENDAR = 'docs/gates/radicale-calendar.md';
const WAIVERS = 'docs/bindings.md';

export const CHECKS: Readonly<Record<string, CheckInfo>> = {
  'D19.freshness': {
    docs: D19,
    summary: 'The newest backup of each enabled target is younger than its stale_after_hours.',
  },
  'D19.threshold': {
    docs: D19,
    summary: "Each enabled target's stale_after_hours is no looser than its classification allows.",
  },
  'D19.judged': {
    docs: D19,
    summary: 'Every enabled target was judged pass or fail: a run never reads healthy when something went unjudged.',
  },
  'D19.guest-covered': {
    docs: D19,
    summary: 'Every guest on a PVE host is selected by an enabled vzdump job that PVE really runs.',
  },
  'D19.target-enrolled': {
    docs: D19,
    summary: "The guest whose archives a target names is in an enabled job on the target's host.",
  },
  'D19.job-guest-active': {
    docs: D19,
    summary: 'Every VMID an enabled job lists exists on that host and is not retired in the lifecycle.',
  },
  'D19.target-retired': { docs: D19, summary: 'Every disabled target says why (description or notes).' },
  'D19.scheduler': { docs: D19, summary: 'pvescheduler is active on each PVE host.' },
  'D19.snapshot-age': { docs: D19, summary: 'The host-state snapshot is recent and its capture time is real.' },
  'D19.job-valid': {
    docs: D19,
    summary: 'PVE reads and runs each vzdump job as written: no dropped key, no job it skips or aborts.',
  },
  'D19.job-run': {
    docs: D19,
    summary: 'Each enabled job really started at its last scheduled time and its last run ended OK.',
  },
  'D19.verified': {
    docs: D19,
    summary: "The newest backup on a Proxmox Backup Server verified ok, and a verify ran within the class's age.",
  },
  'D19.storage': {
    docs: D19,
    summary: 'Each storage a job or target uses exists, is enabled, active, takes backups and is not full.',
  },
  'D19.retention': {
    docs: D19,
    summary:
      "PVE's prune, as it runs, leaves each guest at least its class's minimum of restore points, and keeps no file storage unbounded.",
  },
  'D19.restore-drill': {
    docs: D19,
    summary:
      "A backup of each target whose class the policy names was restored within its age, and that drill worked (PVE's restore tasks or restore.drills.yaml).",
  },
  'D19.size': {
    docs: D19,
    summary:
      "Each target's newest archive is not suspiciously smaller than the previous ones of the same guest and kind, nor empty.",
  },
  'D69.status': { docs: D69, summary: "Each lifecycle guest's status is one the lifecycle knows." },
  'D69.backup-target': { docs: D69, summary: 'Each active guest names an inventory target as its backup_target.' },
  'D69.target-enabled': { docs: D69, summary: "Each active guest's target is enabled." },
  'D69.target-shape': {
    docs: D69,
    summary: "Each active guest's target is on its host (or storage host) and names this guest's archives.",
  },
  'D69.enrolled': { docs: D69, summary: 'Each active guest is in an enabled vzdump job PVE runs on its host.' },
  'D69.scheduled': {
    docs: D69,
    summary: 'Every job backing up an active guest runs at a time backup.calendar.yaml has an event for.',
  },
  'D69.ssh-target': { docs: D69, summary: "Each active guest's ssh_target (or hostname) is an ssh.targets.yaml id." },
  'D69.runtime-unit': { docs: D69, summary: 'Each active guest has a complete runtime unit in the inventory.' },
  'D69.restore-sop': { docs: D69, summary: 'Each active guest that needs one has a restore SOP that exists.' },
  'D69.offsite': {
    docs: D69,
    summary: 'Each active guest that needs one has an offsite decision (a copy elsewhere, or a reason why not).',
  },
  'D69.decommissioned-clean': {
    docs: D69,
    summary: 'A retired guest keeps no backup target, enabled target or job place.',
  },
  'D69.unregistered-guest': { docs: D69, summary: 'Every guest a PVE host runs is in vm.lifecycle.yaml.' },
  'relay.postfix': { docs: RELAY, summary: "postfix relays through the mail relay's SMTPS port with TLS and SASL." },
  'relay.notifications': {
    docs: RELAY,
    summary: 'Every PVE notification endpoint mails through the relay, to allowed recipients.',
  },
  'relay.job-mail': {
    docs: RELAY,
    summary: "Each vzdump job's mail settings send its reports, through the relay, to allowed recipients.",
  },
  'relay.queue': { docs: RELAY, summary: "Nothing old or deferred sits in postfix's queue." },
  'relay.disabled': { docs: RELAY, summary: 'A host whose mail policy is disabled cannot send mail.' },
  'calendar.binding': {
    docs: CALENDAR,
    summary: 'backup.calendar.yaml describes every event completely and without conflict.',
  },
  'calendar.job-has-event': {
    docs: CALENDAR,
    summary: 'Every enabled vzdump job has a calendar event at its time and on its days.',
  },
  'calendar.schedule-parity': {
    docs: CALENDAR,
    summary: 'Every backup.schedule.yaml job has a calendar event at its time and on its days.',
  },
  'calendar.in-radicale': {
    docs: CALENDAR,
    summary: 'Each binding event is in the Radicale collection, active and at its time.',
  },
  'calendar.orphan': {
    docs: CALENDAR,
    summary: 'The Radicale collection holds no published event whose binding is gone.',
  },
  'waivers.stale': { docs: WAIVERS, summary: 'Every waiver in drift.waivers.yaml still matches a finding it waives.' },
};

/** What a check judges; a check id unknown here still gets a description (an older receipt, a newer rule). */
export function checkInfo(check: string, gate: string): CheckInfo {
  return CHECKS[check] ?? { summary: `${check}: a check of gate ${gate}.`, docs: 'README.md' };
}
