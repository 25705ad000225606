// What a collection of host state holds before it is written as a snapshot: the live collector's
// result (lib/collect) and the snapshot writer's and merger's input.

import type { CalendarItem } from '../calendar/vevent.js';
import type { HostReason } from '../catalogue/reasons.js';

export interface CollectedCommand {
  id: string;
  command: string;
  /** Exit status; null when killed or not run. */
  exit: number | null;
  stdout: Buffer;
  /** Only for listing commands. */
  basePath?: string;
  /** Why the command's output is not its facts (`output_too_large`); its facts are then errors with this reason. */
  problem?: { reason: string; message: string };
}

export type CollectedHost =
  | { id: string; status: 'ok'; timezone: string | null; commands: CollectedCommand[] }
  | { id: string; status: 'error'; reason: HostReason; message: string; commands: CollectedCommand[] };

export interface Collection {
  capturedAt: string;
  hosts: CollectedHost[];
  insecureAcceptAnyHostKey: boolean;
  /** The Radicale collection (radicale-calendar); absent or null when it was not collected. */
  calendar?: CollectedCalendar | null;
}

/**
 * The calendar collection as the server returned it, or why it could not be read (reason codes in
 * docs/gates/radicale-calendar.md).
 */
export type CollectedCalendar =
  | { status: 'ok'; url: string; via: string | null; items: CalendarItem[] }
  | { status: 'error'; url: string; via: string | null; reason: string; message: string };
