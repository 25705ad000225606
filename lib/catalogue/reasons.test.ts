import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { CHECKS } from './checks.js';
import {
  CALENDAR_REASONS,
  CHECK_REASONS,
  COMMON_REASONS,
  HOST_REASONS,
  isCataloguedReason,
  RUN_REASONS,
} from './reasons.js';

/** docs/reasons.md as the catalogue makes it: a failure here shows the text to paste. */
function reasonsMarkdown(): string {
  const rows = (o: Readonly<Record<string, string>>) => Object.entries(o).map(([r, what]) => `| \`${r}\` | ${what} |`);
  return [
    '# Reason codes',
    '',
    'Every reason a finding can carry (`reason` in `--json`, receipts and JUnit), from `lib/catalogue/reasons.ts`.',
    'They are a contract: fingerprints hash them (new versus known drift), so a reason is never renamed, only added.',
    "What each one means for its check is on the gate's page in `docs/gates/`.",
    '',
    '## Any check',
    '',
    '| reason | meaning |',
    '| --- | --- |',
    ...rows(COMMON_REASONS),
    `| ${HOST_REASONS.map((r) => `\`${r}\``).join(', ')} | error: the host could not be read ([Live collection](live-collection.md)) |`,
    `| ${CALENDAR_REASONS.map((r) => `\`${r}\``).join(', ')} | error, calendar checks: the calendar could not be read ([radicale-calendar](gates/radicale-calendar.md)) |`,
    '',
    '## Runs and waivers',
    '',
    '| reason | meaning |',
    '| --- | --- |',
    ...rows(RUN_REASONS),
    '',
    '## Each check',
    '',
    '| check | its own reasons |',
    '| --- | --- |',
    ...Object.entries(CHECK_REASONS).map(
      ([check, reasons]) => `| \`${check}\` | ${reasons.map((r) => `\`${r}\``).join(', ')} |`,
    ),
    '',
  ].join('\n');
}

describe('the reason catalogue (lib/catalogue/reasons.ts)', () => {
  it('lists the reasons of exactly the catalogued checks', () => {
    expect(Object.keys(CHECK_REASONS).sort()).toEqual(
      Object.keys(CHECKS)
        .filter((c) => c !== 'waivers.stale')
        .sort(),
    );
  });

  it("accepts a check's own, host, common and run reasons, and nothing else", () => {
    expect(isCataloguedReason('D19.job-run', 'clock_ahead')).toBe(true);
    expect(isCataloguedReason('D19.job-run', 'connect_timeout')).toBe(true);
    expect(isCataloguedReason('D19.job-run', 'no host state')).toBe(true);
    expect(isCataloguedReason('D19.job-run', null)).toBe(true);
    expect(isCataloguedReason('D19.job-run', 'stale')).toBe(false);
    expect(isCataloguedReason('D19.nope', 'stale')).toBe(false);
  });

  it('is what docs/reasons.md says', () => {
    expect(readFileSync(path.join(PACKAGE_ROOT, 'docs', 'reasons.md'), 'utf8')).toBe(reasonsMarkdown());
  });
});
