// report.html: one self-contained page (inline CSS, JS and SVG; nothing fetched) an operator opens
// from a CI artifact. It leads with what is wrong: the verdict, then the errors and failures (most
// urgent first, each with its remediation); then the verdict per gate, the coverage matrix (guests ×
// the checks that judge them), the freshness bars with each target's restore points and the week of
// backup windows; the waived, passed and skipped findings last, folded. Everything on it comes from
// the RunResult; every value is escaped (./escape.ts). It reads from 360 px wide: wide tables scroll inside their box.

import { windowKey, type BackupWindow } from '../calendar/windows.js';
import { findingId, OUTCOMES, type Finding } from '../model.js';
import { htmlLine, htmlText, multiLine } from '../escape.js';
import { evidenceText, waivedMessage } from './finding-text.js';
import {
  addSummaries,
  byUrgency,
  isBad,
  reportedGates,
  type GateResult,
  type RunResult,
  type Summary,
} from '../results/run-result.js';

const h = (text: string | number) => htmlLine(String(text));
const GUEST = /^(qemu|lxc)\/\d+$/;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function reportHtml(run: RunResult): string {
  return [...reportHtmlPieces(run)].join('');
}

/** The page in pieces (a row each): a large estate's report is tens of MB, never built as one string. */
export function* reportHtmlPieces(run: RunResult): Generator<string> {
  const gates = reportedGates(run);
  const findings = gates.flatMap((g) => g.findings);
  const sorted = [...findings].sort(byUrgency);
  const wrong = sorted.filter(isBad);
  const rest = sorted.filter((f) => !isBad(f));
  const s = addSummaries(gates);
  const demo =
    run.source.bindingsChosenBy === 'bundled demo site'
      ? `<p class="warning" role="alert">WARNING: this report judges the BUNDLED DEMO SITE, not your estate: no ops/bindings was found (pass --bindings DIR, or run <code>ops init</code>).</p>\n`
      : '';
  yield `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>spine-gates ${h(run.outcome)}: ${h(run.runKey)}</title>
<style>${CSS}</style></head>
<body>
<header>${demo}<h1>spine-gates: <span class="o-${run.outcome}">${h(run.outcome.toUpperCase())}</span> <small>exit ${run.exitCode}</small></h1>
<p class="verdict">${verdictCounts(wrong, s)}</p></header>
<main>
`;
  yield* wrongTable(wrong, findings);
  yield `\n${gateCards(gates)}\n`;
  yield* coverageMatrix(findings);
  yield '\n';
  yield* freshnessBars(findings);
  yield '\n';
  yield* restoreConfidence(findings);
  yield `\n${weekView(run)}\n`;
  yield* restTable(rest);
  yield `\n<section id="facts"><h2>Run</h2>\n<p>run ${h(run.runKey)} · ${h(run.tool.name)} ${h(run.tool.version)} · judged as of ${h(run.now)} · ${h(run.source.kind)}${run.source.capturedAt ? ` · snapshot captured ${h(run.source.capturedAt)}` : ''}</p>
<p class="muted">bindings ${h(run.source.bindings)} · digest ${h(run.bindingsDigest ?? 'none')}${run.bindingsGitCommit ? ` · commit ${h(run.bindingsGitCommit)}` : ''}</p></section>`;
  yield `
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}

/** Each item rendered, one per line: rows are made as they are written, not all at once. */
function* lines<T>(items: readonly T[], render: (item: T) => string): Generator<string> {
  for (let i = 0; i < items.length; i++) yield i ? `\n${render(items[i]!)}` : render(items[i]!);
}

function gateCards(gates: GateResult[]): string {
  const cards = gates.map((g) => {
    const s = g.summary;
    return `<div class="card"><h3>${h(g.id)} <span class="o-${g.outcome}">${g.outcome}</span></h3><p>${h(g.title)}</p>
<p class="counts">${OUTCOMES.map((o) => `<span class="o-${o}">${s[o]} ${o}</span>`).join(' ')}</p></div>`;
  });
  return `<section id="gates"><h2>Gates</h2><div class="cards">${cards.join('\n')}</div></section>`;
}

/** Guests (host/qemu|lxc/VMID) × every check that judged a guest: covered, failing, waived, skipped. */
function* coverageMatrix(findings: Finding[]): Generator<string> {
  const about = findings.filter((f) => f.host && GUEST.test(f.subject));
  if (!about.length) {
    yield '<section id="coverage"><h2>Coverage</h2><p>No guest was judged in this run.</p></section>';
    return;
  }
  const checks = [...new Set(about.map((f) => f.check))];
  // Each guest's findings by check (the last one a check made about it wins, as before).
  const cells = new Map<string, Map<string, Finding>>();
  for (const f of about) {
    const guest = `${f.host}/${f.subject}`;
    const row = cells.get(guest);
    if (row) row.set(f.check, f);
    else cells.set(guest, new Map([[f.check, f]]));
  }
  // localeCompare(…, 'en', { numeric: true })'s order, with one collator for every comparison.
  const guests = [...cells.keys()].sort(new Intl.Collator('en', { numeric: true }).compare);
  const row = (g: string) =>
    `<tr data-guest="${h(g)}"><th scope="row">${h(g)}</th>${checks
      .map((c) => {
        const f = cells.get(g)!.get(c);
        if (!f) return '<td class="cell none" title="not judged">·</td>';
        const title = `${f.outcome}${f.reason ? ` (${f.reason})` : ''}: ${f.message}`;
        return `<td class="cell o-${f.outcome}" title="${h(title)}">${SYMBOL[f.outcome]}</td>`;
      })
      .join('')}</tr>`;
  yield `<section id="coverage"><h2>Coverage: ${guests.length} guests × ${checks.length} checks</h2>
<p class="legend">${Object.entries(SYMBOL)
    .map(([o, s]) => `<span class="cell o-${o}">${s}</span> ${o}`)
    .join(' · ')} · <span class="cell none">·</span> not judged</p>
<div class="scroll"><table class="matrix"><thead><tr><th>guest</th>${checks.map((c) => `<th class="rot"><span>${h(c)}</span></th>`).join('')}</tr></thead>
<tbody>`;
  yield* lines(guests, row);
  yield '</tbody></table></div></section>';
}

const SYMBOL: Record<Finding['outcome'], string> = { pass: '✓', fail: '✗', error: '!', waived: 'w', skip: '–' };

/**
 * Each target's newest archive against its limit; no archive at all first, then the oldest relative to its
 * limit. Beside each bar, the target's restore points after PVE's next prune against its class's minimum
 * (D19.retention), with the policy and where it comes from.
 */
function* freshnessBars(findings: Finding[]): Generator<string> {
  const judged = findings.filter((f) => f.freshness);
  if (!judged.length) {
    yield '<section id="freshness"><h2>Freshness</h2><p>No target\'s archives were listed in this run.</p></section>';
    return;
  }
  const key = (f: Finding) => `${f.host ?? ''}/${f.subject}`;
  const retention = new Map(findings.filter((f) => f.check === 'D19.retention').map((f) => [key(f), f]));
  const ratio = (f: Finding) =>
    f.freshness!.ageHours === null ? Infinity : f.freshness!.ageHours / f.freshness!.limitHours;
  const bar = (f: Finding) => {
    const { ageHours, limitHours } = f.freshness!;
    // The scale reaches twice the limit: the limit mark sits in the middle.
    const width = ageHours === null ? 100 : Math.min(100, (ageHours / (2 * limitHours)) * 100);
    const label = ageHours === null ? 'no archive' : `${ageHours}h of ${limitHours}h`;
    return `<div class="bar-row" data-outcome="${f.outcome}"><span class="bar-name">${h(`${f.host}/${f.subject}`)}</span>
<span class="bar" role="img" aria-label="${h(label)}"><span class="fill o-bg-${f.outcome}" style="width:${width.toFixed(1)}%"></span><span class="limit"></span></span><span class="bar-label">${h(label)}</span>${restorePoints(retention.get(key(f)))}</div>`;
  };
  yield '<section id="freshness"><h2>Freshness (age against limit; the line marks the limit) and restore points (after PVE\'s next prune, against the minimum)</h2>';
  yield* lines(
    judged.sort((a, b) => ratio(b) - ratio(a)),
    bar,
  );
  yield '</section>';
}

const POLICY_SOURCE: Record<NonNullable<Finding['retention']>['source'], string> = {
  job: 'the job',
  storage: 'storage.cfg',
  'vzdump.conf': '/etc/vzdump.conf',
  default: "PVE's default",
};

/** A target's D19.retention: kept of the minimum, the policy and its source; a finding without counts says why. */
function restorePoints(f: Finding | undefined): string {
  if (!f) return '<span class="bar-points muted">restore points not judged</span>';
  const r = f.retention;
  if (!r)
    return `<span class="bar-points muted">restore points: ${h(f.outcome)}${f.reason ? ` (${h(f.reason)})` : ''}</span>`;
  const detail = `${r.kept} restore point(s) after PVE's next prune of ${r.present} backup(s)${r.protected ? `, ${r.protected} protected` : ''}; the class needs ${r.min}`;
  return `<span class="bar-points o-${f.outcome}" title="${h(detail)}">${h(`${r.kept}/${r.min} restore points`)} <span class="muted">${h(`${r.policy} from ${POLICY_SOURCE[r.source]}`)}</span></span>`;
}

/**
 * Per target: its last restore drill (D19.restore-drill) and its archive sizes as a sparkline
 * (D19.size), drawn here as inline SVG: nothing is fetched.
 */
function* restoreConfidence(findings: Finding[]): Generator<string> {
  const key = (f: Finding) => `${f.host ?? ''}/${f.subject}`;
  const drills = new Map(findings.filter((f) => f.check === 'D19.restore-drill' && f.drill).map((f) => [key(f), f]));
  const sizes = new Map(
    findings.filter((f) => f.check === 'D19.size' && f.sizeHistory?.length).map((f) => [key(f), f]),
  );
  const targets = [...new Set([...drills.keys(), ...sizes.keys()])].sort();
  if (!targets.length) return;
  yield '<section id="restore"><h2>Restore drills and archive sizes</h2><div class="scroll"><table><thead><tr><th>target</th><th>last restore drill</th><th>archive sizes (oldest → newest)</th></tr></thead><tbody>';
  yield* lines(targets, (t) => {
    const d = drills.get(t);
    const z = sizes.get(t);
    const drill = !d
      ? '<td class="muted">not judged</td>'
      : d.drill!.at === null
        ? `<td class="o-${d.outcome}">never</td>`
        : `<td class="o-${d.outcome}">${h(new Date(d.drill!.at * 1000).toISOString().slice(0, 10))} ${d.drill!.ok ? 'ok' : 'failed'} <span class="muted">(${h(d.drill!.source === 'pve' ? 'PVE task' : 'restore.drills.yaml')})</span></td>`;
    return `<tr><td>${h(t)}</td>${drill}<td>${z ? sparkline(z.sizeHistory!, z.outcome) : '<span class="muted">–</span>'}</td></tr>`;
  });
  yield '</tbody></table></div></section>';
}

/** Sizes as a polyline scaled to their maximum, the newest a dot in the finding's colour; the figures in its title. */
function sparkline(sizes: number[], outcome: Finding['outcome']): string {
  const [w, ht, pad] = [120, 24, 3];
  const max = Math.max(...sizes, 1);
  const x = (i: number) => (sizes.length === 1 ? w / 2 : pad + (i * (w - 2 * pad)) / (sizes.length - 1));
  const y = (v: number) => ht - pad - (v / max) * (ht - 2 * pad);
  const points = sizes.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const last = sizes.length - 1;
  const label = sizes.map((v) => `${v} B`).join(', ');
  return `<svg class="spark" viewBox="0 0 ${w} ${ht}" width="${w}" height="${ht}" role="img" aria-label="${h(label)}"><title>${h(label)}</title><polyline points="${points}"/><circle class="o-fill-${outcome}" cx="${x(last).toFixed(1)}" cy="${y(sizes[last]!).toFixed(1)}" r="2.5"/></svg>`;
}

/** Seven day columns, 24 hours down; calendar events and jobs side by side in each day, overlaps outlined. */
function weekView(run: RunResult): string {
  const w = run.windows;
  if (!w || (!w.windows.length && !w.notShown.length))
    return '<section id="week"><h2>Backup windows</h2><p>No job schedule or calendar event to show.</p></section>';
  const dayWidth = 120;
  const hour = 18;
  const lane = (x: BackupWindow) => (x.source === 'calendar' ? 0 : 1);
  const rects = w.windows.flatMap((x) => {
    // A window past midnight continues at the top of the next day.
    const parts: Array<[number, number, number]> = [[x.weekday, x.start, Math.min(x.minutes, 1440 - x.start)]];
    if (x.start + x.minutes > 1440) parts.push([(x.weekday + 1) % 7, 0, x.start + x.minutes - 1440]);
    const cls = `win ${x.source}${x.overlaps.length ? ' overlap' : ''}`;
    const title = `${windowKey(x)}: ${DAYS[x.weekday]} ${hhmm(x.start)} for ${x.minutes} min${x.durationKnown ? '' : ' (PVE does not say how long a job runs: drawn for the default)'}${x.overlaps.length ? `; overlaps ${x.overlaps.join(', ')}` : ''}`;
    return parts.map(
      ([day, start, minutes]) =>
        `<rect class="${cls}" x="${40 + day * dayWidth + 4 + lane(x) * 56}" y="${20 + (start / 60) * hour}" width="52" height="${Math.max(2, (minutes / 60) * hour)}"><title>${h(title)}</title></rect>`,
    );
  });
  const grid = [
    ...DAYS.map((d, i) => `<text x="${40 + i * dayWidth + dayWidth / 2}" y="14" text-anchor="middle">${d}</text>`),
    ...Array.from(
      { length: 25 },
      (_, i) =>
        `<line class="grid" x1="40" x2="${40 + 7 * dayWidth}" y1="${20 + i * hour}" y2="${20 + i * hour}"/>${i % 3 === 0 && i < 24 ? `<text x="34" y="${24 + i * hour}" text-anchor="end">${hhmm(i * 60)}</text>` : ''}`,
    ),
    ...DAYS.map(
      (_, i) =>
        `<line class="grid" x1="${40 + i * dayWidth}" x2="${40 + i * dayWidth}" y1="20" y2="${20 + 24 * hour}"/>`,
    ),
  ];
  const overlapping = [...new Set(w.windows.filter((x) => x.overlaps.length).map(windowKey))];
  const notShown = w.notShown.map((n) => h(`${n.source} ${n.host ? `${n.host}/` : ''}${n.id} (${n.why})`));
  return `<section id="week"><h2>Backup windows in a week${w.zone ? ` (${h(w.zone)})` : ''}</h2>
<p class="legend"><span class="swatch calendar"></span> calendar event (left) · <span class="swatch job"></span> vzdump job (right) · <span class="swatch overlap"></span> overlaps another${overlapping.length ? `: ${overlapping.map(h).join(', ')}` : ': none'}</p>
<svg class="week" viewBox="0 0 ${50 + 7 * dayWidth} ${30 + 24 * hour}" role="img" aria-label="backup windows in a week">${grid.join('')}${rects.join('')}</svg>
${notShown.length ? `<p class="muted">Not drawn: ${notShown.join('; ')}</p>` : ''}</section>`;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** `2 errors · 40 failures (9 critical, 18 high, …) · 181 pass · 29 skip · 0 waived`. */
function verdictCounts(wrong: Finding[], s: Summary): string {
  const failures = wrong.filter((f) => f.outcome === 'fail');
  const bySeverity = SEVERITIES.map((sev) => [sev, failures.filter((f) => f.severity === sev).length] as const).filter(
    ([, n]) => n,
  );
  return [
    `<span class="o-error">${s.error} error${s.error === 1 ? '' : 's'}</span>`,
    `<span class="o-fail">${s.fail} failure${s.fail === 1 ? '' : 's'}</span>${bySeverity.length ? ` (${bySeverity.map(([sev, n]) => `${n} ${sev}`).join(', ')})` : ''}`,
    `<span class="o-pass">${s.pass} pass</span>`,
    `<span class="o-skip">${s.skip} skip</span>`,
    `<span class="o-waived">${s.waived} waived</span>`,
  ].join(' · ');
}

/** One finding as a table row: outcome, severity, what, and its message, evidence and remediation. */
const findingRow = (
  f: Finding,
) => `<tr class="finding" data-gate="${h(f.gate)}" data-outcome="${f.outcome}" data-host="${h(f.host ?? 'bindings')}">
<td class="o-${f.outcome}">${f.outcome}${f.drift ? ` (${f.drift})` : ''}</td><td>${f.severity}</td><td>${h(findingId(f))}</td>
<td>${h(f.outcome === 'waived' ? waivedMessage(f) : f.message)}${f.evidence.length ? `<ul class="evidence">${f.evidence.map((e) => `<li>${h(evidenceText(e))}</li>`).join('')}</ul>` : ''}${f.remediation && isBad(f) ? `<pre>${htmlText(multiLine(f.remediation))}</pre>` : ''}</td></tr>`;

const TABLE_HEAD =
  '<div class="scroll"><table class="findings"><thead><tr><th>outcome</th><th>severity</th><th>finding</th><th>message, evidence and remediation</th></tr></thead>\n<tbody>';

/** The errors and failures, most urgent first, with the filters that apply to every finding on the page. */
function* wrongTable(wrong: Finding[], all: Finding[]): Generator<string> {
  const options = (name: string, values: string[]) =>
    `<label>${name} <select data-filter="${name}"><option value="">all</option>${[...new Set(values)]
      .sort()
      .map((v) => `<option value="${h(v)}">${h(v)}</option>`)
      .join('')}</select></label>`;
  const errors = wrong.filter((f) => f.outcome === 'error').length;
  const title = wrong.length
    ? `What is wrong: ${errors} error${errors === 1 ? '' : 's'} (could not check), ${wrong.length - errors} failure${wrong.length - errors === 1 ? '' : 's'}`
    : 'Nothing failed and nothing errored';
  yield `<section id="wrong"><h2>${title}</h2>
<form class="filters">${options(
    'gate',
    all.map((f) => f.gate),
  )} ${options(
    'outcome',
    all.map((f) => f.outcome),
  )} ${options(
    'host',
    all.map((f) => f.host ?? 'bindings'),
  )} <span class="muted">showing <span id="shown">${all.length}</span> of ${all.length} findings</span></form>
`;
  if (!wrong.length) {
    yield '</section>';
    return;
  }
  yield TABLE_HEAD;
  yield* lines(wrong, findingRow);
  yield '</tbody></table></div></section>';
}

/** Waived, passed and skipped findings: folded, their counts on the fold. */
function* restTable(rest: Finding[]): Generator<string> {
  const n = (o: Finding['outcome']) => rest.filter((f) => f.outcome === o).length;
  yield `<section id="others"><details><summary><h2>Waived, passed and skipped: ${n('waived')} waived, ${n('pass')} passed, ${n('skip')} skipped</h2></summary>
`;
  if (rest.length) {
    yield TABLE_HEAD;
    yield* lines(rest, findingRow);
    yield '</tbody></table></div>';
  }
  yield '</details></section>';
}

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--card:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--error:#8250df;--skip:#9a6700;--waived:#0969da;--cal:#54aeff;--job:#4ac26b}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--card:#161b22;--pass:#3fb950;--fail:#f85149;--error:#a371f7;--skip:#d29922;--waived:#58a6ff;--cal:#1f6feb;--job:#2ea043}}
body{font:14px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg);margin:0 auto;max-width:1200px;padding:1rem 1.5rem}
@media (max-width:600px){body{padding:.5rem .6rem}table.findings thead{display:none}table.findings,table.findings tbody,table.findings tr{display:block}table.findings tr{border:1px solid var(--line);margin:.4rem 0;padding:.3rem .4rem}table.findings tr[hidden]{display:none}table.findings td{display:inline;border:0;padding:0 .4rem 0 0}table.findings td:last-child{display:block;padding:.2rem 0 0}.bar-row{grid-template-columns:1fr auto}.bar-row .bar{grid-column:1/-1;grid-row:2}.bar-row .bar-points{grid-column:1/-1;grid-row:3}.filters label{display:inline-block;margin:.2rem .6rem .2rem 0}}
h1{margin:.2rem 0}h1 small{font-size:.5em;color:var(--muted)}.muted{color:var(--muted)}section{margin:1.5rem 0}
header,main{overflow-wrap:break-word}.verdict{font-size:1.1em;font-weight:600}
.warning{background:var(--fail);color:#fff;font-weight:bold;padding:.5rem .8rem;border-radius:6px;margin:.4rem 0}
summary h2{display:inline;font-size:1.2em}summary{cursor:pointer}
.o-pass{color:var(--pass)}.o-fail{color:var(--fail)}.o-error{color:var(--error)}.o-skip{color:var(--skip)}.o-waived{color:var(--waived)}
.o-bg-pass{background:var(--pass)}.o-bg-fail{background:var(--fail)}.o-bg-error{background:var(--error)}.o-bg-skip{background:var(--skip)}.o-bg-waived{background:var(--waived)}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.5rem .9rem;min-width:min(14rem,100%);box-sizing:border-box}.card h3{margin:.2rem 0}.card p{margin:.2rem 0}.counts span{margin-right:.4rem}
.scroll{overflow-x:auto}table{border-collapse:collapse}th,td{border:1px solid var(--line);padding:.2rem .4rem;vertical-align:top;text-align:left}
.matrix td.cell{text-align:center;font-weight:bold;min-width:1.6rem}.cell.none{color:var(--muted)}th.rot{height:9rem;white-space:nowrap;vertical-align:bottom}th.rot span{writing-mode:vertical-rl;transform:rotate(180deg)}
.legend .cell{font-weight:bold}.swatch{display:inline-block;width:1em;height:.8em;vertical-align:middle}.swatch.calendar{background:var(--cal)}.swatch.job{background:var(--job)}.swatch.overlap{border:2px solid var(--fail)}
.bar-row{display:grid;grid-template-columns:minmax(0,22rem) minmax(4rem,1fr) auto minmax(0,18rem);gap:.6rem;align-items:center;margin:.15rem 0}.bar-points{overflow-wrap:anywhere}.bar-name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar{position:relative;height:.9rem;background:var(--card);border:1px solid var(--line)}.fill{position:absolute;left:0;top:0;bottom:0}.limit{position:absolute;left:50%;top:-3px;bottom:-3px;border-left:2px solid var(--fg)}
svg.spark polyline{fill:none;stroke:var(--muted);stroke-width:1.5}.o-fill-pass{fill:var(--pass)}.o-fill-fail{fill:var(--fail)}.o-fill-error{fill:var(--error)}.o-fill-skip{fill:var(--skip)}.o-fill-waived{fill:var(--waived)}
svg.week{width:100%;max-width:900px;font-size:11px}svg.week text{fill:var(--muted)}.grid{stroke:var(--line)}.win{fill-opacity:.8}.win.calendar{fill:var(--cal)}.win.job{fill:var(--job)}.win.overlap{stroke:var(--fail);stroke-width:2}
.filters{margin:.5rem 0}.filters label{margin-right:1rem}table.findings{width:100%}pre{background:var(--card);border:1px solid var(--line);padding:.4rem;white-space:pre-wrap;margin:.3rem 0}.evidence{margin:.2rem 0;padding-left:1.2rem;color:var(--muted)}
@media print{body{max-width:none;font-size:11px;color:#000;background:#fff}.filters{display:none}details::details-content{content-visibility:visible;display:block}tr.finding{display:table-row!important}section{break-inside:avoid-page}table.findings tr{break-inside:avoid}.scroll{overflow:visible}}
`;

// Filters hide rows; nothing is fetched, nothing is written.
const SCRIPT = `
(function(){
  var selects=[].slice.call(document.querySelectorAll('select[data-filter]'));
  var rows=[].slice.call(document.querySelectorAll('tr.finding'));
  function apply(){
    var shown=0;
    rows.forEach(function(r){
      var ok=selects.every(function(s){return !s.value||r.getAttribute('data-'+s.getAttribute('data-filter'))===s.value;});
      r.hidden=!ok; if(ok)shown++;
    });
    document.getElementById('shown').textContent=String(shown);
    // A filter also searches the folded findings: they unfold.
    if(selects.some(function(s){return s.value;}))[].forEach.call(document.querySelectorAll('details'),function(d){d.open=true;});
  }
  selects.forEach(function(s){s.addEventListener('change',apply);});
  // On paper every finding shows: the folded ones unfold.
  window.addEventListener('beforeprint',function(){[].forEach.call(document.querySelectorAll('details'),function(d){d.open=true;});});
})();
`;
