// `ops notify` end to end: the built CLI sends through a real SMTPS server on 127.0.0.1
// (lib/notify/testing/smtp-peer.ts) whose certificate is trusted only through SPINE_GATES_SMTP_CA.
// Receipts come from real `ops verify` runs on a copy of the demo site.

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpPeer, type SmtpPeer } from '../notify/testing/smtp-peer.js';
import { PACKAGE_ROOT } from '../package-root.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');
const USER = 'spine-gates@shop.example.com';
const PASSWORD = 'canary-Pa55-7f3c9d1e';

interface Run {
  code: number;
  out: string;
}

function ops(args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, out: stdout + stderr });
      },
    );
  });
}

/** The demo site whose relay is the test server. */
function site(port: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'notify-site-'));
  cpSync(DEMO, dir, { recursive: true });
  const policy = path.join(dir, 'bindings', 'drift.gates.yaml');
  writeFileSync(
    policy,
    readFileSync(policy, 'utf8')
      .replace('host: mail.shop.example.com', 'host: 127.0.0.1')
      .replace('port: 465', `port: ${port}`),
  );
  return dir;
}

/** A receipt of `ops verify` on the site as it is now. */
async function receipt(dir: string): Promise<string> {
  const receipts = path.join(dir, 'reports', 'receipts');
  const before = new Set(existsSync(receipts) ? readdirSync(receipts) : []);
  await ops(['verify', '--bindings', 'bindings', '--snapshot', 'snapshot', '--max-snapshot-age', '0'], dir);
  const key = readdirSync(receipts).find((k) => !before.has(k))!;
  return path.join(dir, 'reports', 'receipts', key, 'receipt.json');
}

describe('ops notify through an SMTPS relay', () => {
  let peer: SmtpPeer;
  let dir: string;
  let first: string;
  let again: string;
  let fixed: string;
  const state = () => path.join(dir, 'state', 'notify-state.json');
  const env = () => ({
    SPINE_GATES_SMTP_USER: USER,
    SPINE_GATES_SMTP_PASSWORD: PASSWORD,
    SPINE_GATES_SMTP_CA: peer.caFile,
  });
  const notify = (args: string[], more: Record<string, string | undefined> = {}) =>
    ops(['notify', '--bindings', 'bindings', ...args], dir, { ...env(), ...more });

  beforeAll(async () => {
    peer = await startSmtpPeer({ user: USER, password: PASSWORD });
    dir = site(peer.port);
    first = await receipt(dir);
    again = await receipt(dir);
    const inventory = path.join(dir, 'bindings', 'backup.inventory.yaml');
    writeFileSync(inventory, readFileSync(inventory, 'utf8').replace('stale_after_hours: 72', 'stale_after_hours: 48'));
    fixed = await receipt(dir);
  }, 60_000);

  afterAll(async () => {
    await peer?.close();
  });

  it('mails every failure and error of a first run to the allowed recipients, authenticated, over verified TLS', async () => {
    const run = await notify(['--receipt', first, '--state', state()]);
    expect(run.out).toContain('notify: mailed it@shop.example.com through 127.0.0.1');
    expect(run.code).toBe(0);
    expect(peer.mails).toHaveLength(1);
    const mail = peer.mails[0]!;
    expect(mail).toMatchObject({ user: USER, from: 'spine-gates@shop.example.com', to: ['it@shop.example.com'] });
    expect(mail.subject).toMatch(/^\[spine-gates\] \d+ new failures, 3 new errors$/);
    expect(mail.raw).toMatch(/^Content-Type: text\/plain/m);
    expect(mail.body).toContain('New failures and errors (');
    expect(mail.body).toContain('- fail  D19.scheduler pve-home/pvescheduler: pve-home: pvescheduler is failed');
    expect(mail.body).toContain('- error D19.freshness git-vm/app-gitea-dump:');
    expect(mail.body).toContain('- fail  D19.threshold app-erp-db:');
    expect(mail.body).toContain(`Receipt: ${first}`);
    const saved = JSON.parse(readFileSync(state(), 'utf8'));
    expect(Object.keys(saved.alerted).length).toBeGreaterThan(30);
  });

  it('sends nothing when the next run has the same failures', async () => {
    const run = await notify(['--receipt', again, '--previous', first, '--state', state()]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/notify: nothing to mail \(0 new, 0 still failing, 0 cleared, \d+ already mailed\)/);
    expect(peer.mails).toHaveLength(1);
  });

  it('always mails a failure that cleared', async () => {
    const run = await notify(['--receipt', fixed, '--previous', again, '--state', state()]);
    expect(run.code).toBe(0);
    expect(peer.mails).toHaveLength(2);
    const mail = peer.mails[1]!;
    expect(mail.subject).toBe('[spine-gates] 1 cleared');
    expect(mail.body).toContain(
      'Cleared since the last run (1):\n- D19.threshold app-erp-db (was fail: threshold_too_loose)',
    );
    expect(mail.body).not.toContain('New failures');
  });

  it('reminds of an unchanged failure once its cooldown has passed', async () => {
    const saved = JSON.parse(readFileSync(state(), 'utf8'));
    const [fp, entry] = Object.entries(saved.alerted as Record<string, { id: string; lastAlertedAt: string }>).find(
      ([, e]) => e.id === 'D19.scheduler pve-home/pvescheduler',
    )!;
    saved.alerted[fp] = { ...entry, lastAlertedAt: new Date(Date.now() - 25 * 3_600_000).toISOString() };
    writeFileSync(state(), JSON.stringify(saved));
    const run = await notify(['--receipt', fixed, '--previous', fixed, '--state', state()]);
    expect(run.code).toBe(0);
    expect(peer.mails).toHaveLength(3);
    expect(peer.mails[2]!.subject).toBe('[spine-gates] 1 still failing');
    expect(peer.mails[2]!.body).toContain(
      'Still failing (mailed before; reminded every 24 h) (1):\n- fail  D19.scheduler pve-home/pvescheduler',
    );
  });

  it('without a state file, mails what is new against the previous receipt only', async () => {
    const run = await notify(['--receipt', fixed, '--previous', fixed]);
    expect(run.out).toContain('nothing to mail');
    expect(peer.mails).toHaveLength(3);
  });

  it('fails on a wrong password without naming any secret, and keeps the state', async () => {
    const before = readFileSync(state(), 'utf8');
    const wrong = 'canary-Wr0ng-c4f1b2e9';
    const run = await notify(['--receipt', first, '--previous', fixed, '--state', state()], {
      SPINE_GATES_SMTP_PASSWORD: wrong,
    });
    expect(run.code).toBe(2);
    expect(run.out).toContain('input error the relay 127.0.0.1:');
    expect(run.out).toContain('refused the login of SPINE_GATES_SMTP_USER');
    for (const secret of [
      wrong,
      PASSWORD,
      Buffer.from(wrong).toString('base64'),
      Buffer.from(`\0${USER}\0${wrong}`).toString('base64'),
    ]) {
      expect(run.out).not.toContain(secret);
    }
    expect(peer.refused).toContain(USER);
    expect(peer.mails).toHaveLength(3);
    expect(readFileSync(state(), 'utf8')).toBe(before);
  });

  it('verifies the relay certificate: without the test CA it does not send', async () => {
    const run = await notify(['--receipt', first, '--previous', fixed], { SPINE_GATES_SMTP_CA: undefined });
    expect(run.code).toBe(2);
    expect(run.out).toMatch(
      /cannot reach the relay 127\.0\.0\.1:\d+ over SMTPS: .*TLS certificate is not trusted for 127\.0\.0\.1; for a private CA set SPINE_GATES_SMTP_CA/,
    );
    expect(run.out).not.toContain(PASSWORD);
    expect(peer.mails).toHaveLength(3);
  });

  it('says a plain-text server on the SMTPS port did not speak TLS, rather than blame its certificate', async () => {
    const plain = new SMTPServer({ secure: false, authOptional: true, disabledCommands: ['STARTTLS'], logger: false });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const port = (plain.server.address() as AddressInfo).port;
      const plainSite = site(port);
      const run = await ops(
        ['notify', '--bindings', path.join(plainSite, 'bindings'), '--receipt', first],
        plainSite,
        env(),
      );
      expect(run.code).toBe(2);
      expect(run.out).toContain(
        `input error the server at 127.0.0.1:${port} did not speak TLS; is it a STARTTLS/plain port?`,
      );
      expect(run.out).not.toMatch(/certificate|SPINE_GATES_SMTP_CA/);
      expect(run.out).not.toContain(PASSWORD);
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  it('names missing credentials and bad receipts as bad input (exit 2)', async () => {
    const noLogin = await notify(['--receipt', first], {
      SPINE_GATES_SMTP_USER: undefined,
      SPINE_GATES_SMTP_PASSWORD: undefined,
    });
    expect(noLogin.code).toBe(2);
    expect(noLogin.out).toContain('set SPINE_GATES_SMTP_USER and SPINE_GATES_SMTP_PASSWORD');
    const missing = await notify(['--receipt', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('nope.json: no such file');
    const usage = await notify([]);
    expect(usage.code).toBe(2);
    expect(usage.out).toContain('ops notify needs --receipt FILE');
  });

  it('prints the mail with --dry-run and sends nothing', async () => {
    const run = await notify(['--receipt', first, '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      /^From: spine-gates@shop\.example\.com\nTo: it@shop\.example\.com\nSubject: \[spine-gates\] \d+ new failures, 3 new errors\n\n/,
    );
    expect(peer.mails).toHaveLength(3);
  });
});
