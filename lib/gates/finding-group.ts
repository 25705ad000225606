// A check group: the findings of one check on one host (or on the run). A vitest test is one
// group (lib/gates/define-gate.ts); the reporter (lib/gates/gate-reporter.ts) writes its findings
// back one by one. Plain data and pure functions: both vitest's worker and the main process load it.

import { findingId, type Finding, type Outcome } from '../model.js';
import { aggregateOutcome, summarize } from '../results/run-result.js';

export interface FindingGroup {
  findings: Finding[];
  /** Index of each finding in the gate's findings: the reporter restores the rule's order from it. */
  positions: number[];
}

declare module 'vitest' {
  interface TaskMeta {
    /** Declared with the test: how many findings its group holds (the reporter checks they all came back). */
    groupSize?: number;
    /** Set while the test runs, so the findings travel to the reporter once (not also at collection). */
    group?: FindingGroup;
  }
}

/** The test name of a finding's group: `D19.freshness nas`, or `D19.judged` for run-level checks. */
export function groupName(f: Pick<Finding, 'check' | 'host'>): string {
  return f.host ? `${f.check} ${f.host}` : f.check;
}

/** Groups findings by check and host, in order of first appearance; every finding name must be unique. */
export function groupFindings(gateId: string, findings: readonly Finding[]): Map<string, FindingGroup> {
  const seen = new Set<string>();
  const groups = new Map<string, FindingGroup>();
  findings.forEach((finding, position) => {
    const id = findingId(finding);
    if (seen.has(id)) throw new Error(`gate ${gateId} produced two findings named "${id}"`);
    seen.add(id);
    const name = groupName(finding);
    let group = groups.get(name);
    if (!group) groups.set(name, (group = { findings: [], positions: [] }));
    group.findings.push(finding);
    group.positions.push(position);
  });
  return groups;
}

/** How a group's test must end: error beats fail beats pass beats waived beats skip (a group of skips is skipped). */
export function groupOutcome(group: FindingGroup): Outcome {
  return aggregateOutcome(summarize(group.findings));
}
