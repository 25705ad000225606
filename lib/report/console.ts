// What a person reads: per gate, failures and errors first with their severity and remediation,
// then one line. Values from bindings and hosts are shown with their controls escaped, so none can
// move the cursor, clear the screen or forge a line.

import { findingId, type Finding, type Outcome } from '../model.js';
import { multiLine, oneLine } from '../escape.js';
import { byUrgency, isBad, type RunResult, type Summary } from '../results/run-result.js';

const CODES: Record<Outcome | 'dim', string> = {
  pass: '32',
  fail: '31',
  error: '35',
  skip: '33',
  waived: '36',
  dim: '2',
};

/**
 * FORCE_COLOR (any value but `0` or `false`) turns colour on, also into a pipe or a CI log; otherwise
 * NO_COLOR, when set and not empty (no-color.org), turns it off; otherwise colour on a TTY.
 */
export function useColour(stream: Pick<NodeJS.WriteStream, 'isTTY'>, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR) return false;
  return Boolean(stream.isTTY);
}

/**
 * `paths`: the files this run wrote, by name (receipt, junit, sarif, html, metrics), in the order shown; `demo`: the warning
 * a run on the bundled demo site repeats on its summary line.
 */
export function consoleReport(
  run: RunResult,
  paths: Record<string, string>,
  colour: boolean,
  demo: string | null = null,
): string {
  const paint = (kind: keyof typeof CODES, text: string) => (colour ? `\u001b[${CODES[kind]}m${text}\u001b[0m` : text);
  const out: string[] = [];
  for (const e of run.inputErrors) out.push(inputErrorLine(e, colour));
  // A host that could not be read is explained once; each finding about it refers here.
  const down = run.hosts.filter((h) => h.status === 'error');
  if (down.length)
    out.push(
      '',
      'Hosts not read:',
      ...down.map(
        (h) =>
          `  ${paint('error', 'error')} ${oneLine(h.id)}: ${oneLine(h.reason ?? 'error')}: ${oneLine(h.message ?? '')}`,
      ),
    );
  const shortened = (f: Finding) => {
    const host = down.find((h) => h.id === f.host && h.reason === f.reason && h.message);
    return host ? f.message.replace(host.message!, `${host.reason} (see "Hosts not read")`) : f.message;
  };
  for (const gate of run.gates) {
    // A gate with no findings had nothing to judge (no guests, targets or jobs): said, never `()`.
    const s = countsOf(gate.summary) || 'nothing to judge: the bindings and host state give it no subject';
    out.push(
      '',
      `${oneLine(gate.id)} ${oneLine(gate.title)}: ${paint(gate.outcome, gate.outcome.toUpperCase())}  (${s})`,
    );
    const skipped = skipReasons(gate.findings);
    if (skipped) out.push(`  ${paint('skip', 'skipped')} ${skipped}`);
    const bad = gate.findings.filter(isBad).sort(byUrgency);
    for (const f of bad) {
      out.push(
        `  ${paint(f.outcome, f.outcome.padEnd(5))} ${f.severity.padEnd(8)} ${f.drift ? `[${f.drift}] ` : ''}${oneLine(findingId(f))}: ${oneLine(shortened(f))}`,
      );
      // A multi-line remediation (commands, a config stanza) stays indented under its arrow.
      if (f.remediation)
        out.push(`        ${paint('dim', `→ ${multiLine(f.remediation).replaceAll('\n', '\n          ')}`)}`);
    }
    for (const f of gate.findings.filter((x) => x.outcome === 'waived')) {
      const w = f.waiver;
      out.push(
        `  ${paint('waived', 'waived')} ${oneLine(findingId(f))}: ${oneLine(f.message)}${w ? ` ${paint('dim', oneLine(`(by ${w.owner} until ${w.expires}: ${w.justification})`))}` : ''}`,
      );
    }
  }
  const b = run.baseline;
  if (b)
    out.push(
      '',
      `baseline ${oneLine(b.receipt)}${b.runKey ? ` (run ${oneLine(b.runKey)})` : ''}: ${b.new} new, ${b.known} known fail/error${b.failOn === 'new' ? '; only new drift sets the exit code (--fail-on new)' : ''}`,
    );
  const sum = run.summary;
  out.push(
    '',
    `${paint(run.outcome, run.outcome.toUpperCase())}: ${sum.pass} pass, ${sum.fail} fail, ${sum.error} error, ${sum.skip} skip, ${sum.waived} waived (exit ${run.exitCode}); ${Object.entries(
      paths,
    )
      .map(([name, file]) => `${name} ${oneLine(file)}`)
      .join('; ')}${demo ? `; WARNING: ${oneLine(demo)}` : ''}`,
  );
  return `${out.join('\n')}\n`;
}

/** One problem with the input (a binding, the snapshot, the collection setup), as every command prints it. */
export function inputErrorLine(error: string, colour: boolean): string {
  return `${colour ? `\u001b[${CODES.error}minput error\u001b[0m` : 'input error'} ${oneLine(error)}`;
}

/** `12 × no host state, 3 × template`: each reason a gate skipped for, once, most frequent first. */
export function skipReasons(findings: readonly Finding[]): string {
  const counts = new Map<string, number>();
  for (const f of findings)
    if (f.outcome === 'skip')
      counts.set(f.reason ?? 'not applicable', (counts.get(f.reason ?? 'not applicable') ?? 0) + 1);
  return [...counts]
    .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1))
    .map(([reason, n]) => `${n} × ${reason}`)
    .join(', ');
}

const countsOf = (s: Summary) =>
  Object.entries(s)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${n} ${o}`)
    .join(', ');
