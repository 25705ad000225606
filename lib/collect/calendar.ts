// Reaching the Radicale collection: directly, or through the calendar host's SSH connection
// (a direct-tcpip channel to the URL's host and port as that host sees them: Radicale usually
// listens on its 127.0.0.1 only). Used by the live collection and by `ops calendar publish`.

import type { Bindings } from '../bindings/types.js';
import { CalendarError, listItems, type Caldav } from '../calendar/caldav.js';
import { calendarCredentials, type CalendarLocation } from '../calendar/location.js';
import {
  defaultResolve,
  forward,
  tcpConnect,
  type Connection,
  type Connections,
  type ConnectContext,
} from './connect.js';
import type { Endpoint } from './endpoints.js';
import { HostError, redact } from './errors.js';
import type { CollectOptions } from './types.js';
import type { CollectedCalendar } from '../model.js';

export interface CalendarReach {
  /** The calendar host's connection; null: the URL is reached from here. */
  connection: Connection | null;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  resolve: ConnectContext['resolve'];
}

/** A CalDAV client for the collection; the credentials are read here (environment or the policy's file). */
export async function openCaldav(bindings: Bindings, at: CalendarLocation, reach: CalendarReach): Promise<Caldav> {
  const url = new URL(at.url);
  const creds = await calendarCredentials(bindings);
  const ep: Endpoint = {
    key: `calendar:${url.host}`,
    label: at.via ?? url.host,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    user: '',
    identityFiles: [],
    connectTimeoutMs: reach.connectTimeoutMs,
    via: null,
  };
  const { connection } = reach;
  return {
    url,
    auth: creds.auth,
    authSource: creds.source,
    timeoutMs: reach.requestTimeoutMs,
    connect: () => (connection ? forward(connection, ep) : tcpConnect(ep, reach.resolve)),
  };
}

/**
 * The calendar collection during a collection: through its host's connection when it has one (that
 * host's failure is the calendar's, with its reason), else from here.
 */
export async function collectCalendar(
  bindings: Bindings,
  at: CalendarLocation,
  ep: Endpoint | null,
  connections: Connections,
  options: CollectOptions,
): Promise<CollectedCalendar> {
  const fail = (reason: string, message: string): CollectedCalendar => ({
    status: 'error',
    url: at.url,
    via: at.via,
    reason,
    message,
  });
  const reach = {
    connectTimeoutMs: options.connectTimeoutMs,
    requestTimeoutMs: options.commandTimeoutMs,
    resolve: options.resolve ?? defaultResolve,
  };
  if (!at.via) return readCalendar(bindings, at, { ...reach, connection: null });
  if (!ep)
    return fail(
      'no_ssh_target',
      `the calendar host ${at.via} (calendar.home.contract.yaml home.host) is not an ssh.targets.yaml id`,
    );
  try {
    return await readCalendar(bindings, at, { ...reach, connection: await connections.get(ep) });
  } catch (e) {
    const error = e instanceof HostError ? e : new HostError('connection_lost', (e as Error).message);
    return fail(error.reason, `via ${at.via}: ${error.message}`);
  } finally {
    connections.done(ep);
  }
}

/** The whole collection, or why it could not be read (the password never reaches a message). */
export async function readCalendar(
  bindings: Bindings,
  at: CalendarLocation,
  reach: CalendarReach,
): Promise<CollectedCalendar> {
  let password: string | undefined;
  try {
    const dav = await openCaldav(bindings, at, reach);
    password = dav.auth?.password;
    return { status: 'ok', url: at.url, via: at.via, items: await listItems(dav) };
  } catch (e) {
    if (!(e instanceof CalendarError || e instanceof HostError)) throw e;
    const message = redact(`${e.message}${at.via ? ` (through ${at.via})` : ''}`, password);
    return { status: 'error', url: at.url, via: at.via, reason: e.reason, message };
  }
}
