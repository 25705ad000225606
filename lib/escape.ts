// Values from bindings and hosts (target names, globs, host file names, calendar summaries, input
// errors) are hostile text: every output escapes them for its own syntax here, in one place.

const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
/** C0 controls, DEL, C1 controls, and UTF-16 surrogates that are not part of a pair. */
const CONTROL_OR_LONE_SURROGATE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f]|${LONE_SURROGATE}`, 'g');

/** Text any UTF-8 encoder (and encodeURIComponent) accepts: a lone surrogate becomes U+FFFD. */
export const wellFormed = (text: string) => text.replace(new RegExp(LONE_SURROGATE, 'g'), '\ufffd');

const visible = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

// Most values need no escaping at all: one scan for a character that might, before any replace
// (a large estate's reports escape a few hundred thousand values).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const MAYBE_CONTROL = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const MAYBE_XML = /[\u0000-\u001f&<>"'\ud800-\udfff\ufffe\uffff]/;
const MAYBE_HTML = /[&<>"']/;

/** One line of text for a terminal or a document: every control (newline, ESC, NUL…) shown as `\uXXXX`. */
export function oneLine(text: string): string {
  return MAYBE_CONTROL.test(text) ? text.replace(CONTROL_OR_LONE_SURROGATE, visible) : text;
}

/** Text meant to span lines (a remediation): newlines and tabs kept, every other control shown as `\uXXXX`. */
export function multiLine(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL_OR_LONE_SURROGATE, (ch) => (ch === '\n' || ch === '\t' ? ch : visible(ch)));
}

/** Characters XML 1.0 cannot carry at all (§2.2 Char), even as references: shown as `\uXXXX` instead. */
const NOT_XML_CHAR = new RegExp(`[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]|${LONE_SURROGATE}`, 'g');

/**
 * XML text or attribute value: markup characters as references, impossible characters made visible.
 * A parser turns a raw CR into LF, and in an attribute also LF and TAB into spaces: those stay references.
 */
export function xmlText(text: string, inAttribute = true): string {
  if (!MAYBE_XML.test(text)) return text;
  return text
    .replace(NOT_XML_CHAR, visible)
    .replace(/[&<>"']/g, (ch) => XML_REFS[ch]!)
    .replace(inAttribute ? /[\r\n\t]/g : /\r/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const XML_REFS: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** HTML text or a quoted attribute value. */
export function htmlText(text: string): string {
  return MAYBE_HTML.test(text) ? text.replace(/[&<>"']/g, (ch) => HTML_REFS[ch]!) : text;
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const MAYBE_CONTROL_OR_HTML = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff&<>"']/;

/** htmlText(oneLine(text)), in one scan for the values that need neither (most of a report's hundreds of thousands). */
export function htmlLine(text: string): string {
  return MAYBE_CONTROL_OR_HTML.test(text) ? htmlText(oneLine(text)) : text;
}

const HTML_REFS: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Inline Markdown (CommonMark/GFM): one line, every character with a markup meaning backslash-escaped. */
export function mdInline(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>|~&$#!]/g, '\\$&');
}

/**
 * Host text as an inline code span, on one line: nothing in it is markup, HTML or a link (GitHub
 * and markdown-it's linkify turn bare URLs, `www.` names and e-mail addresses into links anywhere
 * but in code). The fence is longer than any run of backticks inside. In a table cell (`inTable`) a
 * `|` is written `\|`, which GFM reads as a pipe of the cell, not the end of it.
 */
export function mdCode(text: string, inTable = false): string {
  const body = inTable ? oneLine(text).replaceAll('|', '\\|') : oneLine(text);
  if (body === '') return '';
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space from each end when both have one: pad so only the padding goes.
  const pad = /^[` ]|[` ]$/.test(body) ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A fenced code block whose fence no run of backticks in the content can close. */
export function mdCodeBlock(text: string): string {
  const body = multiLine(text);
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${body}\n${fence}`;
}
