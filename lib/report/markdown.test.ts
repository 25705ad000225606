// receipt.md as GitHub renders it: parsed by markdown-it with GitHub's options (CommonMark + GFM
// tables, raw HTML allowed as the job summary allows it, linkify on: bare URLs, `www.` names and
// e-mail addresses become links outside code), asserting the structure a reader sees.

import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import type { Severity } from '../model.js';
import { receiptMarkdown, STEP_SUMMARY_MAX_BYTES } from './markdown.js';
import { HOSTILE, makeFinding, makeGate, makeRun } from '../results/testing/run-result.js';

const md = new MarkdownIt({ html: true, linkify: true });
const render = (text: string) => md.render(text);
const tags = (html: string, tag: string) =>
  [...html.matchAll(new RegExp(`<${tag}(?: [^>]*)?>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
/** The table under a heading: its body rows as cell texts. */
const rowsUnder = (html: string, heading: string) => {
  const after = html.slice(html.indexOf(`<h2>${heading}</h2>`));
  return tags(tags(after, 'tbody')[0] ?? '', 'tr').map((r) => tags(r, 'td'));
};

/** Text a host can report that GitHub or linkify would turn into links, markup or a forged line. */
const LINKY =
  'see http://evil.example/x www.evil.example mail me@evil.example [x](https://evil.example) <https://evil.example> | `code` ``';

describe('receiptMarkdown', () => {
  it('keeps hostile values inside their cell or line: no forged heading, no HTML, no link, no terminal escapes', () => {
    const run = makeRun(
      [
        makeGate('D19', [
          makeFinding({
            subject: HOSTILE,
            message: `${HOSTILE} ${LINKY}`,
            actual: LINKY,
            evidence: [{ host: 'pve1', detail: LINKY }],
          }),
        ]),
      ],
      {
        hosts: [{ id: 'pve2', status: 'error', reason: 'connect_timeout', message: `${HOSTILE} ${LINKY}` }],
        source: {
          kind: 'snapshot',
          bindings: '/repo/www.evil.example/ops',
          bindingsChosenBy: '--bindings',
          snapshot: 'http://evil.example/snap',
          capturedAt: null,
        },
      },
    );
    const text = receiptMarkdown(run, 'report.html');
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(text).not.toMatch(/[\u0000\u001b\r]/);
    const html = render(text);
    expect(html).not.toContain('<a ');
    expect(html).not.toContain('<injected');
    expect(html).not.toContain('<b>');
    expect(tags(html, 'h2')).toEqual(['Unreadable hosts', 'Gates', 'Failures and errors', 'Details']);
    expect(tags(html, 'h1')).toHaveLength(1);
    // The whole hostile subject and message stay in their own cells of one row.
    const [row] = rowsUnder(html, 'Failures and errors');
    expect(row).toHaveLength(4);
    expect(row![2]).toBe(
      "<code>D19.freshness pve1/a]]&gt;b]]&gt;&lt;injected a='1'/&gt;&quot;q' &lt;b&gt;x&lt;/b&gt; *y* | z\\u000a## D19 forged: pass\\u000d\\u001b[2J\\u0000\\ud800 end</code>",
    );
    expect(row![3]).toContain(
      'see http://evil.example/x www.evil.example mail me@evil.example [x](https://evil.example) &lt;https://evil.example&gt; | `code` ``</code>',
    );
  });

  it('lists every failure and error as one row, errors first, then by severity; details with the remediation in a fenced block', () => {
    const fence = 'run this:\n```\nnot the end\n```\npostconf -e relayhost=[mail]:587';
    const run = makeRun([
      makeGate('D19', [
        makeFinding({ subject: 'low', severity: 'low' }),
        makeFinding({ subject: 'crit', severity: 'critical', remediation: fence }),
        makeFinding({ subject: 'ok', outcome: 'pass', remediation: null }),
        makeFinding({ subject: 'high-known', drift: 'known' }),
        makeFinding({ subject: 'high-new', drift: 'new' }),
      ]),
      makeGate('relay-stalwart', [
        makeFinding({
          gate: 'relay-stalwart',
          check: 'relay.postfix',
          subject: 'postfix',
          outcome: 'error',
          reason: 'no_state',
          severity: 'medium',
        }),
      ]),
    ]);
    const html = render(receiptMarkdown(run, null));
    expect(rowsUnder(html, 'Gates')).toEqual([
      ['D19 D19 gate', '<strong>fail</strong>', '1', '4', '0', '0', '0'],
      ['relay-stalwart relay-stalwart gate', '<strong>error</strong>', '0', '0', '1', '0', '0'],
    ]);
    expect(rowsUnder(html, 'Failures and errors').map((r) => [r[0], r[1], r[2]])).toEqual([
      ['<strong>error</strong>', 'medium', '<code>relay.postfix pve1/postfix</code>'],
      ['<strong>fail</strong>', 'critical', '<code>D19.freshness pve1/crit</code>'],
      ['<strong>fail</strong> (new)', 'high', '<code>D19.freshness pve1/high-new</code>'],
      ['<strong>fail</strong> (known)', 'high', '<code>D19.freshness pve1/high-known</code>'],
      ['<strong>fail</strong>', 'low', '<code>D19.freshness pve1/low</code>'],
    ]);
    expect(tags(html, 'h3')).toHaveLength(5);
    const code = [...html.matchAll(/<pre><code class="language-text">([\s\S]*?)<\/code><\/pre>/g)].map((m) => m[1]);
    expect(code[1]).toBe('run this:\n```\nnot the end\n```\npostconf -e relayhost=[mail]:587\n');
    expect(html).not.toContain('left out');
  });

  it("stays within GitHub's 1 MiB step-summary limit: every row, the details that fit, and how many were left out", () => {
    const severities: Severity[] = ['low', 'medium', 'high', 'critical'];
    const findings = Array.from({ length: 3000 }, (_, i) =>
      makeFinding({ subject: `vm-${i}`, severity: severities[i % 4]!, remediation: `fix vm-${i}\n${'x'.repeat(400)}` }),
    );
    const text = receiptMarkdown(makeRun([makeGate('D19', findings)]), 'report.html');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(STEP_SUMMARY_MAX_BYTES);
    const html = render(text);
    expect(rowsUnder(html, 'Failures and errors')).toHaveLength(3000);
    const shown = tags(html, 'h3').length;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(3000);
    expect(html).toContain(
      `<p>Details of ${shown} of 3000 failures and errors; ${3000 - shown} left out to stay within GitHub's 1 MiB job-summary limit: every finding is in report.html.</p>`,
    );
    // The details shown are the most urgent ones: the critical findings (every fourth, from vm-3) first.
    const detailed = tags(html, 'h3').map((h) => Number(/vm-(\d+)/.exec(h)![1]));
    expect(detailed.slice(0, Math.min(shown, 750)).every((i) => i % 4 === 3)).toBe(true);
    expect(detailed.slice(0, 2)).toEqual([3, 7]);
  });

  it('leaves rows out too, and says so, when even the table would not fit', () => {
    const findings = ['a', 'b', 'c'].map((subject) => makeFinding({ subject, message: 'm'.repeat(500) }));
    const text = receiptMarkdown(makeRun([makeGate('D19', findings)]), 'report.html', 3000);
    const html = render(text);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(3000);
    expect(rowsUnder(html, 'Failures and errors').length).toBeLessThan(3);
    expect(html).toMatch(
      /<p>\d of 3 failures and errors are left out of the table above, to stay within GitHub's 1 MiB job-summary limit; all are in report.html.<\/p>/,
    );
  });
});
