// report.html in a real browser: Debian's chromium, headless, driven by playwright-core (which never
// downloads a browser of its own), with every request that is not the file itself refused and counted.
// The bundled demo's report comes from the built CLI (`npm run build` first).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupWindow } from '../calendar/windows.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { reportHtml } from './html.js';
import { HOSTILE, makeFinding, makeGate, makeRun } from '../results/testing/run-result.js';

// .ci/run installs Debian's chromium; without it this test fails rather than skips.
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const guests = ['qemu/101', 'qemu/102', 'lxc/103', 'qemu/104'];
const window = (over: Partial<BackupWindow>): BackupWindow => ({
  source: 'job',
  id: 'backup-1',
  host: 'pve1',
  weekday: 1,
  start: 120,
  minutes: 60,
  durationKnown: false,
  overlaps: [],
  ...over,
});
const run = makeRun(
  [
    makeGate('D19', [
      ...guests.map((subject, i) =>
        makeFinding({ check: 'D19.guest-covered', subject, outcome: i === 1 ? 'fail' : 'pass' }),
      ),
      makeFinding({ subject: 'fresh-target', outcome: 'pass', freshness: { ageHours: 5, limitHours: 26 } }),
      makeFinding({ subject: 'stale-target', outcome: 'fail', freshness: { ageHours: 50, limitHours: 26 } }),
      makeFinding({
        subject: 'empty-target',
        outcome: 'fail',
        reason: 'no_matches',
        freshness: { ageHours: null, limitHours: 26 },
      }),
      makeFinding({
        subject: HOSTILE,
        message: `<script>document.title='pwned'</script>${HOSTILE}`,
        host: 'pve2',
        outcome: 'error',
        reason: 'connect_timeout',
      }),
      makeFinding({ subject: 'critical-target', outcome: 'fail', severity: 'critical' }),
    ]),
    makeGate(
      'D69',
      guests
        .slice(0, 3)
        .map((subject) =>
          makeFinding({
            gate: 'D69',
            check: 'D69.offsite',
            subject,
            outcome: subject === 'lxc/103' ? 'waived' : 'pass',
          }),
        ),
    ),
  ],
  {
    windows: {
      zone: 'Europe/Berlin',
      notShown: [],
      windows: [
        window({ overlaps: ['job:pve1/backup-2'] }),
        window({ id: 'backup-2', start: 150, overlaps: ['job:pve1/backup-1'] }),
        window({
          source: 'calendar',
          id: 'nightly',
          host: null,
          weekday: 0,
          start: 23 * 60,
          minutes: 120,
          durationKnown: true,
        }),
      ],
    },
  },
);

let context: BrowserContext;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];
let profile: string;
/** The bundled demo's report.html, as `ops verify` wrote it into its receipt folder. */
let demoReport: string;

beforeAll(async () => {
  profile = mkdtempSync(path.join(tmpdir(), 'chromium-profile-'));
  const file = path.join(profile, 'report.html');
  writeFileSync(file, reportHtml(run));
  const reports = path.join(profile, 'reports');
  try {
    execFileSync(
      process.execPath,
      [path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js'), 'verify', '--reports', reports],
      { cwd: profile, stdio: 'ignore' },
    );
  } catch {
    /* exit 2: the demo has an unreadable host */
  }
  const [key] = readdirSync(path.join(reports, 'receipts'));
  demoReport = path.join(reports, 'receipts', key!, 'report.html');
  const allowed = new Set([`file://${file}`, `file://${demoReport}`]);
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed.has(url)) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`file://${file}`);
}, 60_000);

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
});

describe('report.html in Chromium', () => {
  it('renders the verdict and every gate from the one file, asking the network for nothing, running no value as code', async () => {
    expect(await page.locator('h1').innerText()).toContain('ERROR');
    expect(await page.locator('.card h3').allInnerTexts()).toEqual(['D19 error', 'D69 pass']);
    expect(requests).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(await page.title()).toMatch(/^spine-gates error/);
    expect(await page.locator('injected').count()).toBe(0);
    expect(await page.locator('tr.finding', { hasText: 'forged' }).count()).toBe(1);
    // Not the bundled demo: no warning.
    expect(await page.locator('.warning').count()).toBe(0);
  });

  it('leads with what is wrong: errors, then failures by severity, with remediation; the rest folded with its counts', async () => {
    expect(await page.locator('.verdict').innerText()).toBe(
      '1 error · 4 failures (1 critical, 3 high) · 6 pass · 0 skip · 1 waived',
    );
    expect(await page.locator('main > section').evaluateAll((ss) => ss.map((x) => x.id))).toEqual([
      'wrong',
      'gates',
      'coverage',
      'freshness',
      'week',
      'others',
      'facts',
    ]);
    expect(await page.locator('#wrong h2').innerText()).toBe('What is wrong: 1 error (could not check), 4 failures');
    const rows = await page
      .locator('#wrong tr.finding')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    expect(rows.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'error high',
      'fail critical',
      'fail high',
      'fail high',
      'fail high',
    ]);
    expect(rows[1]![2]).toBe('D19.freshness pve1/critical-target');
    expect(await page.locator('#wrong tr.finding pre').count()).toBe(5);
    expect(await page.locator('#others summary').innerText()).toBe(
      'Waived, passed and skipped: 1 waived, 6 passed, 0 skipped',
    );
    expect(await page.locator('#others details').getAttribute('open')).toBeNull();
    expect(await page.locator('#others tr.finding').count()).toBe(7);
    expect(await page.locator('#others tr.finding:visible').count()).toBe(0);
  });

  it('has a coverage matrix row per guest, with a cell per check', async () => {
    const rows = page.locator('table.matrix tbody tr');
    expect(
      await rows.evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-guest'), tr.querySelectorAll('td').length]),
      ),
    ).toEqual([
      ['pve1/lxc/103', 2],
      ['pve1/qemu/101', 2],
      ['pve1/qemu/102', 2],
      ['pve1/qemu/104', 2],
    ]);
    expect(await page.locator('tr[data-guest="pve1/qemu/102"] td').allInnerTexts()).toEqual(['✗', '✓']);
    expect(await page.locator('tr[data-guest="pve1/lxc/103"] td').allInnerTexts()).toEqual(['✓', 'w']);
    expect(await page.locator('tr[data-guest="pve1/qemu/104"] td').nth(1).getAttribute('title')).toBe('not judged');
  });

  it('sorts freshness bars worst first and draws overlapping windows outlined', async () => {
    expect(await page.locator('.bar-row .bar-label').allInnerTexts()).toEqual([
      'no archive',
      '50h of 26h',
      '5h of 26h',
    ]);
    expect(await page.locator('svg.week rect.overlap').count()).toBe(2);
    // The 23:00 event runs two hours: one part on Sunday, the rest at the top of Monday.
    expect(await page.locator('svg.week rect.calendar').count()).toBe(2);
  });

  it("lists each target's last restore drill and draws its archive sizes as a sparkline, in the page itself", async () => {
    const own = await context.newPage();
    await own.setContent(
      reportHtml(
        makeRun([
          makeGate('D19', [
            makeFinding({
              check: 'D19.restore-drill',
              subject: 'fresh-target',
              outcome: 'pass',
              drill: { at: 1772097245, ok: true, source: 'pve' },
            }),
            makeFinding({
              check: 'D19.restore-drill',
              subject: 'stale-target',
              outcome: 'fail',
              reason: 'no_recent_drill',
              drill: { at: null, ok: null, source: null },
            }),
            makeFinding({
              check: 'D19.size',
              subject: 'stale-target',
              outcome: 'fail',
              reason: 'size_drop',
              sizeHistory: [433244113, 434130224, 434348484, 11873420],
            }),
          ]),
        ]),
      ),
    );
    const rows = own.locator('#restore tbody tr');
    expect(
      await rows.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => (td as HTMLElement).innerText)),
      ),
    ).toEqual([
      ['pve1/fresh-target', '2026-02-26 ok (PVE task)'],
      ['pve1/stale-target', 'never'],
    ]);
    const spark = own.locator('#restore tr:nth-child(2) svg.spark');
    expect(await spark.locator('polyline').getAttribute('points')).toMatch(/^(\S+,\S+ ){3}\S+,\S+$/);
    expect(await spark.locator('circle').getAttribute('class')).toBe('o-fill-fail');
    expect(await spark.getAttribute('aria-label')).toBe('433244113 B, 434130224 B, 434348484 B, 11873420 B');
    await own.close();
  });

  it('filters findings by gate, outcome and host', async () => {
    const visible = () => page.locator('tr.finding:visible').count();
    expect(await visible()).toBe(5); // the folded ones are not on screen
    expect(await page.locator('#shown').innerText()).toBe('12');
    await page.selectOption('select[data-filter="outcome"]', 'fail');
    expect(await visible()).toBe(4);
    expect(await page.locator('#shown').innerText()).toBe('4');
    await page.selectOption('select[data-filter="gate"]', 'D69');
    expect(await visible()).toBe(0);
    await page.selectOption('select[data-filter="outcome"]', '');
    expect(await visible()).toBe(3); // a filter unfolds the folded findings
    await page.selectOption('select[data-filter="gate"]', '');
    await page.selectOption('select[data-filter="host"]', 'pve2');
    expect(await page.locator('tr.finding:visible td:nth-child(3)').allInnerTexts()).toEqual([
      expect.stringContaining('D19.freshness pve2/a]]>b]]>'),
    ]);
    await page.selectOption('select[data-filter="host"]', '');
  });

  it('is readable in dark mode and printed: dark colours, and on paper every finding without the filters', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
    await page.selectOption('select[data-filter="outcome"]', 'pass');
    await page.evaluate(() => {
      document.querySelector('details')!.open = false;
    });
    await page.emulateMedia({ media: 'print', colorScheme: 'light' });
    expect(await page.locator('form.filters').isVisible()).toBe(false);
    expect(await page.locator('tr.finding:visible').count()).toBe(12);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(255, 255, 255)');
  });

  for (const [width, height] of [
    [1400, 900],
    [400, 800],
  ] as const) {
    it(`the bundled demo's report at ${width} px: the demo warning on top, no sideways scrolling, the first error on the first screen`, async () => {
      const demo = await context.newPage();
      try {
        await demo.setViewportSize({ width, height });
        await demo.goto(`file://${demoReport}`);
        const shot = await demo.screenshot();
        expect(shot.readUInt32BE(16)).toBe(width); // the PNG is the viewport: nothing beyond it was laid out
        expect(
          await demo.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
        ).toBe(0);
        const warning = await demo.locator('.warning').boundingBox();
        expect(await demo.locator('.warning').innerText()).toContain('BUNDLED DEMO SITE');
        expect(warning!.y).toBeLessThan(40);
        const first = demo.locator('#wrong tr.finding').first();
        expect(await first.locator('td').first().innerText()).toBe('error');
        const box = await first.boundingBox();
        expect(box!.y + 20).toBeLessThan(height);
        expect(await demo.locator('#wrong tr.finding').count()).toBe(47);
        expect(requests).toEqual([]);
      } finally {
        await demo.close();
      }
    });
  }
});
