// What every gate rule is a pure function of.

import { BINDING_FILES, noFile, type Bindings } from '../bindings/types.js';
import type { Evidence, Finding, HostRecord, HostState, PveState, Severity, StateProblem } from '../model.js';
import { isCataloguedReason } from '../catalogue/reasons.js';

export interface VerifyInput {
  bindings: Bindings;
  /** Null for a binding-only run: checks that need host state are skipped. */
  state: HostState | null;
  /** The instant the run judges "now" at (UTC ISO-8601). */
  now: string;
  /** Longest a snapshot may be old, in hours; null turns the check off. */
  maxSnapshotAgeHours: number | null;
  /** The bundled demo site is judged as of its capture time, so snapshot age does not apply. */
  bundledDemo: boolean;
  /**
   * Restore SOP files, looked up by the caller because rules do no I/O: the repository root
   * `restore_sop` paths are relative to, and whether each path (as written) exists there.
   * Absent, or a path missing from `found`: D69 says the file was not checked.
   */
  restoreSops?: { root: string; found: Record<string, boolean> };
}

/** Whether a `restore_sop` path stays inside the repository root: relative, and no `..` segment. */
export function isRepositoryRelative(p: string): boolean {
  return !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes('..');
}

export type Rule = (input: VerifyInput) => Finding[];

export const NO_HOST_STATE = 'no host state';

/** One skip per check (subject `run`), so a gate that judged nothing says why. */
export function skipEach(gate: string, checks: readonly string[], reason: string, message: string): Finding[] {
  const { make } = findingsFor(gate);
  return checks.map((check) =>
    make({
      check,
      subject: 'run',
      host: null,
      severity: 'low',
      outcome: 'skip',
      reason,
      message: `${check}: ${message}`,
    }),
  );
}

/** skipEach for checks whose binding file does not exist: reason `no vm.lifecycle.yaml`. */
export const skipForMissingFile = (
  gate: string,
  checks: readonly string[],
  field: keyof typeof BINDING_FILES,
): Finding[] => skipEach(gate, checks, noFile(field), `the bindings have no ${BINDING_FILES[field]}`);

/** A host's PVE facts, or the problem that keeps them from being judged. */
export function pveStateOf(state: HostState, hostId: string): { value: PveState } | { problem: StateProblem } {
  const host = hostOf(state, hostId);
  if ('problem' in host) return host;
  if (!host.value.pve)
    return { problem: { reason: 'not_collected', message: `no PVE state was collected from ${hostId}` } };
  return host.value.pve.ok ? { value: host.value.pve.value } : { problem: host.value.pve.problem };
}

/** A readable host record, or why it is not readable. */
export function hostOf(state: HostState, hostId: string): { value: HostRecord } | { problem: StateProblem } {
  const host = state.hosts[hostId];
  if (!host) return { problem: { reason: 'host_not_in_snapshot', message: `host ${hostId} is not in the host state` } };
  if (host.status === 'error') {
    return { problem: host.problem ?? { reason: 'host_unreadable', message: `host ${hostId} could not be read` } };
  }
  return { value: host };
}

/** Builds findings for one gate with the fields every finding of that gate shares. */
export function findingsFor(gate: string) {
  return {
    make(
      f: Omit<Finding, 'gate' | 'evidence' | 'remediation' | 'reason'> &
        Partial<Pick<Finding, 'evidence' | 'remediation' | 'reason'>>,
    ): Finding {
      const finding: Finding = { gate, reason: null, evidence: [], remediation: null, ...f };
      // The project's own tests run with this set (vitest.config.ts): a reason missing from the catalogue is a bug there.
      if (process.env['SPINE_GATES_STRICT_REASONS'] && !isCataloguedReason(finding.check, finding.reason)) {
        throw new Error(
          `reason ${JSON.stringify(finding.reason)} of ${finding.check} is not in lib/catalogue/reasons.ts`,
        );
      }
      return finding;
    },
  };
}

/** Evidence citing the binding entry a finding is about (file and line). */
export const bindingEvidence = (entry: { source: { file: string; line: number } }, detail?: string): Evidence => ({
  file: entry.source.file,
  line: entry.source.line,
  ...(detail ? { detail } : {}),
});

/**
 * One subject's (or one host's) findings; a throw (a hostile value no parser foresaw) becomes that
 * subject's error, so one bad fact never costs the gate its other findings.
 */
export function judgeSafely<T extends Finding | Finding[]>(judge: () => T, asError: (message: string) => T): T {
  try {
    return judge();
  } catch (e) {
    return asError(`internal error judging it: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export const severityByClass: Record<string, Severity> = {
  critical: 'critical',
  important: 'high',
  rebuildable: 'medium',
};
