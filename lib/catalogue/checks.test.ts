import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Waiver } from '../bindings/types.js';
import { applyWaivers } from '../gates/waivers.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { evaluateD19 } from '../rules/D19.js';
import { evaluateD69 } from '../rules/D69.js';
import { loadDemo } from '../rules/testing/demo-input.js';
import { evaluateRadicaleCalendar } from '../rules/radicale-calendar.js';
import { evaluateRelay } from '../rules/relay-stalwart.js';
import { CHECKS } from './checks.js';

/** Every check id a finding carries on the demo site: the four gates' rules, then a waiver judged by waivers.stale. */
async function demoChecks(): Promise<Set<string>> {
  const { bindings, state } = await loadDemo();
  const input = {
    bindings,
    state,
    now: state.capturedAt,
    maxSnapshotAgeHours: 26,
    bundledDemo: true,
    restoreSops: { root: '/', found: {} },
  };
  const rules = [evaluateD19, evaluateD69, evaluateRelay, evaluateRadicaleCalendar];
  const findings = rules.flatMap((rule) => rule(input));
  const waiver: Waiver = {
    gate: 'D19',
    check: 'D19.freshness',
    subject: '*',
    justification: 'test',
    owner: 'tests',
    expires: '2999-12-31',
    source: { file: 'drift.waivers.yaml', line: 1 },
  };
  const waived = applyWaivers(
    'D19',
    findings.filter((f) => f.gate === 'D19'),
    { ...input, bindings: { ...bindings, waivers: [waiver] } },
  );
  return new Set([...findings, ...waived].map((f) => f.check));
}

/** The check ids a gate page documents: the first cell of its table rows, `| \`D19.freshness\` | …`. */
function documentedChecks(page: string): string[] {
  return [...readFileSync(path.join(PACKAGE_ROOT, page), 'utf8').matchAll(/^\| `([a-z0-9]+\.[a-z-]+)` \|/gim)].map(
    (m) => m[1]!,
  );
}

describe('the check catalogue (lib/catalogue/checks.ts)', () => {
  it('describes every check the rules produce on the demo site', async () => {
    const produced = await demoChecks();
    expect(produced.size).toBeGreaterThan(30);
    expect([...produced].filter((check) => !CHECKS[check])).toEqual([]);
  });

  it('lists no check that no rule makes: each one is a finding on the demo site', async () => {
    const produced = await demoChecks();
    expect(Object.keys(CHECKS).filter((check) => !produced.has(check))).toEqual([]);
  });

  it('names documentation pages that exist, and each gate page has a table row for each of its checks and for no other', () => {
    expect(
      [...new Set(Object.values(CHECKS).map((c) => c.docs))].filter(
        (page) => !existsSync(path.join(PACKAGE_ROOT, page)),
      ),
    ).toEqual([]);
    const gatePages = [...new Set(Object.values(CHECKS).map((c) => c.docs))].filter((page) =>
      page.startsWith('docs/gates/'),
    );
    expect(gatePages).toHaveLength(4);
    for (const page of gatePages) {
      const catalogued = Object.entries(CHECKS)
        .filter(([, c]) => c.docs === page)
        .map(([check]) => check);
      expect(documentedChecks(page).sort(), page).toEqual(catalogued.sort());
    }
    expect(readFileSync(path.join(PACKAGE_ROOT, CHECKS['waivers.stale']!.docs), 'utf8')).toContain(
      'check `waivers.stale`',
    );
  });
});
