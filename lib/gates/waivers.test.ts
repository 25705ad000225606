import { describe, expect, it } from 'vitest';
import type { Waiver } from '../bindings/types.js';
import type { Finding } from '../model.js';
import { makeBindings, makeInput } from '../rules/testing/test-input.js';
import { applyWaivers, waiverExpired } from './waivers.js';

const NOW = '2026-03-04T07:30:00Z';

function finding(o: Partial<Finding> & Pick<Finding, 'check' | 'subject'>): Finding {
  return {
    gate: 'D19',
    host: 'pve1',
    outcome: 'fail',
    reason: 'stale',
    severity: 'high',
    message: `${o.subject} is stale`,
    evidence: [],
    remediation: 'fix it',
    ...o,
  };
}

function waiver(o: Partial<Waiver> = {}, line = 3): Waiver {
  return {
    gate: 'D19',
    check: 'D19.freshness',
    subject: 'vm-10*',
    justification: 'NAS swap until April',
    owner: 'alice',
    expires: '2026-03-31',
    source: { file: 'drift.waivers.yaml', line },
    ...o,
  };
}

const apply = (findings: Finding[], waivers: Waiver[], o: { now?: string; noState?: boolean } = {}) => {
  const input = makeInput({
    bindings: { ...makeBindings(), waivers },
    now: o.now ?? NOW,
    ...(o.noState ? { state: null } : {}),
  });
  return applyWaivers('D19', findings, input);
};

const stale = (fs: Finding[]) => fs.filter((f) => f.check === 'waivers.stale');

describe('waivers', () => {
  it('apply through the last UTC day of expires', () => {
    expect(waiverExpired({ expires: '2026-03-04' }, '2026-03-04T23:59:59.999Z')).toBe(false);
    expect(waiverExpired({ expires: '2026-03-04' }, '2026-03-05T00:00:00Z')).toBe(true);
  });

  it('turn matching fails into waived, citing who, why and until when; an error is never waived; rules output is otherwise untouched', () => {
    const findings = [
      finding({ check: 'D19.freshness', subject: 'vm-100-primary' }),
      finding({ check: 'D19.freshness', subject: 'vm-101-primary', outcome: 'error', reason: 'connect_timeout' }),
      finding({ check: 'D19.freshness', subject: 'vm-200-primary' }),
      finding({ check: 'D19.threshold', subject: 'vm-100-primary' }),
    ];
    const out = apply(findings, [waiver()]);
    expect(out.slice(0, 4).map((f) => f.outcome)).toEqual(['waived', 'error', 'fail', 'fail']);
    expect(out[1]!.message).toBe(
      'vm-101-primary is stale (not waived: the waiver at drift.waivers.yaml:3 accepts drift, and this could not be checked)',
    );
    expect(out[1]!.waiver).toBeUndefined();
    expect(out[0]).toMatchObject({
      reason: 'stale',
      message: 'vm-100-primary is stale',
      waiver: {
        owner: 'alice',
        justification: 'NAS swap until April',
        expires: '2026-03-31',
        expired: false,
        file: 'drift.waivers.yaml',
        line: 3,
      },
    });
    expect(out[0]!.evidence).toEqual([
      { file: 'drift.waivers.yaml', line: 3, detail: 'waived by alice until 2026-03-31' },
    ]);
    expect(findings[0]!.outcome).toBe('fail'); // the rule's findings are not mutated
    expect(stale(out)).toEqual([
      expect.objectContaining({
        gate: 'D19',
        check: 'waivers.stale',
        subject: 'D19.freshness vm-10*',
        host: null,
        outcome: 'pass',
        message: 'waives 1 finding until 2026-03-31 (alice)',
      }),
    ]);
  });

  it("a waiver naming only errors (D19.judged, an unreachable host's target) waives nothing and is not judged stale", () => {
    const out = apply(
      [finding({ check: 'D19.judged', subject: 'run', outcome: 'error', reason: 'unjudged_targets' })],
      [waiver({ check: 'D19.judged', subject: 'run' })],
    );
    expect(out[0]).toMatchObject({ outcome: 'error', reason: 'unjudged_targets' });
    expect(stale(out)[0]).toMatchObject({ outcome: 'skip', reason: 'not_judged' });
  });

  it('match a glob or an exact subject against the subject and host/subject; * stays within a part', () => {
    const f = [
      finding({ check: 'D19.scheduler', subject: 'pvescheduler', host: 'pve-home' }),
      finding({ check: 'D19.guest-covered', subject: 'qemu/106', host: 'pve-shop' }),
    ];
    const out = apply(f, [
      waiver({ check: 'D19.scheduler', subject: 'pve-home/*' }),
      waiver({ check: 'D19.guest-covered', subject: 'qemu/106' }, 9),
    ]);
    expect(out.slice(0, 2).map((x) => x.outcome)).toEqual(['waived', 'waived']);
    const star = apply(f, [waiver({ check: 'D19.guest-covered', subject: 'qemu*' })]);
    expect(star[1]!.outcome).toBe('fail');
    const globstar = apply(f, [waiver({ check: 'D19.guest-covered', subject: '**/106' })]);
    expect(globstar[1]!.outcome).toBe('waived');
  });

  it('stop applying after expiry: the finding counts again and says its waiver expired', () => {
    const out = apply(
      [finding({ check: 'D19.freshness', subject: 'vm-100-primary' })],
      [waiver({ expires: '2026-03-03' })],
    );
    expect(out[0]).toMatchObject({
      outcome: 'fail',
      message: 'vm-100-primary is stale (its waiver expired: alice accepted it until 2026-03-03: NAS swap until April)',
      waiver: { expired: true },
    });
    expect(stale(out)[0]).toMatchObject({ outcome: 'skip', reason: 'waiver_expired' });
  });

  it('prefer a live waiver to an expired one for the same finding', () => {
    const out = apply(
      [finding({ check: 'D19.freshness', subject: 'vm-100-primary' })],
      [waiver({ expires: '2026-03-01' }), waiver({ subject: 'vm-100-primary' }, 9)],
    );
    expect(out[0]).toMatchObject({ outcome: 'waived', waiver: { line: 9 } });
  });

  it('report a waiver that waives nothing: failing when it matches nothing or only passes, skipped when what it names was not judged', () => {
    const findings = [
      finding({ check: 'D19.freshness', subject: 'vm-100-primary', outcome: 'pass', reason: null }),
      finding({ check: 'D19.scheduler', subject: 'pvescheduler', outcome: 'skip', reason: 'no host state' }),
    ];
    const out = stale(
      apply(findings, [
        waiver({ subject: 'vm-100-primary' }, 3),
        waiver({ subject: 'vm-999-primary' }, 9),
        waiver({ check: 'D19.scheduler', subject: '*' }, 15),
        waiver({ gate: 'D69', check: 'D69.status', subject: '*' }, 21),
      ]),
    );
    expect(out.map((f) => [f.subject, f.outcome, f.reason])).toEqual([
      ['D19.freshness vm-100-primary', 'fail', 'drift_gone'],
      ['D19.freshness vm-999-primary', 'fail', 'matches_nothing'],
      ['D19.scheduler *', 'skip', 'not_judged'],
    ]);
    expect(out[0]).toMatchObject({
      message: 'the waiver at drift.waivers.yaml:3 waives nothing: the 1 finding it names passes now',
      remediation: 'Remove the waiver at drift.waivers.yaml:3.',
    });
    expect(out[1]!.remediation).toBe('Remove the waiver at drift.waivers.yaml:9, or correct its check or subject.');
    // Without host state a waiver that matches nothing may name a check that needs it.
    expect(stale(apply([], [waiver()], { noState: true }))[0]).toMatchObject({ outcome: 'skip', reason: 'not_judged' });
  });

  it('leave a gate without waivers exactly as its rule made it', () => {
    const findings = [
      finding({ check: 'D19.freshness', subject: 'vm-100-primary' }),
      finding({ check: 'D19.scheduler', subject: 'pvescheduler', outcome: 'pass', reason: null }),
    ];
    const before = structuredClone(findings);
    // Another gate's waiver naming this very finding: only the gate field keeps it from applying here.
    const out = apply(findings, [
      waiver({ gate: 'D69', subject: 'vm-100-primary' }),
      waiver({ gate: 'D69', check: 'D69.status' }),
    ]);
    expect(out).toEqual(before);
    expect(findings).toEqual(before); // nor changed in place
  });
});
