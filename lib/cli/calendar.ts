// `ops calendar ics` (the backup calendar as one deterministic .ics) and `ops calendar publish`
// (make the Radicale collection hold every backup.calendar.yaml event; dry run unless --execute).

import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadBindings } from '../bindings/load.js';
import { DEFAULT_UID_SCHEME, formatBindingError, type BackupCalendar, type Bindings } from '../bindings/types.js';
import { planCalendar, type CalendarPlan } from '../calendar/binding.js';
import { CalendarError, listItems, makeCalendar } from '../calendar/caldav.js';
import { calendarIcs } from '../calendar/ics.js';
import { calendarLocation, type CalendarLocation } from '../calendar/location.js';
import { executePublish, planPublish, type ActionResult, type PublishAction } from '../calendar/publish.js';
import { parseItems } from '../calendar/vevent.js';
import { openCaldav } from '../collect/calendar.js';
import { openConnections } from '../collect/collect.js';
import { defaultResolve } from '../collect/connect.js';
import { CollectSetupError, HostError, redact } from '../collect/errors.js';
import type { CalendarEventFact } from '../model.js';
import { TOOL } from '../package-root.js';
import { inputErrorLine, useColour } from '../report/console.js';
import { oneLine } from '../escape.js';
import { abandonReceipt, completeReceipt, startReceipt, writeAtomically } from '../report/receipt.js';
import { idOfUid } from '../rules/radicale-calendar.js';
import { COLLECT_FLAG_LIST, COLLECT_FLAGS, collectOptionsFrom } from './collect-flags.js';
import { CALENDAR_HELP, parsedFlags, UsageError } from './usage.js';
import { chooseBindings, LIVE_NEEDS_BINDINGS } from './find-bindings.js';

export async function calendar(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(CALENDAR_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'ics') return ics(rest);
  if (sub === 'publish') return publish(rest);
  throw new UsageError(`unknown calendar command "${sub}"; commands: ics, publish`);
}

/** parseArgs' result, or its complaint as a usage error naming the options. */
const COMMON = { bindings: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

/** The bindings and their calendar plan; null (after printing why) when they do not load. */
async function load(dir: string): Promise<{ bindings: Bindings; calendar: BackupCalendar; plan: CalendarPlan } | null> {
  const loaded = await loadBindings(dir);
  if (!loaded.ok) {
    process.stderr.write(
      loaded.errors.map((e) => `${inputErrorLine(formatBindingError(e), useColour(process.stderr))}\n`).join(''),
    );
    return null;
  }
  const { calendar } = loaded.bindings;
  if (!calendar) {
    process.stderr.write(
      `input error ${path.join(dir, 'backup.calendar.yaml')}: expected the file to exist (it is the calendar to publish), found no such file\n`,
    );
    return null;
  }
  return { bindings: loaded.bindings, calendar, plan: planCalendar(loaded.bindings, calendar) };
}

/** Every binding problem, on stderr; true when there was any. */
function reportProblems(plan: CalendarPlan): boolean {
  const lines = [
    ...plan.problems.map((p) => `backup.calendar.yaml: ${p.reason}: ${p.text}`),
    ...plan.events.flatMap((e) =>
      e.problems.map(
        (p) =>
          `${e.event.source.file}:${e.event.source.line}: event ${e.event.id} not published: ${p.reason}: ${p.text}`,
      ),
    ),
  ];
  process.stderr.write(lines.map((l) => `ops calendar: ${l}\n`).join(''));
  return lines.length > 0;
}

async function ics(argv: string[]): Promise<number> {
  const v = parsedFlags(
    () => parseArgs({ args: argv, strict: true, options: { ...COMMON, out: { type: 'string' } } }).values,
    '--bindings --out',
  );
  if (v.help) {
    process.stdout.write(CALENDAR_HELP);
    return 0;
  }
  const loaded = await load(chooseBindings(v.bindings).dir);
  if (!loaded) return 2;
  const problems = reportProblems(loaded.plan);
  if (!loaded.plan.tzid) return 2;
  const text = calendarIcs(loaded.plan, loaded.calendar.calendarName);
  if (v.out !== undefined) await writeAtomically(path.resolve(v.out), text);
  else process.stdout.write(text);
  return problems ? 2 : 0;
}

async function publish(argv: string[]): Promise<number> {
  const v = parsedFlags(
    () =>
      parseArgs({
        args: argv,
        strict: true,
        options: { ...COMMON, execute: { type: 'boolean' }, reports: { type: 'string' }, ...COLLECT_FLAGS },
      }).values,
    `--bindings --execute --reports ${COLLECT_FLAG_LIST}`,
  );
  if (v.help) {
    process.stdout.write(CALENDAR_HELP);
    return 0;
  }
  const { dir, chosenBy } = chooseBindings(v.bindings);
  if (chosenBy === 'bundled demo site') throw new UsageError(LIVE_NEEDS_BINDINGS);
  const loaded = await load(dir);
  if (!loaded) return 2;
  const { bindings, calendar, plan } = loaded;
  const at = calendarLocation(bindings);
  if (!at)
    throw new UsageError(
      'nothing says where the calendar is: set drift.gates.yaml calendar.url, or base_url and calendar_collection in calendar.home.contract.yaml',
    );
  const execute = Boolean(v.execute);
  const problems = reportProblems(plan);
  if (!plan.tzid) return 2;
  const options = collectOptionsFrom(v);
  process.stdout.write(
    `spine-gates ${TOOL.version}: calendar ${at.url}${at.via ? ` through ${at.via}` : ''} (${execute ? 'executing' : 'dry run'}), bindings ${dir}\n`,
  );

  const startedAt = new Date().toISOString();
  let password: string | undefined;
  let credentialsFrom: string | undefined;
  let results: ActionResult[] = [];
  let actions: PublishAction[] = [];
  let failure: { reason: string; message: string } | null = null;
  let createdCollection = false;
  let conns: Awaited<ReturnType<typeof openConnections>> | null = null;
  try {
    conns = at.via ? await openConnections(bindings, [at.via], options) : null;
  } catch (e) {
    if (!(e instanceof CollectSetupError)) throw e;
    process.stdout.write(`ERROR: ${oneLine(e.message)}\n`);
    return 2;
  }
  try {
    const connection = conns ? await conns.connections.get(conns.endpoints.get(at.via!)!) : null;
    const dav = await openCaldav(bindings, at, {
      connection,
      connectTimeoutMs: options.connectTimeoutMs,
      requestTimeoutMs: options.commandTimeoutMs,
      resolve: options.resolve ?? defaultResolve,
    });
    password = dav.auth?.password;
    credentialsFrom = dav.authSource;
    let remote: CalendarEventFact[];
    try {
      remote = parseItems(await listItems(dav)).events;
    } catch (e) {
      if (!(e instanceof CalendarError && e.reason === 'collection_missing')) throw e;
      process.stdout.write(`${execute ? 'create' : 'would create'} the collection ${at.url}\n`);
      if (execute) {
        await makeCalendar(dav, calendar.calendarName ?? 'Backups');
        createdCollection = true;
      }
      remote = [];
    }
    actions = planPublish(plan, remote, dav, (uid) =>
      idOfUid(bindings.policy.calendar?.uidScheme ?? DEFAULT_UID_SCHEME, uid),
    );
    if (execute) results = await executePublish(dav, actions);
  } catch (e) {
    if (!(e instanceof CalendarError || e instanceof HostError)) throw e;
    failure = { reason: e.reason, message: redact(e.message, password) };
  } finally {
    conns?.connections.closeAll();
  }

  const failed = results.filter((r) => !r.ok);
  process.stdout.write(actionLines(actions, execute, results, password).join(''));
  if (failure) process.stdout.write(`ERROR: ${failure.reason}: ${oneLine(failure.message)}\n`);
  const counts = countActions(actions);
  const summary = `${execute ? '' : 'dry run, nothing changed: '}${counts}${failed.length ? `, ${failed.length} failed` : ''}`;
  let receipt: string | null = null;
  if (execute) {
    const recorded = actions.map(({ ics: _ics, ...a }, i) => {
      const r = results.find((x) => x.action === actions[i]);
      return {
        ...a,
        result: r
          ? {
              ok: r.ok,
              etag: r.etag ?? null,
              reason: r.reason ?? null,
              message: r.message ? redact(r.message, password) : null,
            }
          : null,
      };
    });
    receipt = await writePublishReceipt(v.reports, {
      tool: TOOL,
      startedAt,
      finishedAt: new Date().toISOString(),
      bindings: dir,
      bindingsDigests: bindings.digests,
      calendar: at,
      credentialsFrom: credentialsFrom ?? null,
      createdCollection,
      failure,
      summary,
      actions: recorded,
    });
  }
  const bad = failure !== null || failed.length > 0 || problems;
  process.stdout.write(
    `${bad ? 'ERROR' : 'OK'}: ${summary}${execute ? '' : '; run with --execute to apply'}${receipt ? `; receipt ${receipt}` : ''}\n`,
  );
  return bad ? 2 : 0;
}

/** One line per action; hrefs, UIDs and error texts come from the server, so their controls are escaped. */
export function actionLines(
  actions: PublishAction[],
  execute: boolean,
  results: ActionResult[],
  password: string | undefined,
): string[] {
  const verb = {
    create: 'would create',
    update: 'would update',
    delete: 'would delete',
    leave: 'leave',
    skip: 'skip',
  } as const;
  return actions.map((a) => {
    const r = results.find((x) => x.action === a);
    const done = !r
      ? execute && a.kind !== 'leave' && a.kind !== 'skip'
        ? `not ${a.kind}d`
        : verb[a.kind]
      : r.ok
        ? `${a.kind}d`
        : `FAILED to ${a.kind}`;
    const error = r && !r.ok ? ` (${r.reason}: ${redact(r.message ?? '', password)})` : '';
    return `${oneLine(`${done.padEnd(12)} ${a.id}${a.href ? ` ${a.href}` : ''}: ${a.why}${error}`)}\n`;
  });
}

function countActions(actions: PublishAction[]): string {
  const n = (k: PublishAction['kind']) => actions.filter((a) => a.kind === k).length;
  return `${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('leave')} left as they are, ${n('skip')} not publishable`;
}

/** calendar-publish.json and .md in a new receipt folder: what was changed, never a credential. */
async function writePublishReceipt(
  reports: string | undefined,
  record: Record<string, unknown> & { summary: string; calendar: CalendarLocation },
): Promise<string> {
  const folder = await startReceipt(reports ?? 'reports');
  const { runKey } = folder;
  const full = { runKey, kind: 'calendar-publish', ...record };
  const actions = (
    record['actions'] as Array<{
      kind: string;
      id: string;
      href: string | null;
      result: { ok: boolean; reason?: string } | null;
    }>
  )
    .filter((a) => a.result)
    .map(
      (a) => `- ${a.result!.ok ? a.kind : `**failed** ${a.kind} (${a.result!.reason})`} \`${a.id}\` ${a.href ?? ''}`,
    );
  try {
    return await completeReceipt(folder, {
      'calendar-publish.md': [
        `# spine-gates calendar publish ${runKey}`,
        '',
        `- calendar: ${record.calendar.url}${record.calendar.via ? ` through ${record.calendar.via}` : ''}`,
        `- ${record.summary}`,
        '',
        ...(actions.length ? actions : ['Nothing was changed.']),
        '',
      ].join('\n'),
      'calendar-publish.json': `${JSON.stringify(full, null, 2)}\n`,
    });
  } finally {
    await abandonReceipt(folder);
  }
}
