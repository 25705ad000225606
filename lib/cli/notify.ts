// `ops notify --receipt R [--previous P] [--state FILE]`: one plain-text alert mail through the
// relay when a run has new failures or errors, when unchanged ones are due a reminder, or when
// one cleared. Exit 0 when mailed or nothing to mail, 2 when it could not (bad input, the relay).

import { parseArgs } from 'node:util';
import { loadBindings } from '../bindings/load.js';
import { readRegularFile, refusalText } from '../input-file.js';
import { formatBindingError, type Bindings } from '../bindings/types.js';
import { alertBody, alertSubject, hasNews, planAlert, type NotifyState } from '../notify/alert.js';
import { relayFrom, SendError, sendMail } from '../notify/send.js';
import { readReceiptFindings, type ReceiptFindings } from '../results/drift.js';
import { writeAtomically } from '../report/receipt.js';
import { inputErrorLine, useColour } from '../report/console.js';
import { NOTIFY_HELP, parsedFlags, UsageError } from './usage.js';
import { chooseBindings } from './find-bindings.js';

class NotifyInputError extends Error {}

export async function notify(argv: string[]): Promise<number> {
  const args = parseNotifyArgs(argv);
  if (!args) {
    process.stdout.write(NOTIFY_HELP);
    return 0;
  }
  try {
    return await run(args);
  } catch (e) {
    if (!(e instanceof NotifyInputError || e instanceof SendError)) throw e;
    process.stdout.write(`${inputErrorLine(e.message, useColour(process.stdout))}\n`);
    return 2;
  }
}

interface NotifyArgs {
  receipt: string;
  previous: string | null;
  state: string | null;
  bindings: string | undefined;
  dryRun: boolean;
}

async function run(args: NotifyArgs): Promise<number> {
  const { dir, chosenBy } = chooseBindings(args.bindings);
  if (chosenBy === 'bundled demo site' && !args.dryRun) {
    throw new UsageError(
      'ops notify needs your bindings (their relay: policy says where to send): pass --bindings DIR or run inside a folder with ops/bindings',
    );
  }
  const loaded = await loadBindings(dir);
  if (!loaded.ok) throw new NotifyInputError(loaded.errors.map(formatBindingError).join('\n'));
  const { relay, from, to } = addressing(loaded.bindings);

  const current = await receipt(args.receipt, '--receipt');
  const previous = args.previous === null ? null : await receipt(args.previous, '--previous');
  const state = args.state === null ? null : await readState(args.state);
  const cooldown = loaded.bindings.policy.notify.cooldownHours;
  const plan = planAlert(current, previous, state, new Date(), cooldown);
  const counts = `${plan.fresh.length} new, ${plan.reminders.length} still failing, ${plan.cleared.length} cleared, ${plan.quiet} already mailed`;
  if (!hasNews(plan)) {
    if (args.state !== null && !args.dryRun)
      await writeAtomically(args.state, `${JSON.stringify(plan.next, null, 2)}\n`);
    process.stdout.write(`notify: nothing to mail (${counts})\n`);
    return 0;
  }
  const mail = {
    from,
    to,
    subject: alertSubject(plan),
    text: alertBody(
      plan,
      {
        runKey: current.runKey,
        outcome: current.outcome ?? 'unknown',
        source: current.sourceLine,
        receipt: args.receipt,
      },
      cooldown,
    ),
  };
  if (args.dryRun) {
    process.stdout.write(`From: ${mail.from}\nTo: ${mail.to.join(', ')}\nSubject: ${mail.subject}\n\n${mail.text}`);
    return 0;
  }
  const sent = await sendMail(await relayFrom(relay), mail);
  // Only a mail that went out changes what counts as already mailed.
  if (args.state !== null) await writeAtomically(args.state, `${JSON.stringify(plan.next, null, 2)}\n`);
  process.stdout.write(
    `notify: mailed ${sent.accepted.join(', ') || to.join(', ')} through ${relay.host}:${relay.port} (${counts}): ${mail.subject}\n`,
  );
  return 0;
}

/** The relay, sender and recipients from the policy: recipients are the allowed ones that are addresses. */
function addressing(bindings: Bindings) {
  const relay = bindings.policy.relay;
  if (!relay)
    throw new NotifyInputError(
      'drift.gates.yaml has no relay: section: ops notify sends through the relay it names, to its allowed_recipients',
    );
  const to = relay.allowedRecipients.filter((r) => !r.startsWith('@'));
  if (!to.length)
    throw new NotifyInputError('relay.allowed_recipients names only whole domains: add the address alerts go to');
  const from = bindings.policy.notify.from ?? (relay.senderDomain ? `spine-gates@${relay.senderDomain}` : null);
  if (!from)
    throw new NotifyInputError(
      'no sender for alert mail: set notify.from (or relay.sender_domain) in drift.gates.yaml',
    );
  return { relay, from, to };
}

async function receipt(file: string, flag: string): Promise<ReceiptFindings> {
  const read = await readReceiptFindings(file, `${flag} ${file}`);
  if (!read.ok) throw new NotifyInputError(read.error);
  return read.receipt;
}

/** An absent state file is an empty one (the first run); an unreadable or malformed one is bad input. */
async function readState(file: string): Promise<NotifyState> {
  const read = await readRegularFile(file, 64 * 2 ** 20);
  if (!read.ok && read.absent) return { version: 1, alerted: {} };
  if (!read.ok) throw new NotifyInputError(`--state ${file}: ${refusalText(read)}`);
  try {
    const state = JSON.parse(read.bytes.toString('utf8')) as NotifyState;
    if (state?.version === 1 && typeof state.alerted === 'object' && state.alerted !== null) return state;
  } catch {
    // reported below
  }
  throw new NotifyInputError(`--state ${file}: not an ops notify state file (expected {"version": 1, "alerted": {…}})`);
}

function parseNotifyArgs(argv: string[]): NotifyArgs | null {
  const parsed = parsedFlags(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: false,
        strict: true,
        options: {
          receipt: { type: 'string' },
          previous: { type: 'string' },
          state: { type: 'string' },
          bindings: { type: 'string' },
          'dry-run': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    '--receipt --previous --state --bindings --dry-run',
  );
  const v = parsed.values;
  if (v.help) return null;
  if (v.receipt === undefined)
    throw new UsageError('ops notify needs --receipt FILE (the receipt.json of the run to report)');
  return {
    receipt: v.receipt,
    previous: v.previous ?? null,
    state: v.state ?? null,
    bindings: v.bindings,
    dryRun: Boolean(v['dry-run']),
  };
}
