// The probe script under the machine's real /bin/sh (Debian: dash, as on Proxmox VE), both ways a
// host runs it: `sh -s` with the script on stdin, and the installed copy as a forced command.
// Hostile base paths reach find as data and nothing else; a request the script did not get from
// spine-gates is refused before anything runs.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameReader } from '../collect/probe-frames.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { escapeValue, followUpStdin, PROBE_ID, PROBE_SCRIPT_FILE, probeStdin, requestLine } from './probe-script.js';
import { listingCommand, TIMEZONE_COMMAND, type ProbeCommand } from './probe.js';

const TMP = mkdtempSync(path.join(tmpdir(), 'probe-script-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const INSTALLED = path.join(TMP, 'spine-gates-probe');
writeFileSync(INSTALLED, PROBE_SCRIPT_FILE, { mode: 0o755 });
const TOKEN = '0123456789abcdef0123456789abcdef';

interface Ran {
  frames: string[];
  sections: Map<string, Buffer>;
  code: number | null;
  stderr: string;
}

/**
 * Runs the probe (`sh -s`, the same under bash, whose sh it is on some hosts, or the installed copy), answering its
 * followup frame with `followUp`.
 */
function runProbeScript(how: 'sh -s' | 'bash -s' | 'forced', stdin: string, followUp?: string): Promise<Ran> {
  const child =
    how === 'forced'
      ? spawn(INSTALLED, [], { cwd: TMP })
      : spawn(how === 'sh -s' ? '/bin/sh' : 'bash', ['-s'], { cwd: TMP });
  const ran: Ran = { frames: [], sections: new Map(), code: null, stderr: '' };
  let current: Buffer[] | null = null;
  const reader = new FrameReader(TOKEN, {
    frame: (line) => {
      ran.frames.push(line);
      if (line.startsWith('begin ')) {
        ran.sections.set(line.slice(6), Buffer.alloc(0));
        current = [];
      }
      if (line === 'end') {
        ran.sections.set([...ran.sections.keys()].at(-1)!, Buffer.concat(current!));
        current = null;
      }
      if (line === 'followup') child.stdin.end(followUp);
    },
    bytes: (chunk) => {
      if (current) current.push(chunk);
    },
  });
  child.stdout.on('data', (d: Buffer) => reader.push(d));
  child.stderr.on('data', (d: Buffer) => {
    ran.stderr += d.toString('latin1');
  });
  child.stdin.on('error', () => {}); // a refused request may exit before reading all of stdin
  child.stdin.write(stdin);
  if (followUp === undefined) child.stdin.end();
  return new Promise((resolve) =>
    child.on('close', (code) => {
      ran.code = code;
      resolve(ran);
    }),
  );
}

/** What the recorded command prints, run by itself through sh -c (as `ops snapshot` did before the probe script). */
function runRecorded(c: ProbeCommand): Promise<Buffer> {
  const child = spawn('/bin/sh', ['-c', c.command], { cwd: TMP });
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  return new Promise((resolve) => child.on('close', () => resolve(Buffer.concat(out))));
}

const HOSTILE_NAMES = [
  `it's`,
  'a "quoted" name',
  '$(touch INJECTED)',
  '`touch INJECTED`',
  'new\nline',
  'trailing-newline\n',
  ' spaced ',
  'back\\slash',
  '-dash',
  '*',
  'ünïcode',
  'SPINE_GATES_REQUEST',
  'end',
];

function hostileTree(): string[] {
  return HOSTILE_NAMES.map((name, i) => {
    const dir = path.join(TMP, 'tree', name);
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, `vzdump-qemu-${i}.vma.zst`), 'x'.repeat(i));
    writeFileSync(path.join(dir, 'sub', `a\nb ${i}`), 'y');
    utimesSync(path.join(dir, `vzdump-qemu-${i}.vma.zst`), 1_700_000_000 + i, 1_700_000_000 + i);
    return dir;
  });
}

describe('the probe script under /bin/sh', () => {
  const dirs = hostileTree();
  const listings = dirs.map((dir) => listingCommand(dir, 2));

  it.each(['sh -s', 'bash -s', 'forced'] as const)(
    'lists hostile base paths as data, exactly as the recorded commands do (%s)',
    async (how) => {
      const ran = await runProbeScript(how, probeStdin(TOKEN, [TIMEZONE_COMMAND, ...listings], false));
      expect(ran.code).toBe(0);
      expect(ran.frames[0]).toBe(`probe ${PROBE_ID}`);
      expect(ran.frames.at(-1)).toBe('done');
      for (const c of listings) {
        const got = ran.sections.get(c.id)!;
        expect(got.toString('latin1'), c.basePath).toBe((await runRecorded(c)).toString('latin1'));
        expect(got.toString('utf8').split('\0').filter(Boolean)).toHaveLength(2);
      }
      expect(ran.frames.filter((f) => f.startsWith('status ')).slice(1)).toEqual(listings.map(() => 'status 0'));
      expect(existsSync(path.join(TMP, 'INJECTED'))).toBe(false);
    },
  );

  it('escapes every byte outside [A-Za-z0-9/._-], so a value is one safe word', () => {
    expect(escapeValue('/srv/a b\n$x')).toBe('/srv/a\\0040b\\0012\\0044x');
    expect(escapeValue('/ü')).toBe('/\\0303\\0274');
    expect(() => escapeValue('/a\0b')).toThrow(/NUL/);
    for (const c of listings)
      expect(requestLine(c)).toMatch(/^listing listing-[0-9a-f]{12} \d+ \/[A-Za-z0-9/._\\-]* 2$/);
  });

  it.each(['sh -s', 'bash -s', 'forced'] as const)(
    'reads the follow-up from the same stdin after its followup frame (%s)',
    async (how) => {
      const later = listingCommand(dirs[0]!, 1);
      const ran = await runProbeScript(how, probeStdin(TOKEN, [TIMEZONE_COMMAND], true), followUpStdin([later]));
      expect(ran.code).toBe(0);
      expect(ran.frames.map((f) => f.split(' ')[0])).toEqual([
        'probe',
        'begin',
        'status',
        'end',
        'followup',
        'begin',
        'status',
        'end',
        'done',
      ]);
      expect(ran.sections.get(later.id)!.toString()).toMatch(/^1700000000\.0+ 0 vzdump-qemu-0\.vma\.zst\0$/);
    },
  );

  it("a missing base path is the listing's exit 10, and the next sections still run", async () => {
    const missing = listingCommand(path.join(TMP, 'nope'), 1);
    const ran = await runProbeScript('sh -s', probeStdin(TOKEN, [missing, listings[0]!], false));
    expect(ran.frames.filter((f) => f.startsWith('status '))).toEqual(['status 10', 'status 0']);
  });

  it('gives a fixed section its exit status, also of an exit inside it, and leaves its length to the collector', async () => {
    const postfix =
      (
        await runRecorded({
          command: 'command -v postconf || PATH="$PATH:/usr/sbin:/sbin" command -v postconf',
        } as ProbeCommand)
      ).length > 0;
    const ran = await runProbeScript(
      'sh -s',
      probeStdin(TOKEN, [], false).replace(
        '\nend\n',
        '\nfixed timezone 1\nfixed postconf 100\nfixed jobs-cfg 100\nend\n',
      ),
    );
    expect(ran.frames.filter((f) => f.startsWith('status '))).toEqual([
      'status 0',
      postfix ? 'status 0' : 'status 11',
      'status 0',
    ]);
    expect(ran.sections.get('timezone')!.length).toBeGreaterThan(2); // a cap of 1 byte, not cut by the probe
  });

  it('cuts a listing after cap + 1 bytes (the collector then drops it as output_too_large)', async () => {
    const line = requestLine(listings[0]!).replace(/^(listing \S+) \d+/, '$1 10');
    const ran = await runProbeScript('sh -s', probeStdin(TOKEN, [], false).replace('\nend\n', `\n${line}\nend\n`));
    expect(ran.sections.get(listings[0]!.id)!.length).toBe(11);
    expect(ran.frames.at(-1)).toBe('done');
  });

  it.each([
    ['a relative path', 'listing listing-x 100 tmp 1'],
    ['a path with shell text', 'listing listing-x 100 /tmp;touch$IFS"INJECTED" 1'],
    ['a depth of 0', 'listing listing-x 100 /tmp 0'],
    ['a depth that is not a number', 'listing listing-x 100 /tmp 1;id'],
    ['a section id with a path', 'fixed ../jobs-cfg 100'],
    ['a cap that is not a number', 'fixed jobs-cfg 1e9'],
    ['a cap of a gigabyte or more', 'fixed jobs-cfg 1000000000'],
    ['a node name with a slash', 'storage-status storage-status 100 a/b'],
    ['a storage id with a space', 'storage-content storage-content-61 100 pve a\\0040b'],
    ['an unknown kind', 'exec id 100 touch'],
  ])('refuses %s before running it', async (_what, line) => {
    for (const how of ['sh -s', 'forced'] as const) {
      const ran = await runProbeScript(how, probeStdin(TOKEN, [], false).replace('\nend\n', `\n${line}\nend\n`));
      expect(ran.code, how).toBe(2);
      expect(ran.frames.at(-1), how).toMatch(/^refused /);
      expect(
        ran.frames.some((f) => f.startsWith('begin ')),
        how,
      ).toBe(false);
    }
    expect(existsSync(path.join(TMP, 'INJECTED'))).toBe(false);
  });

  it('as a forced command, runs nothing but the probe: any other stdin is refused', async () => {
    for (const stdin of [
      'touch INJECTED\n',
      `spine_gates_fixed jobs-cfg\n`,
      `{\nspine_gates_probe 3<&0 <<'SPINE_GATES_REQUEST'\ntoken ${TOKEN}\nend\nSPINE_GATES_REQUEST\ntouch INJECTED\n}\n`,
    ]) {
      const ran = await runProbeScript('forced', stdin);
      expect(ran.code).toBe(2);
      expect(ran.frames).toEqual([]);
      expect(ran.stderr).toContain('not a spine-gates probe request');
    }
    expect(existsSync(path.join(TMP, 'INJECTED'))).toBe(false);
  });

  it('writes nowhere: every redirection in the script goes to a descriptor or /dev/null', () => {
    const writes = [...PROBE_SCRIPT_FILE.matchAll(/\d?>>?\s*(\S+)/g)].map((m) => m[1]!);
    expect(writes.length).toBeGreaterThan(5);
    for (const target of writes) expect(target).toMatch(/^(&\d?-?|\/dev\/null)/);
    expect(PROBE_SCRIPT_FILE).not.toMatch(/\b(rm|mv|cp|tee|touch|mkdir|dd|chmod|chown|ln|sed -i|truncate)\b/);
  });

  it('is shipped as probe/spine-gates-probe, identical to what this version sends', () => {
    expect(readFileSync(path.join(PACKAGE_ROOT, 'probe', 'spine-gates-probe'), 'utf8')).toBe(PROBE_SCRIPT_FILE);
  });
});
