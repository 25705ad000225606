// Binding values reach a remote shell only through shellQuote(): run the quoted text through a
// real POSIX shell and check it arrives byte for byte, and that nothing it says gets executed.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listingSeparator, parseListing } from '../pve/listing.js';
import {
  contentCommandStorage,
  globDepth,
  isDataExit,
  LISTING_MISSING_EXIT,
  listingCommand,
  MAIL_COMMANDS,
  NO_POSTFIX_EXIT,
  shellQuote,
  storageCommands,
} from './probe.js';

const ROOT = mkdtempSync(path.join(tmpdir(), 'quote-'));
const PWNED = path.join(ROOT, 'pwned');

const HOSTILE = [
  `$(touch ${PWNED})`,
  `\`touch ${PWNED}\``,
  `; touch ${PWNED}`,
  `&& touch ${PWNED} #`,
  `| touch ${PWNED}`,
  `'; touch ${PWNED}; '`,
  `"; touch ${PWNED}; "`,
  "it's",
  "'",
  "''",
  '"double" quotes',
  '\\ back\\slash \\',
  'new\nline',
  '\n',
  '  leading and trailing spaces  ',
  '\ttab',
  '-n',
  '--help',
  '-rf /',
  '$HOME ${HOME} $1 $@',
  '* ? [a-z] ~ ~root',
  '!! !$ %s %n %%',
  '> redirect < in 2>&1',
  'ünïcödé ✓',
  '',
];

const viaShell = (quoted: string): Buffer => execFileSync('/bin/sh', ['-c', `printf %s ${quoted}`], { cwd: ROOT });

describe('shellQuote', () => {
  it.each(HOSTILE)('passes %j through /bin/sh unchanged and runs nothing', (value) => {
    const out = viaShell(shellQuote(value));
    expect(out.equals(Buffer.from(value, 'utf8'))).toBe(true);
    expect(existsSync(PWNED)).toBe(false);
  });

  it('refuses a NUL byte (no shell argument can hold one)', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('listingCommand', () => {
  const names = HOSTILE.filter((v) => v && !v.includes('/') && v !== '.' && v !== '..');

  it.each(names)('lists a base path named %j and runs nothing else', (name) => {
    const base = path.join(ROOT, 'dirs', name);
    mkdirSync(base, { recursive: true });
    writeFileSync(path.join(base, 'archive.vma.zst'), 'x');
    const { command, basePath, id } = listingCommand(base, 1);
    expect(basePath).toBe(base);
    expect(id).toMatch(/^listing-[0-9a-f]{12}$/);
    const run = spawnSync('/bin/sh', ['-c', command], { cwd: ROOT });
    expect(run.status).toBe(0);
    expect(run.stdout.toString('utf8')).toMatch(/^\d+(\.\d+)? 1 archive\.vma\.zst\0$/);
    expect(existsSync(PWNED)).toBe(false);
  });

  it('a file name holding a newline and a forged record lists as that one file (real find)', () => {
    const base = path.join(ROOT, 'forged');
    mkdirSync(base, { recursive: true });
    const forged = 'x\n4102444800.0 4096 vzdump-qemu-100-2099_12_31-02_00_00.vma.zst';
    writeFileSync(path.join(base, forged), 'x');
    const run = spawnSync('/bin/sh', ['-c', listingCommand(base, 1).command], { cwd: ROOT });
    expect(run.status).toBe(0);
    const { files, malformed } = parseListing(
      run.stdout.toString('utf8'),
      listingSeparator(listingCommand(base, 1).command),
    );
    expect(malformed).toEqual([]);
    expect(files.map((f) => f.path)).toEqual([forged]);
    expect(files[0]!.mtime).toBeLessThan(4102444800);
  });

  it.each(HOSTILE.filter((v) => v.includes('touch')))(
    'exits 10 for a missing base path %j without running it',
    (value) => {
      const run = spawnSync('/bin/sh', ['-c', listingCommand(`/nonexistent/${value}`, 2).command], { cwd: ROOT });
      expect(run.status).toBe(LISTING_MISSING_EXIT);
      expect(run.stdout.length).toBe(0);
      expect(existsSync(PWNED)).toBe(false);
    },
  );

  it('goes as deep as the glob needs', () => {
    expect(globDepth('*.zst')).toBe(1);
    expect(globDepth('*/dump/*.zst')).toBe(3);
    expect(listingCommand('/srv/dump', 3).command).toContain('-maxdepth 3');
  });
});

describe('MAIL_COMMANDS', () => {
  const mail = (id: string) => MAIL_COMMANDS.find((c) => c.id === id)!.command;
  const stand = (name: string, body: string) => {
    const dir = mkdtempSync(path.join(ROOT, 'bin-'));
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return dir;
  };

  it('never read /etc/pve/priv or a SASL password file, and fail only their own facts (isolated)', () => {
    for (const c of MAIL_COMMANDS) {
      expect(c.command, c.id).not.toMatch(/priv|sasl_passwd|\bcat \/etc\/postfix/);
      expect(c.isolated, c.id).toBe(true);
    }
  });

  it('postconf and postqueue exit 11 without postfix, and run the postfix found on PATH (plus /usr/sbin)', () => {
    // The commands add /usr/sbin:/sbin to PATH, where a machine with postfix has it: the test stands
    // empty folders in for those two (the one text it changes), so it judges the same on every machine.
    const FALLBACK = 'PATH="$PATH:/usr/sbin:/sbin";';
    const withoutSystemDirs = (command: string) => {
      expect(command.split(FALLBACK)).toHaveLength(2);
      return command.replace(
        FALLBACK,
        `PATH="$PATH:${mkdtempSync(path.join(ROOT, 'sbin-'))}:${mkdtempSync(path.join(ROOT, 'sbin-'))}";`,
      );
    };
    const nowhere = mkdtempSync(path.join(ROOT, 'empty-'));
    for (const id of ['postconf', 'postqueue']) {
      const absent = spawnSync('/bin/sh', ['-c', withoutSystemDirs(mail(id))], { env: { PATH: nowhere } });
      expect([absent.status, absent.stdout.toString(), absent.stderr.toString()], id).toEqual([
        NO_POSTFIX_EXIT,
        '',
        '',
      ]);
    }
    const dir = stand('postqueue', '[ "$*" = "-p" ] && echo "Mail queue is empty"');
    const present = spawnSync('/bin/sh', ['-c', mail('postqueue')], { env: { PATH: `${dir}:/usr/bin:/bin` } });
    expect([present.status, present.stdout.toString()]).toEqual([0, 'Mail queue is empty\n']);
    // The folders are added at the end of PATH (a stand-in postconf prints what it sees).
    const only = stand('postconf', '[ "$*" = "-n" ] && echo "$PATH"');
    const found = spawnSync('/bin/sh', ['-c', mail('postconf')], { env: { PATH: only } });
    expect([found.status, found.stdout.toString()]).toEqual([0, `${only}:/usr/sbin:/sbin\n`]);
  });

  it('postfix-files lists names two levels deep under /etc/postfix, or nothing without it', () => {
    const run = spawnSync('/bin/sh', ['-c', mail('postfix-files')]);
    expect(run.status).toBe(0);
    if (!existsSync('/etc/postfix')) expect(run.stdout.length).toBe(0);
  });

  it("says which exits are data: a listing's 10, postconf/postqueue 11, nothing else", () => {
    expect(isDataExit({ id: 'listing-0123456789ab', basePath: '/x' }, LISTING_MISSING_EXIT)).toBe(true);
    expect(isDataExit({ id: 'postconf' }, NO_POSTFIX_EXIT)).toBe(true);
    expect(isDataExit({ id: 'postqueue' }, NO_POSTFIX_EXIT)).toBe(true);
    expect(isDataExit({ id: 'notifications-cfg' }, NO_POSTFIX_EXIT)).toBe(false);
    expect(isDataExit({ id: 'postconf' }, 1)).toBe(false);
    expect(isDataExit({ id: 'listing-0123456789ab', basePath: '/x' }, NO_POSTFIX_EXIT)).toBe(false);
  });
});

describe('storage commands', () => {
  it("ask pvesh for the node's storages and each storage's backups, node and storage ids single-quoted", () => {
    expect(storageCommands('pve-shop', ['pbs-main', 'nas_dump.2']).map((c) => [c.id, c.command, c.isolated])).toEqual([
      ['storage-status', "pvesh get /nodes/'pve-shop'/storage --output-format json", true],
      [
        'storage-content-7062732d6d61696e',
        "pvesh get /nodes/'pve-shop'/storage/'pbs-main'/content --content backup --output-format json",
        true,
      ],
      [
        'storage-content-6e61735f64756d702e32',
        "pvesh get /nodes/'pve-shop'/storage/'nas_dump.2'/content --content backup --output-format json",
        true,
      ],
    ]);
    expect(contentCommandStorage('storage-content-6e61735f64756d702e32')).toBe('nas_dump.2');
    expect(contentCommandStorage('storage-status')).toBeNull();
  });

  it('reach the shell as the path pvesh expects (a stand-in pvesh echoes its arguments)', () => {
    const dir = mkdtempSync(path.join(ROOT, 'bin-'));
    writeFileSync(path.join(dir, 'pvesh'), '#!/bin/sh\nprintf "%s|" "$@"\n', { mode: 0o755 });
    const [cmd] = storageCommands('pve-shop', ['pbs-main']).slice(1);
    const out = spawnSync('/bin/sh', ['-c', cmd!.command], { env: { PATH: `${dir}:/usr/bin:/bin` } });
    expect(out.stdout.toString()).toBe(
      'get|/nodes/pve-shop/storage/pbs-main/content|--content|backup|--output-format|json|',
    );
  });

  it('refuse a node name or storage id PVE would not accept, before any shell sees it', () => {
    expect(() => storageCommands("pve'; touch /tmp/x; '", [])).toThrow(/not a PVE node name/);
    expect(() => storageCommands('pve1', ['pbs main'])).toThrow(/not a PVE storage id/);
    expect(() => storageCommands('pve1', ['$(touch /tmp/x)'])).toThrow(/not a PVE storage id/);
  });
});
