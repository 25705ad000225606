import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { evaluateD19 } from '../rules/D19.js';
import { evaluateD69 } from '../rules/D69.js';
import { loadDemo } from '../rules/demo-input.js';
import { evaluateRadicaleCalendar } from '../rules/radicale-calendar.js';
import { evaluateRelay } from '../rules/relay-stalwart.js';
import { CHECKS } from './checks.js';

describe('the check catalogue (lib/catalogue/checks.ts)', () => {
  it('describes every check the rules produce on the demo site', async () => {
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
    const produced = new Set(rules.flatMap((rule) => rule(input).map((f) => f.check)));
    expect(produced.size).toBeGreaterThan(30);
    expect([...produced].filter((check) => !CHECKS[check])).toEqual([]);
  });

  it('lists no check that no rule makes, and names documentation pages that exist', () => {
    const sources = ['rules', 'gates']
      .flatMap((dir) =>
        readdirSync(path.join(PACKAGE_ROOT, 'lib', dir))
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'checks.ts')
          .map((f) => readFileSync(path.join(PACKAGE_ROOT, 'lib', dir, f), 'utf8')),
      )
      .join('\n');
    expect(Object.keys(CHECKS).filter((check) => !sources.includes(`'${check}'`))).toEqual([]);
    expect(
      [...new Set(Object.values(CHECKS).map((c) => c.docs))].filter(
        (page) => !existsSync(path.join(PACKAGE_ROOT, page)),
      ),
    ).toEqual([]);
  });
});
