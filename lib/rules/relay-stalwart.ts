// relay-stalwart: Proxmox mail leaves through the estate's relay (Stalwart) over SMTPS, or not at
// all. Per PVE host in scope: postfix relays to [relay]:465 with implicit TLS, notifications.cfg
// sends mail only that way and only to allowed recipients, vzdump jobs keep mail settings that work
// (`mailnotification never` stopped pvescheduler on PVE 8.4), nothing rots in the queue, and a host
// whose policy is `disabled` sends nothing at all.
// Pure function of (bindings, host state, policy) → findings. Check ids are a contract.

import type { RelayPolicy } from '../bindings/types.js';
import type { Evidence, Finding, MailState, NotificationEndpoint, PveState, Severity, VzdumpJob } from '../model.js';
import { isYes, MANDATORY_TLS_LEVELS, mapFile, relayTargets, smtpTlsLevel } from '../postfix/postconf.js';
import { arrivalEpoch } from '../postfix/postqueue.js';
import { splitList } from '../pve/lists.js';
import { routedTargets, smtpEffective } from '../pve/notifications-cfg.js';
import { MAIL_COMMANDS, PVE_COMMANDS } from '../snapshot/probe.js';
import { findingsFor, hostOf, NO_HOST_STATE, pveStateOf, skipEach, type Rule, type VerifyInput } from './input.js';
import { instantMs } from '../time/instants.js';
import { noPveHostsReason, pveHostIds } from '../bindings/pve-hosts.js';

export const RELAY_CHECKS = [
  'relay.postfix',
  'relay.notifications',
  'relay.job-mail',
  'relay.queue',
  'relay.disabled',
] as const;
export const NO_RELAY_POLICY = 'no relay policy';

const { make } = findingsFor('relay-stalwart');

type Mode = 'relay' | 'disabled';
/** Everything a check knows about one host in scope. */
interface HostMail {
  hostId: string;
  mode: Mode;
  mail: MailState;
  pve: PveState | null;
  timezone: string | null;
  policy: RelayPolicy;
  capturedAt: string;
}
interface Base {
  check: string;
  host: string;
  severity: Severity;
}
/** One thing wrong, with its reason code. */
interface Problem {
  reason: string;
  text: string;
}

export const evaluateRelay: Rule = (input) => {
  const policy = input.bindings.policy.relay;
  if (!policy)
    return skipEach('relay-stalwart', RELAY_CHECKS, NO_RELAY_POLICY, 'drift.gates.yaml has no relay: section');
  return [
    ...perHost(input, policy, 'relay.postfix', { only: 'relay', severity: 'high' }, checkPostfix),
    ...perHost(input, policy, 'relay.notifications', { only: 'relay', severity: 'high' }, checkNotifications),
    ...perHost(input, policy, 'relay.job-mail', { needsPve: true, severity: 'high' }, checkJobMail),
    ...perHost(input, policy, 'relay.queue', { severity: 'medium' }, checkQueue),
    ...perHost(input, policy, 'relay.disabled', { only: 'disabled', needsPve: true, severity: 'high' }, checkDisabled),
  ];
};

/** Hosts in scope: the policy's list, else every PVE host (and any host `mail` names, so a typo is reported). */
function relayHosts(input: VerifyInput, policy: RelayPolicy): string[] {
  return policy.hosts
    ? [...policy.hosts]
    : [...new Set([...pveHostIds(input.bindings), ...Object.keys(policy.mail)])].sort();
}

/**
 * Runs `each` for every host in scope whose mail facts (and PVE facts, when needed) are readable;
 * otherwise one finding for the host: skip for the other mail mode or without host state, error
 * with the reason when it cannot be judged.
 */
function perHost(
  input: VerifyInput,
  policy: RelayPolicy,
  check: string,
  o: { only?: Mode; needsPve?: boolean; severity: Severity },
  each: (h: HostMail, base: Base) => Finding[],
): Finding[] {
  const unknown = noPveHostsReason(input.bindings);
  if (unknown) return [make({ check, subject: 'run', host: null, severity: o.severity, outcome: 'skip', ...unknown })];
  const pveHosts = new Set(pveHostIds(input.bindings));
  return relayHosts(input, policy).flatMap((hostId) => {
    const base = { check, host: hostId, severity: o.severity };
    const one = (outcome: 'skip' | 'error', reason: string, message: string) => [
      make({ ...base, subject: hostId, outcome, reason, message }),
    ];
    const mode = policy.mail[hostId] ?? 'relay';
    if (o.only && mode !== o.only) {
      return mode === 'disabled'
        ? one('skip', 'mail_disabled', `${hostId}: mail is disabled by policy (relay.disabled judges it)`)
        : one(
            'skip',
            'mail_relayed',
            `${hostId}: mail is relayed by policy (relay.disabled judges hosts whose mail is disabled)`,
          );
    }
    if (!pveHosts.has(hostId)) {
      return one(
        'error',
        'not_a_pve_host',
        `${hostId} is in relay scope but is not a PVE host (pve_hosts, or a proxmox_host in vm.lifecycle.yaml), so no mail state is collected from it`,
      );
    }
    if (!input.state) return one('skip', NO_HOST_STATE, `${hostId}: ${NO_HOST_STATE}`);
    const host = hostOf(input.state, hostId);
    if ('problem' in host) return one('error', host.problem.reason, `${hostId}: cannot judge, ${host.problem.message}`);
    const mail = host.value.mail ?? {
      ok: false,
      problem: {
        reason: 'not_collected',
        message: `no mail state was collected from ${hostId} (a snapshot taken before the mail probe commands)`,
      },
    };
    if (!mail.ok) return one('error', mail.problem.reason, `${hostId}: cannot judge mail, ${mail.problem.message}`);
    let pve: PveState | null = null;
    if (o.needsPve) {
      const p = pveStateOf(input.state, hostId);
      if ('problem' in p) return one('error', p.problem.reason, `${hostId}: cannot judge, ${p.problem.message}`);
      pve = p.value;
    }
    return each(
      {
        hostId,
        mode,
        mail: mail.value,
        pve,
        timezone: host.value.timezone,
        policy,
        capturedAt: input.state.capturedAt,
      },
      base,
    );
  });
}

const PROBES = [...PVE_COMMANDS, ...MAIL_COMMANDS];
const probeEvidence = (hostId: string, commandId: string, detail?: string): Evidence => ({
  host: hostId,
  commandId,
  command: PROBES.find((c) => c.id === commandId)!.command,
  ...(detail ? { detail } : {}),
});

/** `On host:` and one line per step, for the console's indented remediation block. */
const steps = (hostId: string, lines: string[]) => [`On ${hostId}:`, ...lines].join('\n');

// --- addresses ---------------------------------------------------------------------------------

/** An address matches an allowed address exactly, or an allowed `@domain` by its whole domain. */
function recipientAllowed(address: string, policy: RelayPolicy): boolean {
  const a = address.trim().toLowerCase();
  return policy.allowedRecipients.some((allowed) => {
    const x = allowed.toLowerCase();
    return x.startsWith('@') ? a.endsWith(x) && a.indexOf('@') === a.length - x.length : a === x;
  });
}

/** What to put where a recipient must go: the first allowed address, else a mailbox of the first allowed domain. */
const suggestedRecipient = (policy: RelayPolicy) =>
  policy.allowedRecipients.find((r) => !r.startsWith('@')) ?? `<mailbox>${policy.allowedRecipients[0]}`;

const suggestedSender = (h: HostMail) => `${h.hostId}@${h.policy.senderDomain}`;

/**
 * Sender of mail PVE hands to postfix without a from-address: datacenter.cfg `email_from`, else
 * `root`, which postfix qualifies with `myorigin` (by default `$myhostname`).
 */
function defaultSender(mail: MailState): string {
  if (mail.emailFrom) return mail.emailFrom;
  const origin = mail.postfix?.['myorigin'] ?? mail.postfix?.['myhostname'];
  return origin && !/[$/]/.test(origin) ? `root@${origin}` : 'root (qualified by postfix myorigin)';
}

function senderProblem(sender: string, policy: RelayPolicy): Problem[] {
  if (!policy.senderDomain || sender.toLowerCase().endsWith(`@${policy.senderDomain}`)) return [];
  return [{ reason: 'sender_not_allowed', text: `sender ${sender} is not @${policy.senderDomain}` }];
}

// --- relay.postfix -----------------------------------------------------------------------------

/** Why postfix does not relay through [relay]:port with implicit TLS; empty when it does. */
function postfixProblems(mail: MailState, policy: RelayPolicy): Problem[] {
  const p = mail.postfix;
  if (!p)
    return [
      { reason: 'no_postfix', text: 'postfix is not installed, so sendmail endpoints and job mail cannot leave' },
    ];
  const problems: Problem[] = [];
  const targets = relayTargets(p['relayhost']);
  const [target] = targets;
  if (!target) {
    problems.push({
      reason: 'no_relayhost',
      text: "relayhost is empty: postfix delivers straight to each recipient's MX on port 25",
    });
  } else if (targets.length > 1 || target.host !== policy.host || target.port !== policy.port || target.mx) {
    const mx = target.mx ? ' (without brackets postfix looks up MX records)' : '';
    problems.push({
      reason: 'wrong_relayhost',
      text: `relayhost is ${p['relayhost']}, not [${policy.host}]:${policy.port}${mx}`,
    });
  }
  if (!isYes(p['smtp_tls_wrappermode'])) {
    problems.push({
      reason: 'no_wrappermode',
      text: `smtp_tls_wrappermode is ${p['smtp_tls_wrappermode'] ?? 'not set (no)'}: no implicit TLS`,
    });
  }
  const level = smtpTlsLevel(p);
  if (!MANDATORY_TLS_LEVELS.includes(level))
    problems.push({ reason: 'tls_too_weak', text: `smtp_tls_security_level is ${level}, weaker than encrypt` });
  if (isYes(p['smtp_sasl_auth_enable'])) {
    const maps = splitList(p['smtp_sasl_password_maps'] ?? '');
    if (!maps.length)
      problems.push({
        reason: 'sasl_no_map',
        text: 'smtp_sasl_auth_enable = yes without smtp_sasl_password_maps: nothing to log in with',
      });
    for (const map of maps) {
      const file = mapFile(map);
      if (file === null)
        problems.push({
          reason: 'sasl_map_missing',
          text: `SASL map ${map} is not a file under /etc/postfix, where the probe looks`,
        });
      else if (!mail.postfixFiles.includes(file))
        problems.push({
          reason: 'sasl_map_missing',
          text: `SASL map ${map} was never built: /etc/postfix/${file} does not exist`,
        });
    }
  }
  return problems;
}

const SASL_MAP = 'hash:/etc/postfix/sasl_passwd';

/** The commands that make postfix relay as the policy says: only the settings that are wrong, SASL with a new relay. */
function postfixFix(problems: Problem[], mail: MailState, policy: RelayPolicy): string[] {
  const has = (...reasons: string[]) => problems.some((p) => reasons.includes(p.reason));
  const relay = `[${policy.host}]:${policy.port}`;
  const relayChanges = has('no_postfix', 'no_relayhost', 'wrong_relayhost');
  const saslOn = isYes(mail.postfix?.['smtp_sasl_auth_enable']);
  const newRelay = relayChanges && !saslOn;
  const settings = [
    ...(relayChanges ? [`relayhost = ${relay}`] : []),
    ...(has('no_postfix', 'no_wrappermode') ? ['smtp_tls_wrappermode = yes'] : []),
    ...(has('no_postfix', 'tls_too_weak') ? ['smtp_tls_security_level = encrypt'] : []),
    ...(newRelay ? ['smtp_sasl_auth_enable = yes', 'smtp_sasl_security_options = noanonymous'] : []),
    ...(newRelay || has('sasl_no_map') ? [`smtp_sasl_password_maps = ${SASL_MAP}`] : []),
  ];
  // The password map's key must name the relay exactly as relayhost does: a changed relayhost needs a new line too.
  const existing = splitList(mail.postfix?.['smtp_sasl_password_maps'] ?? '');
  const maps =
    newRelay || has('sasl_no_map') ? [SASL_MAP] : has('sasl_map_missing') || (relayChanges && saslOn) ? existing : [];
  return [
    ...(has('no_postfix')
      ? ['apt install postfix libsasl2-modules   (as a "Satellite system" relaying to the relay)']
      : []),
    ...settings.map((s) => `postconf -e '${s}'`),
    ...(maps.length
      ? [
          `make ${maps[0]!.replace(/^([a-z]+:)+/, '')} (mode 600) hold the line \`${relay} <user>:<password>\`, then: ${maps.map((m) => `postmap ${m}`).join('; ')}`,
        ]
      : []),
    'systemctl reload postfix',
  ];
}

function checkPostfix(h: HostMail, base: Base): Finding[] {
  const p = h.mail.postfix ?? {};
  const shown = [
    'relayhost',
    'smtp_tls_wrappermode',
    'smtp_tls_security_level',
    'smtp_sasl_auth_enable',
    'smtp_sasl_password_maps',
  ]
    .filter((k) => k in p)
    .map((k) => `${k} = ${p[k]}`)
    .join('; ');
  const want = `relayhost = [${h.policy.host}]:${h.policy.port}, smtp_tls_wrappermode = yes, smtp_tls_security_level = encrypt`;
  const facts = {
    ...base,
    subject: 'postfix',
    expected: want,
    actual: h.mail.postfix ? shown || 'nothing relevant set' : 'postfix not installed',
    evidence: [probeEvidence(h.hostId, 'postconf', shown || undefined), probeEvidence(h.hostId, 'postfix-files')],
  };
  const problems = postfixProblems(h.mail, h.policy);
  if (!problems.length) {
    return [
      make({
        ...facts,
        outcome: 'pass',
        message: `${h.hostId}: postfix relays through [${h.policy.host}]:${h.policy.port} with implicit TLS (${smtpTlsLevel(p)})`,
      }),
    ];
  }
  return [
    make({
      ...facts,
      outcome: 'fail',
      reason: problems[0]!.reason,
      message: `${h.hostId}: postfix does not relay through [${h.policy.host}]:${h.policy.port} with implicit TLS: ${problems.map((x) => x.text).join('; ')}`,
      remediation: steps(h.hostId, postfixFix(problems, h.mail, h.policy)),
    }),
  ];
}

// --- relay.notifications -----------------------------------------------------------------------

const isMailEndpoint = (e: NotificationEndpoint) => e.type === 'sendmail' || e.type === 'smtp';

/** A notifications.cfg section as it should read: `changes` replace keys (null drops one), new keys go last. */
function stanza(
  type: string,
  name: string,
  options: Record<string, string>,
  changes: Record<string, string[] | null> = {},
): string {
  const lines = [`${type}: ${name}`];
  const keys = [...new Set([...Object.keys(options), ...Object.keys(changes)])];
  for (const key of keys) {
    const values = key in changes ? changes[key] : options[key]!.split('\n');
    for (const value of values ?? []) lines.push(`\t${key} ${value}`.trimEnd());
  }
  return lines.join('\n');
}

/** Where an endpoint's mail goes: its `mailto`, and the user.cfg email of each `mailto-user` (users without one get nothing). */
const endpointRecipients = (e: NotificationEndpoint, mail: MailState): string[] => [
  ...e.mailto,
  ...e.mailtoUser.flatMap((u) => mail.userEmails[u] ?? []),
];

function checkNotifications(h: HostMail, base: Base): Finding[] {
  const warnings = (h.mail.configWarnings ?? []).map((w) =>
    make({
      ...base,
      subject: `notifications.cfg:${w.line}`,
      outcome: 'fail',
      reason: 'config_warning',
      message: `/etc/pve/notifications.cfg line ${w.line}: ${w.message} (PVE logs this and reads the file without it)`,
      evidence: [probeEvidence(h.hostId, 'notifications-cfg', `line ${w.line}`)],
      remediation: `On ${h.hostId}: fix or delete line ${w.line} of /etc/pve/notifications.cfg, so the file says what PVE does.`,
    }),
  );
  return [...endpointFindings(h, base), ...warnings];
}

function endpointFindings(h: HostMail, base: Base): Finding[] {
  const routed = routedTargets(h.mail.matchers);
  const endpoints = h.mail.endpoints.filter(isMailEndpoint);
  if (!endpoints.length) {
    return [
      make({
        ...base,
        subject: 'notifications.cfg',
        outcome: 'pass',
        message: `${h.hostId}: no sendmail or smtp endpoint, so PVE sends no notification mail`,
        evidence: [probeEvidence(h.hostId, 'notifications-cfg')],
      }),
    ];
  }
  return endpoints.map((e) => {
    const where = e.line === null ? 'built-in, not in the file' : `line ${e.line}`;
    const facts = {
      ...base,
      subject: `${e.type}/${e.name}`,
      evidence: [probeEvidence(h.hostId, 'notifications-cfg', `${e.type}: ${e.name} (${where})`)],
    };
    if (e.disabled)
      return make({
        ...facts,
        outcome: 'skip',
        reason: 'endpoint_disabled',
        message: `${e.type}/${e.name} is disabled`,
      });
    if (!routed.has(e.name))
      return make({
        ...facts,
        outcome: 'skip',
        reason: 'not_routed',
        message: `${e.type}/${e.name}: no enabled matcher sends to it`,
      });
    const { problems, fix } = endpointProblems(h, e);
    if (!problems.length)
      return make({
        ...facts,
        outcome: 'pass',
        message: `${e.type}/${e.name} on ${h.hostId} mails allowed recipients through ${h.policy.host}:${h.policy.port} with implicit TLS`,
      });
    return make({
      ...facts,
      outcome: 'fail',
      reason: problems[0]!.reason,
      message: `${e.type}/${e.name} on ${h.hostId} (${where}): ${problems.map((x) => x.text).join('; ')}`,
      remediation: steps(h.hostId, fix),
    });
  });
}

function endpointProblems(h: HostMail, e: NotificationEndpoint): { problems: Problem[]; fix: string[] } {
  const { policy } = h;
  const problems: Problem[] = [];
  const fix: string[] = [];
  const changes: Record<string, string[] | null> = {};
  if (e.type === 'smtp') {
    const { mode, port } = smtpEffective(e);
    if ((e.server ?? '').toLowerCase() !== policy.host) {
      problems.push({
        reason: 'smtp_wrong_server',
        text: `server is ${e.server ?? 'not set'}, not the relay ${policy.host}`,
      });
      changes['server'] = [policy.host];
    }
    if (port !== policy.port) {
      problems.push({
        reason: 'smtp_wrong_port',
        text: `port is ${port}${e.port === null ? ` (the ${mode} default)` : ''}, not ${policy.port}`,
      });
      changes['port'] = [String(policy.port)];
    }
    if (mode !== 'tls') {
      problems.push({ reason: 'smtp_not_implicit_tls', text: `mode is ${mode}, not tls (implicit TLS)` });
      changes['mode'] = ['tls'];
    }
  } else {
    const relay = postfixProblems(h.mail, policy);
    if (relay.length) {
      problems.push({
        reason: 'sendmail_unrelayed',
        text: `it hands mail to postfix, which does not relay: ${relay.map((x) => x.text).join('; ')}`,
      });
      fix.push('make postfix relay (the relay.postfix fix):', ...postfixFix(relay, h.mail, policy));
    }
  }
  const bad = endpointRecipients(e, h.mail).filter((a) => !recipientAllowed(a, policy));
  if (bad.length) {
    problems.push({
      reason: 'recipient_not_allowed',
      text: `it mails ${bad.join(', ')}, which relay.allowed_recipients does not allow`,
    });
    const keep = e.mailto.filter((a) => recipientAllowed(a, policy));
    if (e.mailto.length > keep.length) changes['mailto'] = keep.length ? keep : [suggestedRecipient(policy)];
    for (const user of e.mailtoUser.filter((u) => bad.includes(h.mail.userEmails[u] ?? ''))) {
      fix.push(`pveum user modify ${user} --email ${suggestedRecipient(policy)}`);
    }
  }
  const sender = e.fromAddress ?? (e.type === 'sendmail' ? defaultSender(h.mail) : null);
  const wrongSender = sender === null ? [] : senderProblem(sender, policy);
  problems.push(...wrongSender);
  if (wrongSender.length && e.fromAddress) changes['from-address'] = [suggestedSender(h)];
  else if (wrongSender.length) fix.push(`pvesh set /cluster/options --email_from ${suggestedSender(h)}`);
  if (Object.keys(changes).length) {
    fix.push(`in /etc/pve/notifications.cfg, make the section read:`, stanza(e.type, e.name, e.options, changes));
  }
  return { problems, fix };
}

// --- relay.job-mail ----------------------------------------------------------------------------

const DEAD_KEYS = ['notification-policy', 'notification-target'];

/** Whether a job mails its `mailto` itself (legacy-sendmail, or auto with a mailto) rather than through notifications.cfg. */
const mailsItself = (job: VzdumpJob) => {
  const mode = job.options['notification-mode'] ?? 'auto';
  return mode === 'legacy-sendmail' || (mode === 'auto' && splitList(job.options['mailto'] ?? '').length > 0);
};

function checkJobMail(h: HostMail, base: Base): Finding[] {
  const jobs = h.pve!.jobs;
  if (!jobs.length)
    return [
      make({ ...base, subject: h.hostId, outcome: 'skip', reason: 'no_jobs', message: `${h.hostId}: no vzdump job` }),
    ];
  return jobs.map((job) => {
    const o = job.options;
    const setting = o['mailnotification'] ?? 'always';
    const facts = {
      ...base,
      subject: job.id,
      expected: 'mailnotification always or failure; allowed mailto; no notification-policy/-target',
      actual:
        ['mailnotification', 'mailto', 'notification-mode', ...DEAD_KEYS]
          .filter((k) => k in o)
          .map((k) => `${k} ${o[k]}`)
          .join('; ') || 'no mail keys',
      evidence: [probeEvidence(h.hostId, 'jobs-cfg', `vzdump: ${job.id} (line ${job.line})`)],
    };
    const problems: Problem[] = [];
    const args: string[] = [];
    if (setting !== 'always' && setting !== 'failure') {
      problems.push(
        setting === 'never'
          ? {
              reason: 'mailnotification_never',
              text: '`mailnotification never` stopped pvescheduler on PVE 8.4, and every backup with it',
            }
          : { reason: 'bad_mailnotification', text: `mailnotification is ${setting}, not always or failure` },
      );
      args.push('--mailnotification failure');
    }
    const dead = DEAD_KEYS.filter((k) => k in o);
    if (dead.length) {
      problems.push({
        reason: 'dead_notification_keys',
        text: `${dead.join(' and ')}: left over from PVE 8.1, no longer read`,
      });
      args.push(`--delete ${dead.join(',')}`);
    }
    const extra: string[] = [];
    if (h.mode === 'relay') {
      const mailto = splitList(o['mailto'] ?? '');
      const bad = mailto.filter((m) => !recipientAllowed(h.mail.userEmails[m] ?? m, h.policy));
      if (bad.length) {
        problems.push({
          reason: 'recipient_not_allowed',
          text: `mailto ${bad.join(', ')} is not an allowed recipient`,
        });
        const keep = mailto.filter((m) => !bad.includes(m));
        args.push(`--mailto ${(keep.length ? keep : [suggestedRecipient(h.policy)]).join(',')}`);
      }
      const wrongSender = mailsItself(job) ? senderProblem(defaultSender(h.mail), h.policy) : [];
      problems.push(...wrongSender);
      if (wrongSender.length) extra.push(`pvesh set /cluster/options --email_from ${suggestedSender(h)}`);
    }
    if (!problems.length)
      return make({
        ...facts,
        outcome: 'pass',
        message: `${job.id} on ${h.hostId}: mailnotification ${setting}${o['mailnotification'] ? '' : ' (the default)'}${o['mailto'] ? `, mailto ${o['mailto']}` : ''}`,
      });
    return make({
      ...facts,
      outcome: 'fail',
      reason: problems[0]!.reason,
      message: `vzdump job ${job.id} on ${h.hostId}: ${problems.map((x) => x.text).join('; ')}`,
      remediation: steps(h.hostId, [
        ...(args.length ? [`pvesh set /cluster/backup/${job.id} ${args.join(' ')}`] : []),
        ...extra,
      ]),
    });
  });
}

// --- relay.queue -------------------------------------------------------------------------------

const ageText = (minutes: number) =>
  !Number.isFinite(minutes)
    ? 'age unknown'
    : minutes < 120
      ? `${Math.round(minutes)} min`
      : minutes < 2880
        ? `${Math.floor(minutes / 60)} h`
        : `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;

function checkQueue(h: HostMail, base: Base): Finding[] {
  const limit = h.policy.maxQueueAgeMinutes;
  const facts = {
    ...base,
    subject: 'queue',
    expected: `nothing queued longer than ${limit} min${h.policy.failOnDeferred ? ', nothing deferred' : ''}`,
  };
  if (!h.mail.postfix)
    return [
      make({
        ...facts,
        outcome: 'skip',
        reason: 'no_postfix',
        message: `${h.hostId}: postfix is not installed, so there is no queue`,
      }),
    ];
  const capturedMs = instantMs(h.capturedAt);
  if (capturedMs === null) {
    return [
      make({
        ...facts,
        outcome: 'error',
        reason: 'bad_capture_time',
        message: `${h.hostId}: the capture time ${h.capturedAt} is no real time, so no message age can be judged`,
      }),
    ];
  }
  const now = capturedMs / 1000;
  const queued = h.mail.queue.map((m) => {
    const at = arrivalEpoch(m.arrival, h.capturedAt, h.timezone);
    return { m, minutes: at === null ? Infinity : (now - at) / 60 };
  });
  const tooOld = queued.filter((q) => q.minutes > limit);
  const bad = queued.filter((q) => q.minutes > limit || (h.policy.failOnDeferred && q.m.status === 'deferred'));
  const oldest = Math.max(0, ...queued.map((q) => q.minutes));
  const describe = ({ m, minutes }: (typeof queued)[number]) =>
    `${m.id} (${m.status}, since ${m.arrival}, ${ageText(minutes)}) from ${m.sender} to ${m.recipients.join(', ')}${m.reasons[0] ? `: ${m.reasons[0]}` : ''}`;
  const evidence = [
    probeEvidence(
      h.hostId,
      'postqueue',
      queued.length ? `${queued.length} queued; ${bad.slice(0, 3).map(describe).join(' | ')}` : 'Mail queue is empty',
    ),
  ];
  const actual = queued.length ? `${queued.length} queued, oldest ${ageText(oldest)}` : 'empty';
  if (!bad.length) {
    return [
      make({
        ...facts,
        actual,
        evidence,
        outcome: 'pass',
        message: queued.length
          ? `${h.hostId}: ${queued.length} queued, none older than ${limit} min`
          : `${h.hostId}: the mail queue is empty`,
      }),
    ];
  }
  const ids = bad.map((q) => q.m.id);
  return [
    make({
      ...facts,
      actual,
      evidence,
      outcome: 'fail',
      reason: tooOld.length ? 'message_too_old' : 'message_deferred',
      message: `${h.hostId}: ${bad.length} of ${queued.length} queued message(s) ${tooOld.length ? `older than ${limit} min` : 'deferred'}: ${bad.slice(0, 3).map(describe).join('; ')}${bad.length > 3 ? `; and ${bad.length - 3} more` : ''}`,
      remediation: steps(h.hostId, [
        'once relay.postfix passes, retry them: postqueue -f',
        `or drop what must not go out any more: ${ids.length > 5 ? 'postsuper -d ALL deferred' : ids.map((id) => `postsuper -d ${id}`).join('; ')}`,
      ]),
    }),
  ];
}

// --- relay.disabled ----------------------------------------------------------------------------

function checkDisabled(h: HostMail, base: Base): Finding[] {
  const senders: { reason: string; what: string; fix: string }[] = [];
  for (const job of h.pve!.jobs.filter((j) => splitList(j.options['mailto'] ?? '').length)) {
    senders.push({
      reason: 'job_mailto',
      what: `vzdump job ${job.id} mails ${job.options['mailto']}`,
      fix: `pvesh set /cluster/backup/${job.id} --delete mailto`,
    });
  }
  const live = h.mail.endpoints.filter((e) => isMailEndpoint(e) && !e.disabled);
  for (const e of live) {
    senders.push({
      reason: 'mail_endpoint_enabled',
      what: `${e.type} endpoint ${e.name} is enabled`,
      fix: `in /etc/pve/notifications.cfg:\n${stanza(e.type, e.name, e.options, { disable: ['1'] })}`,
    });
  }
  for (const m of h.mail.matchers.filter((x) => !x.disabled && x.targets.some((t) => live.some((e) => e.name === t)))) {
    senders.push({
      reason: 'matcher_enabled',
      what: `matcher ${m.name} sends to ${m.targets.join(', ')}`,
      fix: `in /etc/pve/notifications.cfg:\n${stanza('matcher', m.name, m.options, { disable: ['1'] })}`,
    });
  }
  const facts = {
    ...base,
    subject: 'mail',
    expected: 'no job mailto, no enabled mail endpoint or matcher',
    actual: senders.length ? senders.map((s) => s.what).join('; ') : 'none',
    evidence: [probeEvidence(h.hostId, 'jobs-cfg'), probeEvidence(h.hostId, 'notifications-cfg')],
  };
  if (!senders.length)
    return [make({ ...facts, outcome: 'pass', message: `${h.hostId}: mail is disabled and nothing on it sends mail` })];
  return [
    make({
      ...facts,
      outcome: 'fail',
      reason: senders[0]!.reason,
      message: `${h.hostId}: mail is disabled by policy, but ${senders.map((s) => s.what).join('; ')}`,
      remediation: steps(
        h.hostId,
        senders.map((s) => s.fix),
      ),
    }),
  ];
}
