// Seventeen test files run the built dist/ (the `ops` command, built modules). Nothing made sure it
// was current: `npx vitest run <file>` after an edit tested the previous build and could pass. The
// project's vitest global setup (lib/testing/global-setup.ts) calls ensureFreshBuild first: when a
// build input is newer than its output it runs `npm run build`, and refuses to run the tests when the
// build fails or leaves dist/ stale. A current dist/ costs one stat per file (about 140).

import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Files that change every output: the compiler's options and the validator code generator. */
export const GLOBAL_INPUTS = ['tsconfig.json', 'lib/bindings/schema-codegen.mjs'];

/** What `tsc -p tsconfig.json` compiles (its include and exclude), relative to `root`: sources, and the schemas they import. */
export function buildSources(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (rel.endsWith('.schema.json') && dir.startsWith('lib')) found.push(rel);
      else if (rel.endsWith('.ts') && !rel.endsWith('.d.ts') && !(dir.startsWith('lib') && rel.endsWith('.test.ts')))
        found.push(rel);
    }
  };
  for (const dir of ['lib', 'gates']) walk(dir);
  return found.sort();
}

/** Where tsc writes `source` (outDir dist, rootDir the package). */
export function outputOf(source: string): string {
  return path.posix.join('dist', source.replace(/\.ts$/, '.js'));
}

export interface Staleness {
  /** The input that is newer than the build, or whose output is missing. */
  input: string;
  output: string;
  /** One line for a person: which file, and why the build is not current. */
  why: string;
}

/**
 * Why dist/ under `root` is not the build of its sources, or null when it is. tsc rewrites every output
 * on each build, so the build is current when every output exists and the oldest of them is no older
 * than the newest input (any source, any schema, tsconfig.json, the code generator).
 */
export function staleBuild(root: string): Staleness | null {
  const mtime = (rel: string): number | null => {
    try {
      return statSync(path.join(root, rel)).mtimeMs;
    } catch {
      return null;
    }
  };
  const sources = buildSources(root);
  let oldest: { output: string; ms: number } | null = null;
  for (const source of sources) {
    const output = outputOf(source);
    const ms = mtime(output);
    if (ms === null) return { input: source, output, why: `${output} is missing (the build of ${source})` };
    if ((mtime(source) ?? 0) > ms) return { input: source, output, why: `${source} is newer than ${output}` };
    if (!oldest || ms < oldest.ms) oldest = { output, ms };
  }
  if (!oldest) return null;
  // An input newer than some other output: a build that did not finish, or a global input changed.
  for (const input of [...sources, ...GLOBAL_INPUTS]) {
    const ms = mtime(input);
    if (ms !== null && ms > oldest.ms)
      return { input, output: oldest.output, why: `${input} is newer than ${oldest.output}` };
  }
  return null;
}

/** `npm run build` in `root`; its output on failure is in the thrown error (execFileSync's stdout and stderr). */
function npmBuild(root: string): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
}

/**
 * Makes dist/ current or throws: when it is stale, says why on stderr, runs `build` and checks again.
 * Throws with the build's own output when the build fails, and when dist/ is still stale after it.
 */
export function ensureFreshBuild(
  root: string,
  build: (root: string) => void = npmBuild,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): void {
  const stale = staleBuild(root);
  if (!stale) return;
  log(`spine-gates tests: dist/ is not current (${stale.why}): running npm run build first`);
  try {
    build(root);
  } catch (err) {
    const e = err as { stdout?: unknown; stderr?: unknown; message?: unknown };
    const output =
      [e.stdout, e.stderr]
        .filter((s) => typeof s === 'string' && s.trim())
        .join('\n')
        .trim() || String(e.message);
    throw new Error(
      `dist/ is not current (${stale.why}) and npm run build failed, so the tests that run dist/ would test an old build; ` +
        `fix the build and run the tests again:\n${output}`,
    );
  }
  const still = staleBuild(root);
  if (still)
    throw new Error(
      `dist/ is still not current after npm run build (${still.why}); the tests that run dist/ would test an old build`,
    );
}
