// The few CalDAV requests the gate and `ops calendar publish` make (RFC 4791 calendar-query
// REPORT, PUT / DELETE with ETag preconditions, MKCALENDAR), over node:http on a connection the
// caller opens: a TCP socket, or an SSH direct-tcpip channel to a Radicale that listens on the
// calendar host's 127.0.0.1. (tsdav and fetch open their own sockets, which a tunnel cannot feed.)
// Responses are parsed namespace-aware (@xmldom/xmldom): Radicale and others pick their own prefixes.

import http, { type IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { CalendarError } from './calendar-error.js';
import type { CalendarItem } from '../model.js';

export { CalendarError };

export interface Caldav {
  /** The collection, ending in `/`. */
  url: URL;
  auth: { user: string; password: string } | null;
  /** Where the credentials came from, for messages (never the credentials). */
  authSource: string;
  /** A fresh connection to url's host and port (a tunnel when the server is only reachable from its host). */
  connect: () => Promise<Duplex>;
  /** How long one request may take once connected. */
  timeoutMs: number;
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const DAV = 'DAV:';
const CALDAV = 'urn:ietf:params:xml:ns:caldav';

/** Every item of the collection with its ETag and calendar data (one calendar-query REPORT). */
export async function listItems(dav: Caldav): Promise<CalendarItem[]> {
  const body =
    '<?xml version="1.0" encoding="utf-8"?>\n<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">' +
    '<d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>';
  const res = await request(
    dav,
    'REPORT',
    dav.url.pathname,
    { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
    body,
  );
  expectStatus(dav, 'REPORT', dav.url.pathname, res, [207]);
  return parseMultistatus(res.body, `REPORT ${dav.url.href}`).sort((a, b) =>
    a.href < b.href ? -1 : a.href > b.href ? 1 : 0,
  );
}

/** Creates (`etag` null: only if absent) or replaces (only if still at `etag`) one item; returns its new ETag. */
export async function putItem(dav: Caldav, href: string, ics: string, etag: string | null): Promise<string | null> {
  const headers = {
    'Content-Type': 'text/calendar; charset=utf-8',
    ...(etag === null ? { 'If-None-Match': '*' } : { 'If-Match': etag }),
  };
  const res = await request(dav, 'PUT', href, headers, ics);
  expectStatus(dav, 'PUT', href, res, [200, 201, 204]);
  return headerText(res.headers.etag);
}

export async function deleteItem(dav: Caldav, href: string, etag: string | null): Promise<void> {
  const res = await request(dav, 'DELETE', href, etag === null ? {} : { 'If-Match': etag });
  expectStatus(dav, 'DELETE', href, res, [200, 204]);
}

export async function makeCalendar(dav: Caldav, displayName: string): Promise<void> {
  const body =
    '<?xml version="1.0" encoding="utf-8"?>\n<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop>' +
    `<d:displayname>${escapeXml(displayName)}</d:displayname>` +
    '<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>';
  const res = await request(
    dav,
    'MKCALENDAR',
    dav.url.pathname,
    { 'Content-Type': 'application/xml; charset=utf-8' },
    body,
  );
  expectStatus(dav, 'MKCALENDAR', dav.url.pathname, res, [201]);
}

/** The href a new item with this UID is created at, under the collection. */
export const hrefFor = (dav: Pick<Caldav, 'url'>, uid: string) => `${dav.url.pathname}${encodeURIComponent(uid)}.ics`;

const headerText = (v: string | string[] | undefined) => (Array.isArray(v) ? (v[0] ?? null) : (v ?? null));
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function expectStatus(dav: Caldav, method: string, path: string, res: Response, ok: number[]): void {
  if (ok.includes(res.status)) return;
  const where =
    `${method} ${new URL(path, dav.url).href}: HTTP ${res.status} ${http.STATUS_CODES[res.status] ?? ''}`.trimEnd();
  if (res.status === 401 || res.status === 403) {
    const creds = dav.auth ? `the credentials from ${dav.authSource}` : `no credentials (${dav.authSource})`;
    throw new CalendarError(
      'auth_denied',
      `${where}: the server refused ${creds}${res.status === 403 ? ' access to this collection' : ''}`,
    );
  }
  if (res.status === 404 && path === dav.url.pathname)
    throw new CalendarError('collection_missing', `${where}: there is no calendar collection at this URL`);
  if (res.status === 412)
    throw new CalendarError('precondition_failed', `${where}: the item changed on the server meanwhile (ETag)`);
  if (res.status >= 500)
    throw new CalendarError(
      'server_error',
      `${where}${res.body.trim() ? `: ${res.body.trim().split('\n')[0]!.slice(0, 200)}` : ''}`,
    );
  throw new CalendarError('bad_response', `${where}: expected ${ok.join(' or ')}`);
}

async function request(
  dav: Caldav,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Response> {
  const raw = await dav.connect();
  let socket: Duplex = raw;
  try {
    if (dav.url.protocol === 'https:') socket = await startTls(raw, dav);
    return await exchange(dav, socket, method, path, headers, body);
  } finally {
    // However the request ended (answered, timed out, dropped): the handed-in connection is ours to
    // close. http's req.destroy() does not close a socket it got from createConnection, and an open
    // socket (or tunnel channel) to a server that never answers keeps the process alive.
    socket.destroy();
    raw.destroy();
  }
}

function exchange(
  dav: Caldav,
  socket: Duplex,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method,
        path,
        host: dav.url.hostname,
        port: dav.url.port,
        // One connection per request, handed in: nothing here opens a socket of its own.
        createConnection: () => socket as never,
        agent: false,
        headers: {
          Host: dav.url.host,
          Connection: 'close',
          ...headers,
          ...(dav.auth
            ? { Authorization: `Basic ${Buffer.from(`${dav.auth.user}:${dav.auth.password}`).toString('base64')}` }
            : {}),
          ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) =>
          reject(new CalendarError('bad_response', `${method} ${dav.url.origin}${path}: ${e.message}`)),
        );
      },
    );
    req.setTimeout(dav.timeoutMs, () =>
      req.destroy(
        new CalendarError('http_timeout', `${method} ${dav.url.origin}${path}: no response within ${dav.timeoutMs} ms`),
      ),
    );
    req.on('error', (e) =>
      reject(
        e instanceof CalendarError
          ? e
          : new CalendarError('connection_lost', `${method} ${dav.url.origin}${path}: ${e.message}`),
      ),
    );
    req.end(body);
  });
}

function startTls(raw: Duplex, dav: Caldav): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ socket: raw, servername: dav.url.hostname }, () => resolve(s));
    s.once('error', (e) => reject(new CalendarError('tls_failed', `TLS with ${dav.url.host}: ${e.message}`)));
  });
}

/** The items (href, ETag, calendar data) of a 207 multistatus; responses without calendar data are skipped. */
export function parseMultistatus(xml: string, what: string): CalendarItem[] {
  let root: Element | null;
  try {
    root = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml').documentElement;
  } catch (e) {
    throw new CalendarError('bad_response', `${what}: the answer is not XML (${(e as Error).message.split('\n')[0]})`);
  }
  if (!root || root.namespaceURI !== DAV || root.localName !== 'multistatus')
    throw new CalendarError('bad_response', `${what}: the answer is not a DAV:multistatus`);
  const items: CalendarItem[] = [];
  for (const response of children(root, DAV, 'response')) {
    const href = children(response, DAV, 'href')[0]?.textContent?.trim();
    const found = children(response, DAV, 'propstat').find((ps) =>
      /\s200\s/.test(` ${children(ps, DAV, 'status')[0]?.textContent ?? ''} `),
    );
    const prop = found && children(found, DAV, 'prop')[0];
    const data = prop && children(prop, CALDAV, 'calendar-data')[0]?.textContent;
    if (!href || !data) continue;
    items.push({ href, etag: (prop && children(prop, DAV, 'getetag')[0]?.textContent?.trim()) || null, data });
  }
  return items;
}

function children(parent: Element, ns: string, name: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name)
      out.push(n as Element);
  }
  return out;
}
