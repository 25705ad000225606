import { describe, expect, it } from 'vitest';
import type { SshTargets } from '../bindings/types.js';
import type { Finding } from '../model.js';
import { selectGuests } from '../pve/jobs-cfg.js';
import { evaluateD19 } from './D19.js';
import { evaluateD69 } from './D69.js';
import { indexed } from './run-index.js';
import {
  makeBindings,
  makeGuest,
  makeHost,
  makeInput,
  makeJob,
  makeLifecycleGuest,
  makePveState,
  makeState,
  makeTarget,
} from './testing/test-input.js';

const one = (findings: Finding[], check: string, subject: string) =>
  findings.find((f) => f.check === check && f.subject === subject)!;

describe('the run index', () => {
  // A lookup kept between runs (a module-level cache keyed by the state or binding object) answers the
  // second run from the first: a long-lived process that judges changed objects would report the old facts.
  it('is built for each run: a run over changed host state sees the change', () => {
    const pve = makePveState({ jobs: [], guests: [makeGuest(100)] });
    const input = makeInput({ state: makeState([makeHost('pve1', { pve })]) });
    expect(one(evaluateD19(input), 'D19.guest-covered', 'qemu/100')).toMatchObject({
      outcome: 'fail',
      reason: 'not_in_any_job',
    });
    pve.jobs.push(makeJob('backup-daily', { vmids: [100] }));
    expect(one(evaluateD19(input), 'D19.guest-covered', 'qemu/100')).toMatchObject({ outcome: 'pass' });
  });

  it('is built for each run: a run over changed bindings sees the change', () => {
    const input = makeInput({ bindings: makeBindings({ guests: [makeLifecycleGuest({ hostname: 'app1' })] }) });
    const ssh: SshTargets = { defaults: { user: 'root', port: 22, connectTimeoutSec: null }, targets: [] };
    input.bindings.ssh = ssh;
    expect(one(evaluateD69(input), 'D69.ssh-target', 'qemu/100')).toMatchObject({
      outcome: 'fail',
      reason: 'no_ssh_target',
    });
    const source = { file: 'ssh.targets.yaml', line: 3 };
    ssh.targets.push({
      id: 'app1',
      host: '10.0.0.5',
      user: 'root',
      port: 22,
      probeVia: null,
      connectTimeoutSec: null,
      source,
    });
    expect(one(evaluateD69(input), 'D69.ssh-target', 'qemu/100')).toMatchObject({ outcome: 'pass' });
  });

  it("answers as the scans it replaces: a host's enrolled guests, a guest by VMID, a target by name", () => {
    const guests = [makeGuest(100), makeGuest(101, { pool: 'prod' }), makeGuest(100, { node: 'pve2' }), makeGuest(102)];
    const jobs = [
      makeJob('list', { vmids: [100, 999] }),
      makeJob('pool', { pool: 'prod' }),
      makeJob('all', { all: true, exclude: [102] }),
      makeJob('off', { enabled: false, all: true }),
    ];
    const pve = makePveState({ guests, jobs, pools: { prod: [101] } });
    const targets = [makeTarget({ name: 'a' }), makeTarget({ name: 'b' }), makeTarget({ name: 'a', host: 'nas' })];
    const { index } = indexed(makeInput({ bindings: makeBindings({ targets }) }));
    const host = index.pve(pve);
    for (const vmid of [100, 101, 102, 999, 5]) {
      const scanned = jobs.filter((j) => j.enabled && selectGuests(j, guests, pve.pools).includes(vmid));
      expect(host.enrolled.get(vmid) ?? [], `VMID ${vmid}`).toEqual(scanned);
      expect(host.guest(vmid)).toBe(guests.find((g) => g.vmid === vmid));
    }
    expect(index.targetNamed('a')).toBe(targets[0]);
    expect(index.targetNamed('c')).toBeUndefined();
  });
});
