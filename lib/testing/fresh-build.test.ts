import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { buildSources, ensureFreshBuild, staleBuild } from './fresh-build.js';

const INPUTS = [
  'tsconfig.json',
  'lib/bindings/schema-codegen.mjs',
  'lib/a.ts',
  'lib/a.test.ts',
  'lib/testing/t.ts',
  'lib/s.schema.json',
  'gates/g.gate.ts',
];
const OUTPUTS = ['dist/lib/a.js', 'dist/lib/testing/t.js', 'dist/lib/s.schema.json', 'dist/gates/g.gate.js'];
const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:01:00Z');
const T2 = new Date('2026-01-01T00:02:00Z');

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A package in miniature whose build (every output written at T1) is newer than its inputs (T0). */
function built(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'fresh-build-'));
  roots.push(root);
  for (const [files, time] of [
    [INPUTS, T0],
    [OUTPUTS, T1],
  ] as const) {
    for (const rel of files) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), '');
      utimesSync(path.join(root, rel), time, time);
    }
  }
  return root;
}
const touch = (root: string, rel: string, time = T2) => utimesSync(path.join(root, rel), time, time);

describe('a stale dist/ is detected', () => {
  it('is current when every output is newer than every input', () => {
    expect(staleBuild(built())).toBeNull();
  });

  it('is stale when a source, a gate file, a schema, tsconfig.json or the code generator is newer than the build', () => {
    for (const input of [
      'lib/a.ts',
      'lib/testing/t.ts',
      'gates/g.gate.ts',
      'lib/s.schema.json',
      'tsconfig.json',
      'lib/bindings/schema-codegen.mjs',
    ]) {
      const root = built();
      touch(root, input);
      expect(staleBuild(root), input).toMatchObject({
        input,
        why: expect.stringMatching(new RegExp(`^${input.replaceAll('.', '\\.')} is newer than dist/`)),
      });
    }
  });

  it('is stale when an output is missing; a test file is no build input', () => {
    const root = built();
    rmSync(path.join(root, 'dist/gates/g.gate.js'));
    expect(staleBuild(root)).toEqual({
      input: 'gates/g.gate.ts',
      output: 'dist/gates/g.gate.js',
      why: 'dist/gates/g.gate.js is missing (the build of gates/g.gate.ts)',
    });
    const other = built();
    touch(other, 'lib/a.test.ts');
    expect(staleBuild(other)).toBeNull();
  });

  it('compares with the oldest output: one output rewritten later does not hide the others', () => {
    const root = built();
    touch(root, 'lib/a.ts');
    touch(root, 'dist/lib/a.js', new Date('2026-01-01T00:03:00Z'));
    expect(staleBuild(root)).toMatchObject({
      input: 'lib/a.ts',
      why: expect.stringMatching(/^lib\/a\.ts is newer than dist\/(gates|lib\/testing)\//),
    });
  });

  it('lists what tsc -p tsconfig.json compiles to dist/, no more and no less (a .d.ts is read, never emitted)', () => {
    const tsc = path.join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const listed = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFilesOnly'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f && !f.includes('/node_modules/') && !f.endsWith('.d.ts'))
      .map((f) => path.relative(PACKAGE_ROOT, f).split(path.sep).join('/'));
    expect(buildSources(PACKAGE_ROOT)).toEqual(listed.sort());
  });

  it("the global setup has made this checkout's dist/ current before the tests run", () => {
    expect(staleBuild(PACKAGE_ROOT)).toBeNull();
  });
});

describe('ensureFreshBuild', () => {
  const writeOutputs = (root: string) => {
    for (const rel of OUTPUTS) touch(root, rel, new Date('2026-01-01T00:05:00Z'));
  };

  it('builds nothing when dist/ is current', () => {
    const builds: string[] = [];
    ensureFreshBuild(
      built(),
      (r) => builds.push(r),
      () => {
        throw new Error('no log expected');
      },
    );
    expect(builds).toEqual([]);
  });

  it('builds a stale dist/ once, saying why', () => {
    const root = built();
    touch(root, 'lib/a.ts');
    const builds: string[] = [];
    const log: string[] = [];
    ensureFreshBuild(
      root,
      (r) => {
        builds.push(r);
        writeOutputs(r);
      },
      (l) => log.push(l),
    );
    expect(builds).toEqual([root]);
    expect(log).toEqual([
      'spine-gates tests: dist/ is not current (lib/a.ts is newer than dist/lib/a.js): running npm run build first',
    ]);
    expect(staleBuild(root)).toBeNull();
  });

  it("refuses, with the build's output, when the build fails or leaves dist/ stale", () => {
    const root = built();
    touch(root, 'lib/a.ts');
    const failing = () => {
      throw Object.assign(new Error('Command failed: npm run build'), {
        stdout: "lib/a.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.\n",
        stderr: '',
      });
    };
    expect(() => ensureFreshBuild(root, failing, () => {})).toThrow(
      /^dist\/ is not current \(lib\/a\.ts is newer than dist\/lib\/a\.js\) and npm run build failed, .*\nlib\/a\.ts\(1,7\): error TS2322/s,
    );
    expect(() =>
      ensureFreshBuild(
        root,
        () => {},
        () => {},
      ),
    ).toThrow('dist/ is still not current after npm run build (lib/a.ts is newer than dist/lib/a.js)');
  });
});
