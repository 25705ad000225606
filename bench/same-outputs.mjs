// Whether two builds of `ops verify` say the same thing on the same estate, byte for byte: what a
// refactor that must not change behaviour proves on the large estate (the demo's outputs are held by
// lib/cli/golden.test.ts). Each build judges the snapshot with --json and --reports; then stdout,
// junit.xml, receipt.json, receipt.md and report.html are compared after the run's own identity is
// blanked: its run key, its clock readings (start, finish, now, junit timestamps) and its timings.
//
//   node bench/same-outputs.mjs BEFORE/dist/lib/cli/ops.js AFTER/dist/lib/cli/ops.js BINDINGS SNAPSHOT
//
// Exit 0 when every output (and the exit code) is the same, 1 (naming the first difference of each file) when not.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [before, after, bindings, snapshot] = process.argv.slice(2);
if (!snapshot) {
  console.error('usage: node bench/same-outputs.mjs BEFORE_OPS_JS AFTER_OPS_JS BINDINGS_DIR SNAPSHOT_DIR');
  process.exit(2);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'same-outputs-'));

/** The outputs of one build, its run's identity blanked. */
function outputsOf(ops, name) {
  const reports = path.join(work, name);
  const args = ['verify', '--bindings', bindings, '--snapshot', snapshot, '--max-snapshot-age', '0'];
  let stdout;
  let exit = 0;
  try {
    stdout = execFileSync(process.execPath, [ops, ...args, '--reports', reports, '--json'], {
      maxBuffer: 2 ** 30,
      env: { ...process.env, NO_COLOR: '1' },
    }).toString();
  } catch (e) {
    if (e.status !== 1 && e.status !== 2) throw e; // drift, or a finding that could not be judged
    exit = e.status;
    stdout = e.stdout.toString();
  }
  const folder = path.join(reports, 'receipts', readdirSync(path.join(reports, 'receipts'))[0]);
  const receipt = JSON.parse(readFileSync(path.join(folder, 'receipt.json'), 'utf8'));
  const blank = (text) => {
    for (const [value, as] of [
      [receipt.runKey, 'RUN_KEY'],
      [receipt.startedAt, 'STARTED_AT'],
      [receipt.finishedAt, 'FINISHED_AT'],
      [receipt.now, 'NOW'],
    ])
      text = text.replaceAll(value, as);
    return text
      .replace(/("timingsMs": )\{[^}]*\}/, '$1{}')
      .replace(/("durationMs": )\d+/g, '$10')
      .replace(/ time="[\d.]+"/g, ' time=""')
      .replace(/ timestamp="[^"]*"/g, ' timestamp=""');
  };
  const files = { exit: `exit code ${exit}`, stdout };
  files['junit.xml'] = readFileSync(path.join(reports, 'junit.xml'), 'utf8');
  for (const f of ['receipt.json', 'receipt.md', 'report.html']) files[f] = readFileSync(path.join(folder, f), 'utf8');
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, blank(v)]));
}

try {
  const a = outputsOf(path.resolve(before), 'before');
  const b = outputsOf(path.resolve(after), 'after');
  let same = true;
  for (const name of Object.keys(a)) {
    if (a[name] === b[name]) {
      console.log(`same       ${name} (${a[name].length} characters)`);
      continue;
    }
    same = false;
    const la = a[name].split('\n');
    const lb = b[name].split('\n');
    const line = la.findIndex((l, i) => l !== lb[i]);
    console.log(
      `DIFFERENT  ${name}, line ${line + 1}:\n  before: ${la[line]?.slice(0, 300)}\n  after:  ${lb[line]?.slice(0, 300)}`,
    );
  }
  process.exitCode = same ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
