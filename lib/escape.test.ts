// The escapers skip their replaces when one scan finds nothing to escape: that scan must catch
// every character the replaces would change. Checked for every UTF-16 code unit, alone and paired.

import { describe, expect, it } from 'vitest';
import { htmlLine, htmlText, oneLine, xmlText } from './escape.js';

const units = Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c));
const visible = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
const isSurrogate = (ch: string) => ch >= '\ud800' && ch <= '\udfff';

describe('escapers', () => {
  it('oneLine shows every control and lone surrogate, and nothing else', () => {
    for (const ch of units) {
      const control = ch <= '\u001f' || (ch >= '\u007f' && ch <= '\u009f') || isSurrogate(ch);
      expect(oneLine(`a${ch}b`)).toBe(control ? `a${visible(ch)}b` : `a${ch}b`);
    }
    expect(oneLine('x\ud83d\ude00y')).toBe('x\ud83d\ude00y');
  });

  it('htmlText replaces exactly the five markup characters', () => {
    const refs: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
    for (const ch of units) expect(htmlText(`a${ch}b`)).toBe(`a${refs[ch] ?? ch}b`);
  });

  it('htmlLine is htmlText(oneLine(…)) for every code unit', () => {
    for (const ch of units) expect(htmlLine(`a${ch}b`)).toBe(htmlText(oneLine(`a${ch}b`)));
    expect(htmlLine('x\ud83d\ude00y')).toBe('x\ud83d\ude00y');
  });

  it('xmlText: markup as references, CR (and in attributes LF and TAB) as character references, non-XML characters shown', () => {
    const refs: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
    for (const ch of units) {
      const notXml =
        (ch <= '\u001f' && !'\t\n\r'.includes(ch)) || ch === '\ufffe' || ch === '\uffff' || isSurrogate(ch);
      const expected = (inAttribute: boolean) =>
        refs[ch] ??
        (notXml ? visible(ch) : ch === '\r' || (inAttribute && '\t\n'.includes(ch)) ? `&#${ch.charCodeAt(0)};` : ch);
      expect(xmlText(`a${ch}b`)).toBe(`a${expected(true)}b`);
      expect(xmlText(`a${ch}b`, false)).toBe(`a${expected(false)}b`);
    }
    expect(xmlText('x\ud83d\ude00y')).toBe('x\ud83d\ude00y');
  });
});
