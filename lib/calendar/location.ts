// Where the Radicale collection is and how to log in to it. The URL comes from drift.gates.yaml
// `calendar.url` (reached directly), else from calendar.home.contract.yaml (base_url as seen from
// its host, so reached through an SSH tunnel to that host). Credentials come from the environment
// or a file the policy names, never from the bindings, and are never printed or recorded.

import os from 'node:os';
import path from 'node:path';
import type { Bindings } from '../bindings/types.js';
import { readRegularFile, refusalText } from '../input-file.js';
import { CalendarError } from './calendar-error.js';

const CREDENTIALS_MAX_BYTES = 64 * 1024;

export const USER_ENV = 'SPINE_GATES_CALDAV_USER';
export const PASSWORD_ENV = 'SPINE_GATES_CALDAV_PASSWORD';

export interface CalendarLocation {
  /** The collection URL (ending in `/`), as seen from `via`, or from here when via is null. */
  url: string;
  /** ssh.targets.yaml id of the host the URL is reached through. */
  via: string | null;
}

/** Null when nothing says where the calendar is (no `calendar.url`, no contract endpoint). */
export function calendarLocation(bindings: Bindings): CalendarLocation | null {
  const direct = bindings.policy.calendar?.url;
  if (direct) return { url: withSlash(new URL(direct).href), via: null };
  const home = bindings.calendarHome;
  if (!home?.baseUrl || !home.calendarCollection) return null;
  return { url: withSlash(new URL(home.calendarCollection, home.baseUrl).href), via: home.host };
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

export interface CalendarCredentials {
  auth: { user: string; password: string } | null;
  /** Where they came from, for messages. */
  source: string;
}

/** The environment's credentials when both variables are set, else the policy's file, else none. */
export async function calendarCredentials(
  bindings: Bindings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CalendarCredentials> {
  const user = env[USER_ENV];
  const password = env[PASSWORD_ENV];
  if (user && password !== undefined) return { auth: { user, password }, source: `${USER_ENV}/${PASSWORD_ENV}` };
  const file = bindings.policy.calendar?.credentialsFile;
  if (!file)
    return {
      auth: null,
      source: `set ${USER_ENV} and ${PASSWORD_ENV}, or calendar.credentials_file in drift.gates.yaml`,
    };
  const full = file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : path.resolve(bindings.dir, file);
  // A binding names it: a pipe or a device must not hang the run, and only a small file is a login.
  const read = await readRegularFile(full, CREDENTIALS_MAX_BYTES);
  if (!read.ok)
    throw new CalendarError(
      'credentials_unreadable',
      `cannot read the calendar credentials file ${full}: ${refusalText(read)}`,
    );
  const text = read.bytes.toString('utf8');
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const colon = line.indexOf(':');
  if (colon <= 0)
    throw new CalendarError(
      'credentials_unreadable',
      `the calendar credentials file ${full} does not hold a line user:password`,
    );
  return { auth: { user: line.slice(0, colon), password: line.slice(colon + 1) }, source: `the file ${full}` };
}
