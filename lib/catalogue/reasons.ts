// Every reason code a finding can carry, and which checks give it: part of the output contract.
// Fingerprints (lib/results/drift.ts) hash the reason, so renaming one turns a user's known drift into
// new drift and breaks their `--fail-on new` pre-merge check: never rename a reason, add a new one.
// The project's own tests refuse a finding whose reason is not listed here (lib/rules/input.ts make).

// Why a host could not be read: a collected host carries it, so the list is the model's (lib/model.ts).
import { HOST_REASONS, type HostReason } from '../model.js';
export { HOST_REASONS, type HostReason };

/** Why the Radicale calendar could not be read or written (lib/calendar): any calendar check may give it. */
export const CALENDAR_REASONS = [
  'auth_denied',
  'bad_response',
  'collection_missing',
  'connection_lost',
  'credentials_unreadable',
  'http_timeout',
  'no_ssh_target',
  'precondition_failed',
  'server_error',
  'tls_failed',
] as const;
export type CalendarReason = (typeof CALENDAR_REASONS)[number];

/** Why a check could not judge, whichever check it is: its facts or its binding file are missing or unreadable. */
export const COMMON_REASONS: Readonly<Record<string, string>> = {
  'no host state': 'skip: the run has no snapshot and reads no host (binding-only)',
  'no vm.lifecycle.yaml': 'skip: the binding file the check starts from does not exist',
  'no ssh.targets.yaml': 'skip: the binding file the check starts from does not exist',
  'no backup.calendar.yaml': 'skip: the binding file the check starts from does not exist',
  'no relay policy': 'skip: drift.gates.yaml has no relay: section',
  not_collected:
    'error: the snapshot lacks the facts (taken before the command existed, or not collected from that host)',
  output_too_large: "error: the host printed more than the command's cap",
  host_not_in_snapshot: 'error: the host is not in the snapshot',
  host_unreadable: 'error: the host could not be read',
  parse_error: 'error: what the host printed does not parse',
  bad_listing_record: 'error: a listing record does not read',
  bad_capture_time: 'error: the snapshot has no real capture time',
  internal_error: 'error: a value no parser foresaw; it costs that subject, never the gate',
};

/** Reasons of a whole run or gate: bad input, a gate that crashed, and what waivers do to a finding. */
export const RUN_REASONS: Readonly<Record<string, string>> = {
  bad_input: 'error: a binding or snapshot file is not valid',
  gate_crashed: 'error: the gate itself failed; its findings are errors',
  waiver_expired: 'skip: the waiver has expired, so the finding stands',
  not_judged: 'skip: the waived finding was not judged this run',
  drift_gone: 'fail: the waiver names drift that is gone: remove the waiver',
  matches_nothing: 'fail: the waiver matches no finding',
};

/** Each check's own reasons, beside the host and common ones. */
export const CHECK_REASONS: Readonly<Record<string, readonly string[]>> = {
  'D19.freshness': ['first_run_pending', 'future_mtime', 'no_matches', 'path_missing', 'stale'],
  'D19.threshold': ['no_classification', 'threshold_too_loose'],
  'D19.judged': ['first_run_pending', 'nothing_to_judge', 'unjudged_targets'],
  'D19.guest-covered': [
    'lifecycle_abandoned',
    'lifecycle_decommissioned',
    'no_guests',
    'not_in_any_job',
    'only_disabled_jobs',
    'only_invalid_jobs',
    'template',
  ],
  'D19.target-enrolled': ['guest_missing', 'not_a_pve_host', 'not_enrolled'],
  'D19.job-guest-active': ['guest_missing', 'lifecycle_abandoned', 'lifecycle_decommissioned', 'no_vmid_lists'],
  'D19.target-retired': ['no_reason_recorded'],
  'D19.scheduler': ['scheduler_inactive'],
  'D19.snapshot-age': ['bundled_demo', 'captured_in_future', 'snapshot_stale', 'turned_off'],
  'D19.job-valid': ['config_warning', 'job_invalid', 'key_dropped', 'legacy_cron_job', 'no_jobs'],
  'D19.job-run': [
    'clock_ahead',
    'first_run_pending',
    'job_invalid',
    'legacy_cron_job',
    'missed_runs',
    'no_jobs',
    'no_state_file',
    'run_failed',
    'running',
  ],
  'D19.verified': ['no_backups', 'not_pbs', 'not_required', 'unverified', 'verify_failed'],
  'D19.storage': ['no_backup_content', 'storage_disabled', 'storage_full', 'storage_inactive', 'storage_missing'],
  'D19.restore-drill': [
    'bad_task_record',
    'drill_failed',
    'future_drill',
    'log_unreadable',
    'no_recent_drill',
    'not_required',
  ],
  'D19.size': ['empty_archive', 'no_backups', 'no_size', 'path_missing', 'pbs_vm_size', 'short_history', 'size_drop'],
  'D19.retention': [
    'guest_not_found',
    'no_backups',
    'no_job',
    'not_required',
    'path_missing',
    'pbs_side_retention',
    'policy_below_class',
    'prune_will_block',
    'retention_unbounded',
    'too_few_restore_points',
  ],
  'D69.status': ['status_not_in_enum'],
  'D69.backup-target': ['no_backup_target', 'unknown_target'],
  'D69.target-enabled': ['no_target', 'target_disabled'],
  'D69.target-shape': ['glob_mismatch', 'no_target', 'vmid_mismatch', 'wrong_host'],
  'D69.enrolled': ['guest_missing', 'not_in_any_job', 'only_disabled_jobs', 'only_invalid_jobs'],
  'D69.scheduled': ['no_calendar_event', 'not_enrolled', 'unrepresentable_schedule'],
  'D69.ssh-target': ['no_ssh_target', 'no_target', 'not_required', 'unknown_ssh_target'],
  'D69.runtime-unit': ['no_runtime_unit', 'no_runtime_units', 'not_production_ready', 'unit_incomplete'],
  'D69.restore-sop': [
    'no_restore_sop',
    'no_target',
    'not_checked',
    'not_required',
    'sop_not_found',
    'sop_outside_repository',
  ],
  'D69.offsite': ['no_offsite_decision', 'no_offsite_reason', 'no_offsite_target', 'no_target', 'not_required'],
  'D69.decommissioned-clean': ['backup_target_set', 'enabled_target', 'in_enabled_job'],
  'D69.unregistered-guest': ['no_guests', 'not_in_lifecycle', 'template'],
  'relay.postfix': [
    'mail_disabled',
    'no_postfix',
    'no_relayhost',
    'no_wrappermode',
    'not_a_pve_host',
    'sasl_map_missing',
    'sasl_no_map',
    'tls_too_weak',
    'wrong_relayhost',
  ],
  'relay.notifications': [
    'config_warning',
    'endpoint_disabled',
    'mail_disabled',
    'not_a_pve_host',
    'not_routed',
    'recipient_not_allowed',
    'sender_not_allowed',
    'sendmail_unrelayed',
    'smtp_not_implicit_tls',
    'smtp_wrong_port',
    'smtp_wrong_server',
  ],
  'relay.job-mail': [
    'bad_mailnotification',
    'dead_notification_keys',
    'mailnotification_never',
    'no_jobs',
    'not_a_pve_host',
    'sender_not_allowed',
  ],
  'relay.queue': ['message_deferred', 'message_too_old', 'no_postfix', 'not_a_pve_host'],
  'relay.disabled': ['job_mailto', 'mail_endpoint_enabled', 'mail_relayed', 'matcher_enabled'],
  'calendar.binding': [
    'bad_day',
    'bad_time',
    'day_unknown',
    'duplicate_id',
    'no_timezone',
    'timezone_mismatch',
    'timezone_unknown',
    'unknown_freq',
  ],
  'calendar.job-has-event': ['no_calendar_event', 'no_enabled_jobs', 'unrepresentable_schedule', 'wrong_day'],
  'calendar.schedule-parity': [
    'no_calendar_event',
    'no_schedule_cron',
    'no_schedule_file',
    'unrepresentable_schedule',
    'wrong_day',
  ],
  'calendar.in-radicale': [
    'cancelled',
    'ended',
    'invalid_event',
    'missing_event',
    'no_calendar_home',
    'rrule_drift',
    'time_drift',
    'timezone_drift',
    'wrong_day',
  ],
  'calendar.orphan': ['no_backup_events', 'no_calendar_home', 'orphan_event', 'unreadable_item'],
};

/**
 * Reasons that were released and are no longer given, each with the reason that replaced it (or
 * null: no finding says it any more) and a note for the release notes. Fingerprints
 * (lib/results/drift.ts) hash `[gate, check, host, subject, reason]`, so a finding whose reason
 * changed gets a new fingerprint: a baseline taken before the change reads it as new drift, and a
 * `--fail-on new` pre-merge check fails on nothing new. A reason is only ever removed with an
 * entry here saying what the user must do (re-take the baseline). lib/catalogue/released-reasons.json
 * lists every reason released so far; lib/catalogue/reasons.test.ts fails when one of them leaves
 * the catalogue without an entry here.
 */
export const REASON_MIGRATIONS: Readonly<Record<string, { now: string | null; note: string }>> = {};

/** Whether `reason` is one `check` may give: its own, a host's, a common or a run reason. */
export function isCataloguedReason(check: string, reason: string | null): boolean {
  if (reason === null) return true;
  if (check.startsWith('calendar.') && (CALENDAR_REASONS as readonly string[]).includes(reason)) return true;
  return (
    (CHECK_REASONS[check]?.includes(reason) ?? false) ||
    (HOST_REASONS as readonly string[]).includes(reason) ||
    Object.hasOwn(COMMON_REASONS, reason) ||
    Object.hasOwn(RUN_REASONS, reason)
  );
}
