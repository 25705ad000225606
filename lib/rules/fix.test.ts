// Remediations that edit bindings (a finding's `fix`) must, applied, clear their finding and create
// no other failure: a property over every such remediation on the demo site and on estates with
// more binding drift (the demo with its calendar emptied, as after adopting jobs before events).

import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadBindings } from '../bindings/load.js';
import { checkRestoreSops } from '../cli/restore-sops.js';
import { findingId, type BindingEdit, type Finding } from '../model.js';
import { DEMO_SITE } from '../package-root.js';
import { readSnapshot } from '../snapshot/read.js';
import { evaluateD19 } from './D19.js';
import { evaluateD69 } from './D69.js';
import { evaluateRadicaleCalendar } from './radicale-calendar.js';
import { evaluateRelay } from './relay-stalwart.js';

/** A copy of the demo site (bindings, snapshot, SOP docs) with `edit` applied to its binding texts. */
function estate(edit: (file: string, text: string) => string = (_f, t) => t): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'fix-')), 'site');
  cpSync(DEMO_SITE, dir, { recursive: true });
  const file = path.join(dir, 'bindings', 'backup.calendar.yaml');
  writeFileSync(file, edit('backup.calendar.yaml', readFileSync(file, 'utf8')));
  return dir;
}

async function evaluate(site: string): Promise<Finding[]> {
  const loaded = await loadBindings(path.join(site, 'bindings'));
  if (!loaded.ok) throw new Error(`bindings do not load: ${JSON.stringify(loaded.errors[0])}`);
  const snapshot = await readSnapshot(path.join(site, 'snapshot'), loaded.bindings);
  if (!snapshot.ok) throw new Error('snapshot does not read');
  const input = {
    bindings: loaded.bindings,
    state: snapshot.state,
    now: snapshot.state.capturedAt,
    maxSnapshotAgeHours: null,
    bundledDemo: true,
    restoreSops: await checkRestoreSops(loaded.bindings),
  };
  return [evaluateD19, evaluateD69, evaluateRelay, evaluateRadicaleCalendar].flatMap((rule) => rule(input));
}

function apply(site: string, edits: BindingEdit[]): void {
  for (const file of new Set(edits.map((e) => e.file))) {
    const full = path.join(site, 'bindings', file);
    const doc = parseDocument(readFileSync(full, 'utf8'));
    for (const e of edits.filter((x) => x.file === file)) {
      if (e.op === 'append') doc.addIn(e.path, doc.createNode(e.value));
      else doc.setIn(e.path, doc.createNode(e.value));
    }
    writeFileSync(full, doc.toString());
  }
}

const bad = (findings: Finding[]) =>
  new Set(findings.filter((f) => f.outcome === 'fail' || f.outcome === 'error').map(findingId));

/** An added event is not in the Radicale calendar until published, which the remediation says to do next. */
const awaitsPublishing = (id: string, edits: BindingEdit[]) =>
  edits.some((e) => e.op === 'append' && id === `calendar.in-radicale ${(e.value as { id: string }).id}`);

const ESTATES: Array<[string, (file: string, text: string) => string]> = [
  ['the demo site', (_f, t) => t],
  ['the demo site with no calendar events', (_f, t) => t.replace(/\nevents:\n[\s\S]*$/, '\nevents: []\n')],
];

describe('binding remediations, applied', () => {
  for (const [name, edit] of ESTATES) {
    it(`clear their finding and create no other failure: ${name}`, async () => {
      const before = await evaluate(estate(edit));
      const fixable = before.filter((f) => f.outcome === 'fail' && f.fix);
      expect(fixable.length).toBeGreaterThan(0);
      // Findings sharing one remediation (every guest of a job) are one case.
      const cases = new Map(fixable.map((f) => [JSON.stringify(f.fix), f]));
      for (const [, finding] of cases) {
        const site = estate(edit);
        apply(site, finding.fix!);
        const after = await evaluate(site);
        const stillBad = bad(after);
        expect(stillBad.has(findingId(finding)), `${findingId(finding)} after its fix`).toBe(false);
        const created = [...stillBad].filter((id) => !bad(before).has(id) && !awaitsPublishing(id, finding.fix!));
        expect(created, `new failures after fixing ${findingId(finding)}`).toEqual([]);
      }
    });
  }

  it("give a weekday job's event its days (D69 once suggested a WEEKLY event without byday)", async () => {
    const findings = await evaluate(estate(ESTATES[1]![1]));
    const scheduled = findings.find((f) => f.check === 'D69.scheduled' && f.subject === 'qemu/110')!;
    expect(scheduled.fix).toEqual([
      {
        file: 'backup.calendar.yaml',
        path: ['events'],
        op: 'append',
        value: {
          id: 'backup-2b7d14e8-c3a0',
          summary: 'vzdump job backup-2b7d14e8-c3a0',
          freq: 'WEEKLY',
          byhour: 12,
          byminute: 30,
          byday: ['MO', 'TU', 'WE', 'TH', 'FR'],
          duration_minutes: 60,
        },
      },
    ]);
    expect(scheduled.remediation).toContain('byday: [MO, TU, WE, TH, FR]');
  });
});
