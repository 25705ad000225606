// The console report: severity on every failure, hostile values unable to reach the terminal raw,
// and colour as FORCE_COLOR / NO_COLOR (no-color.org) and the TTY say.

import { describe, expect, it } from 'vitest';
import { progressLine } from '../cli/collect-flags.js';
import { consoleReport, inputErrorLine, useColour } from './console.js';
import { HOSTILE, makeFinding, makeGate, makeRun } from './testing/run-result.js';

describe('consoleReport', () => {
  it('shows severity, and prints no control character from a value (ESC, NUL, CR, a newline forging a line)', () => {
    const run = makeRun([makeGate('D19', [makeFinding({ subject: HOSTILE, message: HOSTILE, remediation: `fix it\n${HOSTILE}` })])]);
    const text = consoleReport(run, { receipt: 'r/receipt.json', junit: 'reports/junit.xml' }, false);
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    const lines = text.split('\n');
    expect(lines.filter((l) => l.includes('forged'))).toHaveLength(2); // inside the finding line and the remediation line, never a line of its own
    expect(lines.find((l) => l.startsWith('  fail'))).toMatch(/^ {2}fail {2}high {5}D19\.freshness pve1\/a\]\]>b.*\\u000a## D19 forged: pass\\u000d\\u001b\[2J\\u0000\\ud800 end: /);
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
});

describe('progressLine', () => {
  it('shows hosts read out of all and the host read longest, and clears itself', () => {
    const written: string[] = [];
    let now = 10_000;
    const line = progressLine({ write: (s: string) => written.push(s) > 0 }, () => now);
    line.update({ done: 1, total: 3, running: new Map([['pve-shop', 9_000], ['pve\u001bhome', 2_000]]) });
    now = 12_000;
    line.update({ done: 2, total: 3, running: new Map() });
    line.clear();
    expect(written).toEqual(['\r\u001b[Kreading hosts 1/3; slowest pve\\u001bhome 8s', '\r\u001b[Kreading hosts 2/3', '\r\u001b[K']);
  });
});
