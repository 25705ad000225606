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
  REASON_MIGRATIONS,
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

/** lib/catalogue/released-reasons.json: every reason released so far, where it was released. */
interface Released {
  host: string[];
  calendar: string[];
  common: string[];
  run: string[];
  checks: Record<string, string[]>;
}
const RELEASED_FILE = path.join(PACKAGE_ROOT, 'lib', 'catalogue', 'released-reasons.json');
const RELEASED = JSON.parse(readFileSync(RELEASED_FILE, 'utf8')) as Released;
const GROUPS = ['host', 'calendar', 'common', 'run'] as const;
/** Reasons any check may give. */
const ANY_CHECK: readonly string[] = [
  ...HOST_REASONS,
  ...CALENDAR_REASONS,
  ...Object.keys(COMMON_REASONS),
  ...Object.keys(RUN_REASONS),
];

/** The catalogue as released-reasons.json writes it. */
function catalogueAsReleased(): Released {
  return {
    host: [...HOST_REASONS].sort(),
    calendar: [...CALENDAR_REASONS].sort(),
    common: Object.keys(COMMON_REASONS).sort(),
    run: Object.keys(RUN_REASONS).sort(),
    checks: Object.fromEntries(Object.entries(CHECK_REASONS).map(([check, reasons]) => [check, [...reasons].sort()])),
  };
}

/** `where: reason` of each released reason its check (or any check) can no longer give and no migration note covers. */
function goneWithoutNote(released: Released, migrations: Readonly<Record<string, unknown>>): string[] {
  const gone = [
    ...GROUPS.flatMap((group) => released[group].filter((r) => !ANY_CHECK.includes(r)).map((r) => `${group}: ${r}`)),
    ...Object.entries(released.checks).flatMap(([check, reasons]) =>
      reasons.filter((r) => !isCataloguedReason(check, r)).map((r) => `${check}: ${r}`),
    ),
  ];
  return gone.filter((entry) => !Object.hasOwn(migrations, entry.slice(entry.indexOf(': ') + 2)));
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

  it('still gives every released reason, or REASON_MIGRATIONS says what replaced it (fingerprints hash the reason)', () => {
    expect(goneWithoutNote(RELEASED, REASON_MIGRATIONS)).toEqual([]);
  });

  it('would fail on a released reason that left the catalogue without a note, and pass with one', () => {
    const released = {
      ...RELEASED,
      host: [...RELEASED.host, 'ssh_gone'],
      checks: { ...RELEASED.checks, 'D19.freshness': [...RELEASED.checks['D19.freshness']!, 'too_old'] },
    };
    expect(goneWithoutNote(released, REASON_MIGRATIONS)).toEqual(['host: ssh_gone', 'D19.freshness: too_old']);
    const migrations = {
      ...REASON_MIGRATIONS,
      too_old: { now: 'stale', note: 'renamed' },
      ssh_gone: { now: null, note: 'gone' },
    };
    expect(goneWithoutNote(released, migrations)).toEqual([]);
  });

  it('notes only reasons that were released and are gone, each replaced by a reason its checks give (or none)', () => {
    for (const [old, { now, note }] of Object.entries(REASON_MIGRATIONS)) {
      const releasedBy = Object.entries(RELEASED.checks)
        .filter(([, reasons]) => reasons.includes(old))
        .map(([check]) => check);
      expect(releasedBy.length > 0 || GROUPS.some((g) => RELEASED[g].includes(old)), `${old} was released`).toBe(true);
      const stillGiven =
        ANY_CHECK.includes(old) || Object.values(CHECK_REASONS).some((reasons) => reasons.includes(old));
      expect(stillGiven, `${old} is still given`).toBe(false);
      expect(note.length, `${old} has a note`).toBeGreaterThan(0);
      if (now !== null)
        expect(
          releasedBy.filter((check) => !isCataloguedReason(check, now)),
          `${old} → ${now}`,
        ).toEqual([]);
    }
  });

  it('has released-reasons.json list every catalogued reason (add a new one there with it; remove one only with a migration)', () => {
    const catalogue = catalogueAsReleased();
    const missing = [
      ...GROUPS.flatMap((group) =>
        catalogue[group].filter((r) => !RELEASED[group].includes(r)).map((r) => `${group}: ${r}`),
      ),
      ...Object.entries(catalogue.checks).flatMap(([check, reasons]) =>
        reasons.filter((r) => !RELEASED.checks[check]?.includes(r)).map((r) => `${check}: ${r}`),
      ),
    ];
    expect(missing, `add to ${path.relative(PACKAGE_ROOT, RELEASED_FILE)}`).toEqual([]);
  });

  it("names each check's own reasons in that check's row of its gate page (docs/gates/<gate>.md)", () => {
    const missing = Object.entries(CHECK_REASONS).flatMap(([check, reasons]) => {
      const page = readFileSync(path.join(PACKAGE_ROOT, CHECKS[check]!.docs), 'utf8');
      const row = page.split('\n').find((line) => line.startsWith(`| \`${check}\` |`));
      if (row === undefined) return [`${check}: no row in ${CHECKS[check]!.docs}`];
      return reasons.filter((r) => !row.includes(`\`${r}\``)).map((r) => `${check}: ${r}`);
    });
    expect(missing).toEqual([]);
  });
});
