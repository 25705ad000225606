// The console report: severity on every failure, hostile values unable to reach the terminal raw,
// and colour as FORCE_COLOR / NO_COLOR (no-color.org) and the TTY say.

import { describe, expect, it } from 'vitest';
import { progressLine } from '../cli/collect-flags.js';
import { consoleReport, inputErrorLine, useColour } from './console.js';
import { HOSTILE, makeFinding, makeGate, makeRun } from '../results/testing/run-result.js';

describe('consoleReport', () => {
  it('explains a host that could not be read once, and each finding about it refers to that', () => {
    const why =
      'the host key of pve1 (ssh-ed25519 SHA256:abc) is not in /root/.ssh/known_hosts: add it with ssh-keyscan after checking it';
    const about = (check: string) =>
      makeFinding({
        check,
        subject: check,
        host: 'pve1',
        outcome: 'error',
        reason: 'host_key_unknown',
        message: `${check}: cannot judge, host pve1 unreadable: ${why}`,
      });
    const run = makeRun(
      [makeGate('D19', ['D19.freshness', 'D19.scheduler', 'D19.job-run', 'D19.storage'].map(about))],
      {
        hosts: [
          { id: 'pve1', status: 'error', reason: 'host_key_unknown', message: why },
          { id: 'pve2', status: 'ok', reason: null, message: null },
        ],
      },
    );
    const text = consoleReport(run, {}, false);
    expect(text.split(why).length - 1).toBe(1);
    expect(text).toContain('Hosts not read:\n  error pve1: host_key_unknown: ');
    expect(text).toContain('D19.job-run: cannot judge, host pve1 unreadable: host_key_unknown (see "Hosts not read")');
    expect(text).not.toContain('pve2:');
  });

  it('shows severity, and prints no control character from a value (ESC, NUL, CR, a newline forging a line)', () => {
    const run = makeRun([
      makeGate('D19', [makeFinding({ subject: HOSTILE, message: HOSTILE, remediation: `fix it\n${HOSTILE}` })]),
    ]);
    const text = consoleReport(run, { receipt: 'r/receipt.json', junit: 'reports/junit.xml' }, false);
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    const lines = text.split('\n');
    expect(lines.filter((l) => l.includes('forged'))).toHaveLength(2); // inside the finding line and the remediation line, never a line of its own
    expect(lines.find((l) => l.startsWith('  fail'))).toMatch(
      /^ {2}fail {2}high {5}D19\.freshness pve1\/a\]\]>b.*\\u000a## D19 forged: pass\\u000d\\u001b\[2J\\u0000\\ud800 end: /,
    );
    expect(text).toContain('        → fix it\n          a]]>b');
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(inputErrorLine(`x.yaml:1:1: ${HOSTILE}`, false)).not.toMatch(/[\u0000-\u001f]/);
  });

  it('colours with FORCE_COLOR even into a pipe, not with a non-empty NO_COLOR, and an empty NO_COLOR changes nothing', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(useColour(tty, {})).toBe(true);
    expect(useColour(pipe, {})).toBe(false);
    expect(useColour(tty, { NO_COLOR: '' })).toBe(true);
    expect(useColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColour(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColour(pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(useColour(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColour(pipe, { FORCE_COLOR: '3', NO_COLOR: '1' })).toBe(true);
    const run = makeRun([makeGate('D19', [makeFinding()])]);
    expect(consoleReport(run, {}, true)).toContain('\u001b[31mfail \u001b[0m high');
  });

  it('says a gate with no findings had nothing to judge, never empty brackets', () => {
    const text = consoleReport(makeRun([{ ...makeGate('D69', []), outcome: 'skip' }]), {}, false);
    expect(text).not.toContain('()');
    expect(text).toMatch(/^D69 .*: SKIP {2}\(nothing to judge: the bindings and host state give it no subject\)$/m);
  });
});

describe('progressLine', () => {
  it('shows hosts read out of all and the host read longest, and clears itself', () => {
    const written: string[] = [];
    let now = 10_000;
    const line = progressLine({ write: (s: string) => written.push(s) > 0 }, () => now);
    line.update({
      done: 1,
      total: 3,
      running: new Map([
        ['pve-shop', 9_000],
        ['pve\u001bhome', 2_000],
      ]),
    });
    now = 12_000;
    line.update({ done: 2, total: 3, running: new Map() });
    line.clear();
    expect(written).toEqual([
      '\r\u001b[Kreading hosts 1/3; slowest pve\\u001bhome 8s',
      '\r\u001b[Kreading hosts 2/3',
      '\r\u001b[K',
    ]);
  });
});
