// receipt.md as GitHub renders it: parsed by markdown-it (CommonMark + GFM tables, raw HTML allowed
// as GitHub's job summary allows it), asserting the structure a reader sees.

import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { receiptMarkdown } from './markdown.js';
import { HOSTILE, makeFinding, makeGate, makeRun } from './testing/run-result.js';

const md = new MarkdownIt({ html: true });
const render = (text: string) => md.render(text);
const tags = (html: string, tag: string) => [...html.matchAll(new RegExp(`<${tag}(?: [^>]*)?>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);

describe('receiptMarkdown', () => {
  it('keeps hostile values inside their cell or line: no forged heading, no HTML, no terminal escapes', () => {
    const run = makeRun([makeGate('D19', [makeFinding({ subject: HOSTILE, message: HOSTILE, actual: HOSTILE })])], { hosts: [{ id: 'pve2', status: 'error', reason: 'connect_timeout', message: HOSTILE }] });
    const text = receiptMarkdown(run, 'report.html');
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(text).not.toMatch(/[\u0000\u001b\r]/);
    const html = render(text);
    expect(html).not.toContain('<injected');
    expect(html).not.toContain('<b>');
    expect(tags(html, 'h2')).toEqual(['Unreadable hosts', 'Gates', 'D19: fail']);
    expect(tags(html, 'h1')).toHaveLength(1);
    // The whole hostile subject stays in one table cell of the gate's table.
    const rows = tags(html, 'tr');
    const row = rows.find((r) => r.includes('D19.freshness'))!;
    expect(tags(row, 'td')).toHaveLength(4);
    expect(row).toContain('a]]&gt;b]]&gt;&lt;injected a=\'1\'/&gt;&quot;q\' &lt;b&gt;x&lt;/b&gt; *y* | z\\u000a## D19 forged: pass');
  });

  it('puts each remediation in a fenced code block, lines intact, and a short table per gate', () => {
    const fence = 'run this:\n```\nnot the end\n```\npostconf -e relayhost=[mail]:587';
    const run = makeRun([
      makeGate('D19', [makeFinding({ remediation: fence }), makeFinding({ subject: 'vm-102', outcome: 'pass', remediation: null })]),
      makeGate('relay-stalwart', [makeFinding({ gate: 'relay-stalwart', check: 'relay.postfix', subject: 'postfix', outcome: 'error', reason: 'no_state' })]),
    ]);
    const html = render(receiptMarkdown(run, null));
    const code = [...html.matchAll(/<pre><code class="language-text">([\s\S]*?)<\/code><\/pre>/g)].map((m) => m[1]);
    expect(code[0]).toBe('run this:\n```\nnot the end\n```\npostconf -e relayhost=[mail]:587\n');
    expect(code).toHaveLength(2);
    const gateRows = tags(tags(html, 'table')[0]!, 'tr').slice(1).map((r) => tags(r, 'td'));
    expect(gateRows).toEqual([
      ['D19 D19 gate', '<strong>fail</strong>', '1', '1', '0', '0', '0'],
      ['relay-stalwart relay-stalwart gate', '<strong>error</strong>', '0', '0', '1', '0', '0'],
    ]);
    expect(tags(html, 'h3')).toEqual(['D19.freshness pve1/vm-101-app', 'relay.postfix pve1/postfix']);
  });

  it('shows the first N failures and errors, then points to the full report', () => {
    const findings = ['a', 'b', 'c'].map((subject) => makeFinding({ subject }));
    const html = render(receiptMarkdown(makeRun([makeGate('D19', findings)]), 'report.html', 1));
    expect(tags(html, 'h3')).toEqual(['D19.freshness pve1/a']);
    expect(html).toContain('<p>2 more failures and errors are in report.html.</p>');
  });
});
