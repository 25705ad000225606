// `ops calendar publish`: what to create, update, leave or delete so the collection holds every
// backup.calendar.yaml event exactly, and doing it with ETag preconditions. It deletes only events
// it wrote itself (they carry the X-SPINE-GATES-EVENT marker) whose binding event is gone.

import type { CalendarEventFact } from '../model.js';
import type { CalendarPlan } from './binding.js';
import { deleteItem, hrefFor, putItem, type Caldav } from './caldav.js';
import { eventIcs } from './ics.js';
import { parseItems } from './vevent.js';

export interface PublishAction {
  kind: 'create' | 'update' | 'leave' | 'delete' | 'skip';
  /** The binding event id (or, for a delete, the id the UID names). */
  id: string;
  uid: string;
  href: string | null;
  /** The ETag the change is conditional on (If-Match); null: If-None-Match for a create. */
  etag: string | null;
  why: string;
  ics?: string;
}

/** The fields that make two events the same for a calendar client (parsed, so text rewrites do not count). */
const FIELDS = ['dtstart', 'tzid', 'dtend', 'rrule', 'status', 'summary', 'description', 'publishedFor'] as const;

export function planPublish(
  plan: CalendarPlan,
  remote: readonly CalendarEventFact[],
  dav: Pick<Caldav, 'url'>,
  idOfUid: (uid: string) => string | null,
): PublishAction[] {
  const actions: PublishAction[] = [];
  for (const { event, expected, problems } of plan.events) {
    if (!expected) {
      actions.push({
        kind: 'skip',
        id: event.id,
        uid: '',
        href: null,
        etag: null,
        why: `not publishable: ${problems.map((p) => p.text).join('; ')}`,
      });
      continue;
    }
    const ics = eventIcs(plan, expected);
    const want = parseItems([{ href: '', etag: null, data: ics }]).events[0]!;
    const have = remote.find((f) => f.uid === expected.uid);
    if (!have) {
      actions.push({
        kind: 'create',
        id: event.id,
        uid: expected.uid,
        href: hrefFor(dav, expected.uid),
        etag: null,
        why: 'not in the calendar',
        ics,
      });
      continue;
    }
    const differs = FIELDS.filter((k) => want[k] !== have[k]);
    actions.push(
      differs.length
        ? {
            kind: 'update',
            id: event.id,
            uid: expected.uid,
            href: have.href,
            etag: have.etag,
            why: `differs in ${differs.join(', ')}`,
            ics,
          }
        : { kind: 'leave', id: event.id, uid: expected.uid, href: have.href, etag: have.etag, why: 'up to date' },
    );
  }
  const ids = new Set(plan.events.map((e) => e.event.id));
  for (const fact of remote) {
    const id = idOfUid(fact.uid);
    if (id === null || ids.has(id)) continue;
    actions.push(
      fact.publishedFor !== null
        ? {
            kind: 'delete',
            id,
            uid: fact.uid,
            href: fact.href,
            etag: fact.etag,
            why: `published for event ${id}, which backup.calendar.yaml no longer has`,
          }
        : {
            kind: 'leave',
            id,
            uid: fact.uid,
            href: fact.href,
            etag: fact.etag,
            why: 'a backup UID with no binding event, not written by ops calendar publish: left alone (calendar.orphan reports it)',
          },
    );
  }
  return actions;
}

export interface ActionResult {
  action: PublishAction;
  ok: boolean;
  /** The new ETag of a created or updated item. */
  etag?: string | null;
  reason?: string;
  message?: string;
}

/** Carries out the changes one by one; a failed one is recorded and the rest still run. */
export async function executePublish(dav: Caldav, actions: readonly PublishAction[]): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  for (const action of actions) {
    if (action.kind !== 'create' && action.kind !== 'update' && action.kind !== 'delete') continue;
    try {
      if (action.kind === 'delete') await deleteItem(dav, action.href!, action.etag);
      const etag = action.kind === 'delete' ? undefined : await putItem(dav, action.href!, action.ics!, action.etag);
      results.push({ action, ok: true, ...(etag !== undefined ? { etag } : {}) });
    } catch (e) {
      const reason = (e as { reason?: string }).reason ?? 'error';
      results.push({ action, ok: false, reason, message: (e as Error).message });
    }
  }
  return results;
}
