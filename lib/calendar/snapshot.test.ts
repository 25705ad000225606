// The calendar in snapshots and in the bindings: the `calendar:` block and calendar/collection.json
// round-trip (ok and error), an older snapshot without it reads as "not recorded", a broken file is
// the calendar's problem and not bad input; where the calendar is and whose login, from the policy.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadBindings } from '../bindings/load.js';
import type { Bindings } from '../bindings/types.js';
import { writeBindings } from '../collect/testing/fake-host.js';
import type { Collection } from '../model.js';
import { DEMO_SITE } from '../package-root.js';
import { readSnapshot } from '../snapshot/read.js';
import { writeSnapshot } from '../snapshot/write.js';
import { CalendarError } from './caldav.js';
import { calendarCredentials, calendarLocation, PASSWORD_ENV, USER_ENV } from './location.js';

let work: string;
let bindings: Bindings;
beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'calendar-snapshot-'));
  const loaded = await loadBindings(path.join(DEMO_SITE, 'bindings'));
  if (!loaded.ok) throw new Error('the demo bindings do not load');
  bindings = loaded.bindings;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ITEM = {
  href: '/amsel/backups/x.ics',
  etag: '"1"',
  data: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:spine-backup-x@spine-gates\r\nDTSTAMP:20260301T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260301T020000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
};
const collection = (calendar: Collection['calendar']): Collection => ({
  capturedAt: '2026-03-04T07:30:00Z',
  hosts: [],
  insecureAcceptAnyHostKey: false,
  calendar,
});

describe('the calendar in a snapshot', () => {
  it('round-trips the collection as the server returned it, and an unreadable calendar with its reason', async () => {
    const ok = path.join(work, 'ok');
    await writeSnapshot(
      ok,
      collection({ status: 'ok', url: 'http://127.0.0.1:5232/amsel/backups/', via: 'nas', items: [ITEM] }),
    );
    expect(parse(readFileSync(path.join(ok, 'snapshot.yaml'), 'utf8')).calendar).toEqual({
      status: 'ok',
      url: 'http://127.0.0.1:5232/amsel/backups/',
      via: 'nas',
      output: 'calendar/collection.json',
    });
    const read = await readSnapshot(ok, bindings);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    expect(read.state.calendar).toMatchObject({
      status: 'ok',
      via: 'nas',
      events: [{ uid: 'spine-backup-x@spine-gates', href: ITEM.href, etag: '"1"', rrule: 'FREQ=DAILY' }],
      unreadable: [],
    });
    expect(Object.keys(read.digests)).toContain('calendar/collection.json');

    const denied = path.join(work, 'denied');
    await writeSnapshot(
      denied,
      collection({
        status: 'error',
        url: 'http://127.0.0.1:5232/amsel/backups/',
        via: null,
        reason: 'auth_denied',
        message: 'HTTP 401',
      }),
    );
    const back = await readSnapshot(denied, bindings);
    expect(back.ok && back.state.calendar).toEqual({
      status: 'error',
      url: 'http://127.0.0.1:5232/amsel/backups/',
      via: null,
      problem: { reason: 'auth_denied', message: 'HTTP 401' },
    });
  });

  it("reads an older snapshot without a calendar as not recorded, and a broken file as the calendar's problem", async () => {
    const old = path.join(work, 'old');
    await writeSnapshot(old, collection(null));
    const read = await readSnapshot(old, bindings);
    expect(read.ok && read.state.calendar).toBeNull();

    const broken = path.join(work, 'broken');
    await writeSnapshot(
      broken,
      collection({
        status: 'ok',
        url: 'http://127.0.0.1:5232/amsel/backups/',
        via: null,
        items: [ITEM, { ...ITEM, href: '/amsel/backups/bad.ics', data: 'BEGIN:VCALENDAR\r\nnot ical' }],
      }),
    );
    const partly = await readSnapshot(broken, bindings);
    expect(partly.ok && partly.state.calendar).toMatchObject({
      status: 'ok',
      unreadable: [{ href: '/amsel/backups/bad.ics' }],
    });
    writeFileSync(path.join(broken, 'calendar', 'collection.json'), '{"items": 3}');
    const bad = await readSnapshot(broken, bindings);
    expect(bad.ok && bad.state.calendar).toMatchObject({ status: 'error', problem: { reason: 'parse_error' } });
    rmSync(path.join(broken, 'calendar'), { recursive: true });
    const gone = await readSnapshot(broken, bindings);
    expect(gone.ok && gone.state.calendar).toMatchObject({ status: 'error', problem: { reason: 'output_missing' } });
  });

  it('rejects a manifest calendar block with credentials in the URL or without its output', async () => {
    const dir = path.join(work, 'manifest');
    await writeSnapshot(
      dir,
      collection({ status: 'ok', url: 'http://127.0.0.1:5232/amsel/backups/', via: null, items: [] }),
    );
    const manifest = parse(readFileSync(path.join(dir, 'snapshot.yaml'), 'utf8'));
    writeFileSync(
      path.join(dir, 'snapshot.yaml'),
      stringify({ ...manifest, calendar: { status: 'ok', url: 'http://amsel:pw@127.0.0.1:5232/amsel/backups/' } }),
    );
    const read = await readSnapshot(dir, bindings);
    expect(read.ok).toBe(false);
    expect(!read.ok && read.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['calendar.url', 'calendar.output']),
    );
  });
});

describe('where the calendar is, and whose login', () => {
  const policyDir = async (name: string, calendar: unknown, contract?: unknown) => {
    const dir = await writeBindings(path.join(work, name), {
      hosts: [{ id: 'nas', port: 22 }],
      targets: [],
      guests: [],
      pveHosts: [],
      policy: { calendar },
    });
    if (contract) writeFileSync(path.join(dir, 'calendar.home.contract.yaml'), stringify(contract));
    return loadBindings(dir);
  };

  it('takes calendar.url directly, else the contract through its host, else nothing', async () => {
    expect(calendarLocation(bindings)).toEqual({ url: 'http://127.0.0.1:5232/amsel/backups/', via: 'nas' });
    const direct = await policyDir(
      'direct',
      { url: 'https://cal.example.net/alice/backups' },
      { home: { host: 'nas', endpoint: { base_url: 'http://127.0.0.1:5232', calendar_collection: '/x/' } } },
    );
    expect(direct.ok && calendarLocation(direct.bindings)).toEqual({
      url: 'https://cal.example.net/alice/backups/',
      via: null,
    });
    const none = await policyDir('none', {});
    expect(none.ok && calendarLocation(none.bindings)).toBeNull();
  });

  it('refuses a policy with credentials in the URL, a UID scheme without {id}, an unknown key', async () => {
    const bad = await policyDir('bad', {
      url: 'http://alice:secret@127.0.0.1:5232/alice/backups/',
      uid_scheme: 'backup@home',
      password: 'x',
    });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.map((e) => e.path).sort()).toEqual([
      'calendar.password',
      'calendar.uid_scheme',
      'calendar.url',
    ]);
  });

  it("reads the login from the environment first, else the policy's file; never from the bindings", async () => {
    const file = path.join(work, 'login.cred');
    writeFileSync(file, 'amsel:pa:ss\n', { mode: 0o600 });
    const loaded = await policyDir('cred', { url: 'http://127.0.0.1:5232/amsel/backups/', credentials_file: file });
    if (!loaded.ok) throw new Error('does not load');
    expect(await calendarCredentials(loaded.bindings, { [USER_ENV]: 'env', [PASSWORD_ENV]: 'pw' })).toEqual({
      auth: { user: 'env', password: 'pw' },
      source: `${USER_ENV}/${PASSWORD_ENV}`,
    });
    expect(await calendarCredentials(loaded.bindings, {})).toEqual({
      auth: { user: 'amsel', password: 'pa:ss' },
      source: `the file ${file}`,
    });
    expect((await calendarCredentials(bindings, {})).auth).toBeNull();
    writeFileSync(file, 'no colon here\n');
    await expect(calendarCredentials(loaded.bindings, {})).rejects.toThrow(CalendarError);
  });
});
