// radicale-calendar and `ops calendar` against a real Radicale (lib/calendar/testing/radicale.ts):
// reached directly, and through a fake sshd host's direct-tcpip tunnel, as the real estate's
// Radicale on 127.0.0.1 of its VM is. In-process (collect → snapshot → rules) and through the
// built CLI. The login's password is a canary that no output file may ever contain.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadBindings } from '../bindings/load.js';
import { collect } from '../collect/collect.js';
import {
  fakeHostsUnavailable,
  freePort,
  generateClientKey,
  startFakeHost,
  startSilentTcpServer,
  writeBindings,
  type FakeHost,
} from '../collect/testing/fake-host.js';
import type { CollectOptions } from '../collect/types.js';
import type { Finding } from '../model.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { evaluateRadicaleCalendar } from '../rules/radicale-calendar.js';
import { readSnapshot } from '../snapshot/read.js';
import { skipNamed } from '../testing/skip.js';
import { writeSnapshot } from '../snapshot/write.js';
import { PASSWORD_ENV, USER_ENV } from './location.js';
import { radicaleUnavailable, startRadicale, type Radicale } from './testing/radicale.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const unavailable =
  radicaleUnavailable() ?? (existsSync(OPS) ? null : `${OPS} is missing: run \`npm run build\` first`);

describe('Radicale prerequisites', () => {
  it('/usr/bin/radicale is installed and the CLI is built', (ctx) => {
    if (unavailable && process.env.CI === 'true') throw new Error(`CI must run the Radicale tests: ${unavailable}`);
    if (unavailable) ctx.skip(`Radicale tests skipped: ${unavailable}`);
  });
});

const EVENTS = [
  {
    id: 'nightly',
    summary: 'Nightly vzdump, all guests',
    freq: 'DAILY',
    byhour: 2,
    byminute: 0,
    duration_minutes: 90,
    description: 'job backup-1; storage local',
  },
  {
    id: 'sunday',
    summary: 'Weekly rebuild pool',
    freq: 'WEEKLY',
    byday: ['SU'],
    byhour: 3,
    byminute: 30,
    duration_minutes: 30,
  },
  { id: 'late', summary: 'Offsite sync', freq: 'DAILY', byhour: 23, byminute: 30, duration_minutes: 120 },
  {
    id: 'drill',
    summary: 'Restore drill',
    freq: 'MONTHLY',
    bymonthday: [1],
    byhour: 4,
    byminute: 30,
    duration_minutes: 20,
  },
  { id: 'monitor', summary: 'Backup monitor', freq: 'HOURLY', byminute: 15, duration_minutes: 5 },
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(unavailable !== null)(skipNamed('radicale-calendar against a real Radicale', unavailable), () => {
  const CANARY = `canary-${randomBytes(12).toString('hex')}`;
  const login = { [USER_ENV]: 'alice', [PASSWORD_ENV]: CANARY };
  let rad: Radicale;
  let work: string;
  const saved = { user: process.env[USER_ENV], password: process.env[PASSWORD_ENV] };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'radicale-calendar-'));
    rad = await startRadicale({ alice: CANARY, bob: 'bob-password' });
    writeFileSync(path.join(work, 'known_hosts.empty'), ''); // direct runs reach no SSH host
    Object.assign(process.env, login); // collect() reads the login from the environment, like the CLI
  }, 30_000);

  afterAll(async () => {
    process.env[USER_ENV] = saved.user;
    process.env[PASSWORD_ENV] = saved.password;
    if (saved.user === undefined) delete process.env[USER_ENV];
    if (saved.password === undefined) delete process.env[PASSWORD_ENV];
    await rad?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A new collection of alice's with these items (raw .ics bodies by name). */
  async function collection(name: string, items: Record<string, string> = {}): Promise<string> {
    expect((await rad.request('alice', 'MKCALENDAR', `/alice/${name}/`)).status).toBe(201);
    for (const [file, ics] of Object.entries(items)) {
      expect(
        (await rad.request('alice', 'PUT', `/alice/${name}/${file}`, ics, { 'Content-Type': 'text/calendar' })).status,
      ).toBe(201);
    }
    return `${rad.baseUrl}/alice/${name}/`;
  }

  /** A binding folder whose calendar is at `calendar` (drift.gates.yaml calendar.*) or in a contract. */
  async function bindings(
    name: string,
    o: {
      calendar?: Record<string, unknown>;
      contract?: Record<string, unknown>;
      hosts?: Array<{ id: string; port: number }>;
      events?: unknown[];
    },
  ): Promise<string> {
    const dir = await writeBindings(path.join(work, `bindings-${name}`), {
      hosts: o.hosts ?? [],
      targets: [],
      guests: [],
      pveHosts: [],
      ...(o.calendar ? { policy: { calendar: o.calendar } } : {}),
    });
    writeFileSync(
      path.join(dir, 'backup.calendar.yaml'),
      stringify({
        version: 1,
        updated_at: '2026-03-01',
        timezone: 'Europe/Berlin',
        dtstart_date: '2026-02-01',
        calendar_name: 'Backups',
        events: o.events ?? EVENTS,
      }),
    );
    if (o.contract) writeFileSync(path.join(dir, 'calendar.home.contract.yaml'), stringify({ home: o.contract }));
    return dir;
  }

  const collectOptions = (over: Partial<CollectOptions> = {}): CollectOptions => ({
    knownHostsFile: path.join(work, 'known_hosts.empty'),
    insecureAcceptAnyHostKey: false,
    identityFiles: [],
    sshConfigFile: null,
    concurrency: 4,
    connectTimeoutMs: 2000,
    commandTimeoutMs: 3000,
    hostBudgetMs: 20_000,
    onlyHosts: null,
    agentSocket: null,
    home: work,
    ...over,
  });

  /** collect → snapshot folder → readSnapshot → rules: what `ops verify --live` judges. */
  async function judge(
    dir: string,
    over: Partial<CollectOptions> = {},
  ): Promise<{ findings: Finding[]; snapshot: string }> {
    const loaded = await loadBindings(dir);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const snapshot = mkdtempSync(path.join(work, 'snap-'));
    await writeSnapshot(snapshot, await collect(loaded.bindings, collectOptions(over)));
    const read = await readSnapshot(snapshot, loaded.bindings);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    return {
      findings: evaluateRadicaleCalendar({
        bindings: loaded.bindings,
        state: read.state,
        now: new Date().toISOString(),
        maxSnapshotAgeHours: null,
        bundledDemo: false,
      }),
      snapshot,
    };
  }
  const outcomes = (findings: Finding[], check: string) =>
    Object.fromEntries(
      findings
        .filter((f) => f.check === check)
        .map((f) => [
          f.subject,
          f.outcome === 'fail' || f.outcome === 'error' ? `${f.outcome} ${f.reason}` : f.outcome,
        ]),
    );

  function ops(args: string[], env: Record<string, string> = login): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [OPS, ...args],
        { cwd: work, env: { PATH: process.env.PATH, HOME: work, NO_COLOR: '1', ...env }, timeout: 45_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
        },
      );
    });
  }

  /** Every file under `dir` that holds the canary password. */
  function leaks(dir: string): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = path.join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (readFileSync(p).includes(CANARY)) found.push(p);
      }
    };
    walk(dir);
    return found;
  }

  const FOREIGN =
    'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\nUID:dentist-42@example.net\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260310T090000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
  const ALL_MISSING = Object.fromEntries(EVENTS.map((e) => [e.id, 'fail missing_event']));
  const ALL_PASS = Object.fromEntries(EVENTS.map((e) => [e.id, 'pass']));

  it('publish round trip: dry run changes nothing, --execute makes the gate pass, a second run changes nothing, a foreign event survives', async () => {
    const url = await collection('roundtrip', { 'dentist.ics': FOREIGN });
    const dir = await bindings('roundtrip', { calendar: { url } });
    expect(outcomes((await judge(dir)).findings, 'calendar.in-radicale')).toEqual(ALL_MISSING);
    const before = await rad.request('alice', 'GET', '/alice/roundtrip/');

    const dry = await ops(['calendar', 'publish', '--bindings', dir, '--reports', path.join(work, 'reports')]);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout.match(/^would create /gm)).toHaveLength(EVENTS.length);
    expect(dry.stdout).toContain('dry run, nothing changed: 5 to create, 0 to update, 0 to delete, 0 left as they are');
    expect((await rad.request('alice', 'GET', '/alice/roundtrip/')).body).toBe(before.body);

    const first = await ops([
      'calendar',
      'publish',
      '--bindings',
      dir,
      '--execute',
      '--reports',
      path.join(work, 'reports'),
    ]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout.match(/^created /gm)).toHaveLength(EVENTS.length);
    const receipt = first.stdout.match(/receipt (\S+)/)![1]!;
    const recorded = JSON.parse(readFileSync(receipt, 'utf8')) as {
      actions: Array<{ kind: string; result: { ok: boolean } | null }>;
      calendar: { url: string };
    };
    expect(recorded.calendar.url).toBe(url);
    expect(recorded.actions.filter((a) => a.kind === 'create' && a.result?.ok)).toHaveLength(EVENTS.length);

    const after = await judge(dir);
    expect(outcomes(after.findings, 'calendar.in-radicale')).toEqual(ALL_PASS);
    expect(Object.values(outcomes(after.findings, 'calendar.orphan'))).toEqual(EVENTS.map(() => 'pass'));
    const snapshotted = JSON.parse(readFileSync(path.join(after.snapshot, 'calendar', 'collection.json'), 'utf8')) as {
      items: Array<{ href: string; data: string }>;
    };
    expect(snapshotted.items).toHaveLength(EVENTS.length + 1);

    const etags = (await rad.request('alice', 'PROPFIND', '/alice/roundtrip/', undefined, { Depth: '1' })).body;
    const second = await ops([
      'calendar',
      'publish',
      '--bindings',
      dir,
      '--execute',
      '--reports',
      path.join(work, 'reports'),
    ]);
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toContain('0 to create, 0 to update, 0 to delete, 5 left as they are');
    expect((await rad.request('alice', 'PROPFIND', '/alice/roundtrip/', undefined, { Depth: '1' })).body).toBe(etags);
    expect((await rad.request('alice', 'GET', '/alice/roundtrip/dentist.ics')).body).toContain(
      'UID:dentist-42@example.net',
    );

    // The whole CLI run: live collection, the gate, JUnit and receipt; the password is nowhere.
    const verify = await ops([
      'verify',
      '--live',
      '--gate',
      'radicale-calendar',
      '--bindings',
      dir,
      '--reports',
      path.join(work, 'reports'),
      '--known-hosts',
      path.join(work, 'known_hosts.empty'),
    ]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(leaks(work)).toEqual([]);
    expect(dry.stdout + dry.stderr + first.stdout + first.stderr + verify.stdout + verify.stderr).not.toContain(CANARY);
  });

  it('finds a missing event, a drifted time, a wrong weekday, a cancelled event and orphans; publish repairs what it owns', async () => {
    const url = await collection('drift', { 'dentist.ics': FOREIGN });
    const dir = await bindings('drift', { calendar: { url } });
    expect(
      (await ops(['calendar', 'publish', '--bindings', dir, '--execute', '--reports', path.join(work, 'reports')]))
        .code,
    ).toBe(0);
    const item = async (id: string) => rad.request('alice', 'GET', `/alice/drift/spine-backup-${id}%40spine-gates.ics`);
    const rewrite = async (id: string, edit: (ics: string) => string) => {
      const got = await item(id);
      const put = await rad.request(
        'alice',
        'PUT',
        `/alice/drift/spine-backup-${id}%40spine-gates.ics`,
        edit(got.body),
        { 'Content-Type': 'text/calendar', 'If-Match': got.etag! },
      );
      expect([201, 204]).toContain(put.status);
    };
    // One event publish made for a binding event since removed, and a stale window somebody made by hand (no publish marker).
    const retired = await bindings('drift-retired', {
      calendar: { url },
      events: [...EVENTS, { id: 'retired', summary: 'Retired', freq: 'DAILY', byhour: 5, byminute: 0 }],
    });
    expect(
      (await ops(['calendar', 'publish', '--bindings', retired, '--execute', '--reports', path.join(work, 'reports')]))
        .code,
    ).toBe(0);
    const stale = FOREIGN.replace('dentist-42@example.net', 'spine-backup-old-window@spine-gates').replace(
      'Dentist',
      'Old window',
    );
    expect(
      (await rad.request('alice', 'PUT', '/alice/drift/old-window.ics', stale, { 'Content-Type': 'text/calendar' }))
        .status,
    ).toBe(201);
    await rewrite('nightly', (ics) => ics.replace('T020000', 'T022000').replace('BYMINUTE=0', 'BYMINUTE=20'));
    // What the legacy generator wrote: FREQ=WEEKLY only, anchored on a Tuesday.
    await rewrite('sunday', (ics) =>
      ics
        .replace(/DTSTART;TZID=Europe\/Berlin:\d{8}/, 'DTSTART;TZID=Europe/Berlin:20260210')
        .replace('RRULE:FREQ=WEEKLY;BYDAY=SU;BYHOUR=3;BYMINUTE=30', 'RRULE:FREQ=WEEKLY'),
    );
    await rewrite('late', (ics) => ics.replace('END:VEVENT', 'STATUS:CANCELLED\r\nEND:VEVENT'));
    expect((await rad.request('alice', 'DELETE', '/alice/drift/spine-backup-monitor%40spine-gates.ics')).status).toBe(
      200,
    );

    const { findings } = await judge(dir);
    expect(outcomes(findings, 'calendar.in-radicale')).toEqual({
      nightly: 'fail time_drift',
      sunday: 'fail wrong_day',
      late: 'fail cancelled',
      drill: 'pass',
      monitor: 'fail missing_event',
    });
    expect(findings.find((f) => f.subject === 'sunday' && f.check === 'calendar.in-radicale')!.message).toContain(
      'it falls on TU, not SU',
    );
    expect(outcomes(findings, 'calendar.orphan')).toMatchObject({
      'spine-backup-old-window@spine-gates': 'fail orphan_event',
      'spine-backup-retired@spine-gates': 'fail orphan_event',
    });

    const repair = await ops([
      'calendar',
      'publish',
      '--bindings',
      dir,
      '--execute',
      '--reports',
      path.join(work, 'reports'),
    ]);
    expect(repair.code, repair.stdout).toBe(0);
    expect(repair.stdout).toMatch(/^updated +nightly /m);
    expect(repair.stdout).toMatch(/^deleted +retired /m);
    expect(repair.stdout).toMatch(/^leave +old-window .*left alone/m);
    const fixed = (await judge(dir)).findings;
    expect(outcomes(fixed, 'calendar.in-radicale')).toEqual(ALL_PASS);
    expect(Object.entries(outcomes(fixed, 'calendar.orphan')).filter(([, o]) => o !== 'pass')).toEqual([
      ['spine-backup-old-window@spine-gates', 'fail orphan_event'],
    ]);
    expect((await rad.request('alice', 'GET', '/alice/drift/dentist.ics')).status).toBe(200);
  });

  it("a refused login is auth_denied (401 wrong password, 403 another user's collection), from the environment or a credentials file", async () => {
    const url = await collection('private');
    const dir = await bindings('auth', { calendar: { url } });
    const wrong = await judge(dir, {});
    expect(outcomes(wrong.findings, 'calendar.in-radicale')['nightly']).toBe('fail missing_event'); // the right login reads it
    process.env[PASSWORD_ENV] = 'not-the-password';
    try {
      const denied = (await judge(dir)).findings;
      expect(outcomes(denied, 'calendar.in-radicale')).toEqual(
        Object.fromEntries(EVENTS.map((e) => [e.id, 'error auth_denied'])),
      );
      expect(denied.find((f) => f.check === 'calendar.orphan')).toMatchObject({
        outcome: 'error',
        reason: 'auth_denied',
      });
      expect(denied[denied.length - 1]!.message).toContain('HTTP 401');
    } finally {
      process.env[PASSWORD_ENV] = CANARY;
    }
    const file = path.join(work, 'bob.cred');
    writeFileSync(file, 'bob:bob-password\n', { mode: 0o600 });
    const asBob = await bindings('auth-bob', { calendar: { url, credentials_file: file } });
    const cli = await ops(
      [
        'verify',
        '--live',
        '--gate',
        'radicale-calendar',
        '--bindings',
        asBob,
        '--reports',
        path.join(work, 'reports'),
        '--json',
      ],
      {},
    );
    expect(cli.code).toBe(2);
    const checks = (
      JSON.parse(cli.stdout) as {
        gates: Array<{ checks: Array<{ id: string; outcome: string; reason: string; message: string }> }>;
      }
    ).gates[0]!.checks;
    expect(checks.find((c) => c.id === 'calendar.in-radicale')).toMatchObject({
      outcome: 'error',
      reason: 'auth_denied',
    });
    expect(checks.find((c) => c.id === 'calendar.in-radicale')!.message).toContain('HTTP 403');
    const publish = await ops(['calendar', 'publish', '--bindings', dir, '--execute'], {
      [USER_ENV]: 'alice',
      [PASSWORD_ENV]: 'wrong',
    });
    expect(publish.code).toBe(2);
    expect(publish.stdout).toContain('ERROR: auth_denied');
  });

  it('a server that is down, silent or failing is an error with its own reason', async () => {
    const silent = await startSilentTcpServer();
    const failing = http.createServer((_req, res) => {
      res.writeHead(503);
      res.end('maintenance\n');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const cases: Array<[string, string]> = [
        [`http://127.0.0.1:${await freePort()}/alice/backups/`, 'connect_refused'],
        [`http://127.0.0.1:${silent.port}/alice/backups/`, 'http_timeout'],
        [`http://127.0.0.1:${(failing.address() as { port: number }).port}/alice/backups/`, 'server_error'],
        [`${rad.baseUrl}/alice/no-such-calendar/`, 'collection_missing'],
      ];
      for (const [url, reason] of cases) {
        const dir = await bindings(`down-${reason}`, { calendar: { url } });
        const { findings } = await judge(dir, { commandTimeoutMs: 1000 });
        expect(
          findings.find((f) => f.check === 'calendar.in-radicale'),
          url,
        ).toMatchObject({ outcome: 'error', reason });
      }
    } finally {
      await silent.close();
      failing.close();
    }
  });

  const noFakeHosts = fakeHostsUnavailable();
  describe.skipIf(noFakeHosts !== null)(
    skipNamed("through a fake sshd host's tunnel (Radicale on the host's 127.0.0.1)", noFakeHosts),
    () => {
      let host: FakeHost;
      let key: { privateKeyPath: string; publicKeyLine: string };
      let knownHosts: string;

      beforeAll(async () => {
        key = await generateClientKey(work);
        host = await startFakeHost({
          id: 'cal-host',
          authorizedKeys: [key.publicKeyLine],
          files: {},
          logLevel: 'DEBUG1',
        });
        knownHosts = path.join(work, 'known_hosts');
        writeFileSync(knownHosts, `${host.knownHostsLine()}\n`);
      }, 30_000);
      afterAll(async () => {
        await host?.stop();
      });

      it('collects, publishes and judges through the calendar host, as calendar.home.contract.yaml says', async () => {
        await collection('tunnel', { 'dentist.ics': FOREIGN });
        const contract = {
          host: 'cal-host',
          endpoint: { base_url: rad.baseUrl, calendar_collection: '/alice/tunnel/' },
        };
        const dir = await bindings('tunnel', { contract, hosts: [{ id: 'cal-host', port: host.port }] });
        const ssh = ['--known-hosts', knownHosts, '--identity', key.privateKeyPath];
        const reports = path.join(work, 'reports-tunnel');

        const missing = await ops([
          'verify',
          '--live',
          '--gate',
          'radicale-calendar',
          '--bindings',
          dir,
          '--reports',
          reports,
          '--json',
          ...ssh,
        ]);
        expect(missing.code, missing.stderr).toBe(1);
        const publish = await ops([
          'calendar',
          'publish',
          '--bindings',
          dir,
          '--execute',
          '--reports',
          reports,
          ...ssh,
        ]);
        expect(publish.code, publish.stdout + publish.stderr).toBe(0);
        expect(publish.stdout).toContain(`through cal-host`);
        const ok = await ops([
          'verify',
          '--live',
          '--gate',
          'radicale-calendar',
          '--bindings',
          dir,
          '--reports',
          reports,
          '--json',
          ...ssh,
        ]);
        expect(ok.code, ok.stdout).toBe(0);
        const snapshotDir = path.join(
          reports,
          'receipts',
          readdirSync(path.join(reports, 'receipts')).sort().at(-1)!,
          'snapshot',
        );
        expect(readFileSync(path.join(snapshotDir, 'snapshot.yaml'), 'utf8')).toMatch(
          /calendar:\n {2}status: ok\n {2}url: http:\/\/127\.0\.0\.1:\d+\/alice\/tunnel\/\n {2}via: cal-host\n/,
        );
        // The requests went through the host's sshd: it logged the direct-tcpip channels to Radicale's port.
        expect(host.log()).toMatch(
          new RegExp(`server_request_direct_tcpip: .*target 127\\.0\\.0\\.1 port ${rad.port}\\b`),
        );
        expect(leaks(work)).toEqual([]);
      });

      it("a calendar host that cannot be reached is the calendar's error, with the host's reason", async () => {
        const contract = {
          host: 'cal-down',
          endpoint: { base_url: rad.baseUrl, calendar_collection: '/alice/tunnel/' },
        };
        const dir = await bindings('tunnel-down', { contract, hosts: [{ id: 'cal-down', port: await freePort() }] });
        const { findings } = await judge(dir, { knownHostsFile: knownHosts, identityFiles: [key.privateKeyPath] });
        const f = findings.find((x) => x.check === 'calendar.in-radicale')!;
        expect(f).toMatchObject({ outcome: 'error', reason: 'connect_refused' });
        expect(f.message).toContain('via cal-down');
      });
    },
  );
});
