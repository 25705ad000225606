import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RelayPolicy } from '../bindings/types.js';
import type { Finding, MailState, PveState, StateProblem } from '../model.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { parseMailState, type MailOutputs } from '../snapshot/read.js';
import { evaluateD19 } from './D19.js';
import { loadDemo } from './testing/demo-input.js';
import type { VerifyInput } from './input.js';
import { evaluateRelay, NO_RELAY_POLICY, RELAY_CHECKS } from './relay-stalwart.js';
import {
  makeBindings,
  makeErrorHost,
  makeHost,
  makeInput,
  makeJob,
  makePveState,
  makeState,
} from './testing/test-input.js';

const fixture = (scenario: string, file: string) =>
  readFileSync(path.join(PACKAGE_ROOT, 'fixtures', 'mail', scenario, file), 'utf8');

/**
 * Mail facts of `pve1` from one of fixtures/mail/: root@pam's mail goes to alerts@example.com, senders are
 * pve1@example.com.
 */
function mailOf(scenario: 'default-install' | 'smtps-relay' | 'starttls-587', o: Partial<MailOutputs> = {}): MailState {
  return parseMailState({
    postconf: fixture(scenario, 'postconf-n.out'),
    'postfix-files': fixture(scenario, 'postfix-files.out'),
    postqueue: 'Mail queue is empty\n',
    'notifications-cfg': fixture(scenario, 'notifications.cfg'),
    'datacenter-cfg': 'email_from: pve1@example.com\n',
    'user-cfg': 'user:root@pam:1:0:::alerts@example.com:::\n',
    ...o,
  });
}

const POLICY: RelayPolicy = {
  host: 'mail.example.com',
  port: 465,
  tls: 'implicit',
  hosts: null,
  allowedRecipients: ['alerts@example.com', '@ops.example.com'],
  senderDomain: 'example.com',
  maxQueueAgeMinutes: 60,
  failOnDeferred: false,
  mail: {},
  source: { file: 'drift.gates.yaml', line: 9 },
};

const mailingJob = (id: string, options: Record<string, string>) => makeJob(id, { vmids: [100], options });
const GOOD_JOB = mailingJob('backup-daily', {
  mailnotification: 'failure',
  mailto: 'alerts@example.com',
  'notification-mode': 'legacy-sendmail',
});

function run(
  o: {
    mail?: MailState | StateProblem | null;
    pve?: PveState | StateProblem;
    policy?: Partial<RelayPolicy> | null;
    input?: Partial<VerifyInput>;
  } = {},
): Finding[] {
  const relay = o.policy === null ? null : { ...POLICY, ...o.policy };
  const host = makeHost('pve1', {
    mail: o.mail === undefined ? mailOf('smtps-relay') : o.mail,
    pve: o.pve ?? makePveState({ jobs: [GOOD_JOB] }),
  });
  return evaluateRelay(
    makeInput({ bindings: makeBindings({ policy: { relay } }), state: makeState([host]), ...o.input }),
  );
}

function one(findings: Finding[], check: string, subject?: string): Finding {
  const found = findings.filter((f) => f.check === check && (subject === undefined || f.subject === subject));
  expect(
    found,
    `${check} ${subject ?? '*'}: ${JSON.stringify(found.map((f) => [f.subject, f.outcome, f.reason]))}`,
  ).toHaveLength(1);
  return found[0]!;
}

const outcomes = (findings: Finding[]) =>
  findings.map((f) => `${f.check} ${f.host ?? '-'}/${f.subject} ${f.outcome}${f.reason ? ` ${f.reason}` : ''}`);

// ---------------------------------------------------------------------------------------------

describe('relay-stalwart without something to judge', () => {
  it('skips every check once, with the reason, when drift.gates.yaml has no relay: section', () => {
    const findings = run({ policy: null });
    expect(findings.map((f) => [f.gate, f.check, f.subject, f.host, f.outcome, f.reason])).toEqual(
      RELAY_CHECKS.map((check) => ['relay-stalwart', check, 'run', null, 'skip', NO_RELAY_POLICY]),
    );
  });

  it('skips `no host state` in a binding-only run (and relay.disabled on a relaying host)', () => {
    expect(outcomes(run({ input: { state: null } }))).toEqual([
      'relay.postfix pve1/pve1 skip no host state',
      'relay.notifications pve1/pve1 skip no host state',
      'relay.job-mail pve1/pve1 skip no host state',
      'relay.queue pve1/pve1 skip no host state',
      'relay.disabled pve1/pve1 skip mail_relayed',
    ]);
  });

  it("errors with the host's reason when the host could not be read", () => {
    const findings = evaluateRelay(
      makeInput({ bindings: makeBindings({ policy: { relay: POLICY } }), state: makeState([makeErrorHost('pve1')]) }),
    );
    expect(findings.filter((f) => f.check !== 'relay.disabled').map((f) => [f.outcome, f.reason])).toEqual(
      Array(4).fill(['error', 'connect_timeout']),
    );
  });

  it('errors `not_collected` on an old snapshot without mail facts, while D19 still judges the host', () => {
    const findings = run({ mail: null });
    expect(one(findings, 'relay.postfix')).toMatchObject({ outcome: 'error', reason: 'not_collected' });
    const host = makeHost('pve1', { mail: null });
    const d19 = evaluateD19(makeInput({ state: makeState([host]) }));
    expect(d19.filter((f) => f.outcome === 'error')).toEqual([]);
  });

  it('turns each notifications.cfg line PVE ignores into a config_warning finding', () => {
    const cfg = `${fixture('smtps-relay', 'notifications.cfg')}\npushover: pager-x\n\ttoken x\n\nstray line\n`;
    const findings = run({ mail: mailOf('smtps-relay', { 'notifications-cfg': cfg }) });
    const warned = findings.filter((f) => f.reason === 'config_warning');
    expect(warned.map((f) => [f.check, f.outcome])).toEqual([
      ['relay.notifications', 'fail'],
      ['relay.notifications', 'fail'],
    ]);
    expect(warned.map((f) => [f.subject, f.message.replace(/ \(PVE logs.*$/, '')])).toEqual([
      ['notifications.cfg:32', '/etc/pve/notifications.cfg line 32: ignored, not a section header: stray line'],
      [
        'notifications.cfg:29',
        "/etc/pve/notifications.cfg line 29: unknown section type 'pushover' ('pager-x') ignored",
      ],
    ]);
  });

  it("errors with the mail facts' own problem (a failed postfix command), not the host's", () => {
    const findings = run({ mail: { reason: 'command_failed', message: '`postconf -n` exited 1' } });
    expect(one(findings, 'relay.queue')).toMatchObject({
      outcome: 'error',
      reason: 'command_failed',
      message: 'pve1: cannot judge mail, `postconf -n` exited 1',
    });
  });

  it('errors `not_a_pve_host` for a host in relay.hosts that is not a PVE host', () => {
    const findings = run({ policy: { hosts: ['pve1', 'nas'] } });
    expect(findings.filter((f) => f.host === 'nas').map((f) => `${f.check} ${f.outcome} ${f.reason}`)).toEqual([
      'relay.postfix error not_a_pve_host',
      'relay.notifications error not_a_pve_host',
      'relay.job-mail error not_a_pve_host',
      'relay.queue error not_a_pve_host',
      'relay.disabled skip mail_relayed',
    ]);
  });

  it('passes the whole gate on a correct SMTPS relay', () => {
    expect(outcomes(run())).toEqual([
      'relay.postfix pve1/postfix pass',
      'relay.notifications pve1/sendmail/mail-to-root pass',
      'relay.notifications pve1/smtp/stalwart pass',
      'relay.job-mail pve1/backup-daily pass',
      'relay.queue pve1/queue pass',
      'relay.disabled pve1/pve1 skip mail_relayed',
    ]);
  });
});

describe('relay.postfix', () => {
  it('passes [relay]:465 with wrapper mode, encrypt and a built SASL map, citing postconf', () => {
    const f = one(run(), 'relay.postfix');
    expect(f).toMatchObject({
      outcome: 'pass',
      subject: 'postfix',
      host: 'pve1',
      message: 'pve1: postfix relays through [mail.example.com]:465 with implicit TLS (encrypt)',
    });
    expect(f.evidence[0]).toMatchObject({
      host: 'pve1',
      commandId: 'postconf',
      detail: expect.stringContaining('relayhost = [mail.example.com]:465'),
    });
  });

  it('fails the installer default (direct delivery, no TLS) with the postconf -e lines and SASL set-up', () => {
    const f = one(run({ mail: mailOf('default-install') }), 'relay.postfix');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_relayhost', actual: 'relayhost = ' });
    expect(f.message).toContain("relayhost is empty: postfix delivers straight to each recipient's MX on port 25");
    expect(f.message).toContain('smtp_tls_security_level is none, weaker than encrypt');
    expect(f.remediation!.split('\n')).toEqual([
      'On pve1:',
      "postconf -e 'relayhost = [mail.example.com]:465'",
      "postconf -e 'smtp_tls_wrappermode = yes'",
      "postconf -e 'smtp_tls_security_level = encrypt'",
      "postconf -e 'smtp_sasl_auth_enable = yes'",
      "postconf -e 'smtp_sasl_security_options = noanonymous'",
      "postconf -e 'smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd'",
      'make /etc/postfix/sasl_passwd (mode 600) hold the line `[mail.example.com]:465 <user>:<password>`, then: postmap hash:/etc/postfix/sasl_passwd',
      'systemctl reload postfix',
    ]);
  });

  it("fails STARTTLS on 587: wrong relayhost and no wrapper mode, fixing those and the password map's key", () => {
    const f = one(run({ mail: mailOf('starttls-587') }), 'relay.postfix');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'wrong_relayhost' });
    expect(f.message).toContain('relayhost is [mail.example.com]:587, not [mail.example.com]:465');
    expect(f.message).toContain('smtp_tls_wrappermode is not set (no): no implicit TLS');
    expect(f.remediation!.split('\n')).toEqual([
      'On pve1:',
      "postconf -e 'relayhost = [mail.example.com]:465'",
      "postconf -e 'smtp_tls_wrappermode = yes'",
      'make /etc/postfix/sasl_passwd (mode 600) hold the line `[mail.example.com]:465 <user>:<password>`, then: postmap hash:/etc/postfix/sasl_passwd',
      'systemctl reload postfix',
    ]);
  });

  it.each([
    [
      'another relay',
      { relayhost: 'smtp.gmail.com:587' },
      'wrong_relayhost',
      'relayhost is smtp.gmail.com:587, not [mail.example.com]:465 (without brackets postfix looks up MX records)',
    ],
    [
      'the relay with MX lookup',
      { relayhost: 'mail.example.com:465' },
      'wrong_relayhost',
      'without brackets postfix looks up MX records',
    ],
    [
      'opportunistic TLS',
      { smtp_tls_security_level: 'may' },
      'tls_too_weak',
      'smtp_tls_security_level is may, weaker than encrypt',
    ],
    [
      'dane (falls back to may)',
      { smtp_tls_security_level: 'dane' },
      'tls_too_weak',
      'smtp_tls_security_level is dane',
    ],
    [
      'SASL without a map',
      { smtp_sasl_password_maps: '' },
      'sasl_no_map',
      'smtp_sasl_auth_enable = yes without smtp_sasl_password_maps',
    ],
  ])('fails %s', (_, change, reason, text) => {
    const postconf = Object.entries({ ...mailOf('smtps-relay').postfix, ...change })
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n');
    const f = one(run({ mail: mailOf('smtps-relay', { postconf }) }), 'relay.postfix');
    expect(f).toMatchObject({ outcome: 'fail', reason });
    expect(f.message).toContain(text);
  });

  it('passes a service-name port and a stricter TLS level', () => {
    const postconf = fixture('smtps-relay', 'postconf-n.out')
      .replace(':465', ':smtps')
      .replace('= encrypt', '= verify');
    expect(one(run({ mail: mailOf('smtps-relay', { postconf }) }), 'relay.postfix').outcome).toBe('pass');
  });

  it('fails a SASL map whose .db was never built (postmap), naming the file, without reading it', () => {
    const files = fixture('smtps-relay', 'postfix-files.out').replace('sasl/sasl_passwd.db\n', '');
    const f = one(run({ mail: mailOf('smtps-relay', { 'postfix-files': files }) }), 'relay.postfix');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'sasl_map_missing' });
    expect(f.message).toContain(
      'SASL map hash:/etc/postfix/sasl/sasl_passwd was never built: /etc/postfix/sasl/sasl_passwd.db does not exist',
    );
    expect(f.remediation).toContain('postmap hash:/etc/postfix/sasl/sasl_passwd');
  });

  it('fails a host without postfix, telling how to install it', () => {
    const f = one(run({ mail: mailOf('smtps-relay', { postconf: null, postqueue: null }) }), 'relay.postfix');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_postfix', actual: 'postfix not installed' });
    expect(f.remediation).toContain('apt install postfix libsasl2-modules');
  });

  it('skips a host whose mail is disabled', () => {
    expect(one(run({ policy: { mail: { pve1: 'disabled' } } }), 'relay.postfix')).toMatchObject({
      outcome: 'skip',
      reason: 'mail_disabled',
    });
  });
});

describe('relay.notifications', () => {
  it('fails the built-in mail-to-root when postfix does not relay (default install, no notifications.cfg)', () => {
    const f = one(run({ mail: mailOf('default-install') }), 'relay.notifications', 'sendmail/mail-to-root');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'sendmail_unrelayed' });
    expect(f.message).toContain(
      '(built-in, not in the file): it hands mail to postfix, which does not relay: relayhost is empty',
    );
    expect(f.evidence[0]).toMatchObject({
      commandId: 'notifications-cfg',
      detail: 'sendmail: mail-to-root (built-in, not in the file)',
    });
    expect(f.remediation).toContain("postconf -e 'relayhost = [mail.example.com]:465'");
  });

  it('fails an smtp endpoint on STARTTLS/587 with the corrected stanza', () => {
    const f = one(run({ mail: mailOf('starttls-587') }), 'relay.notifications', 'smtp/stalwart');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'smtp_wrong_port' });
    expect(f.message).toBe(
      'smtp/stalwart on pve1 (line 1): port is 587 (the starttls default), not 465; mode is starttls, not tls (implicit TLS)',
    );
    expect(f.remediation).toBe(
      [
        'On pve1:',
        'in /etc/pve/notifications.cfg, make the section read:',
        'smtp: stalwart',
        '\tfrom-address pve1@example.com',
        '\tmailto alerts@example.com',
        '\tmode tls',
        '\tserver mail.example.com',
        '\tusername pve1',
        '\tport 465',
      ].join('\n'),
    );
  });

  it('fails an smtp endpoint to another server, and skips one no matcher sends to or that is disabled', () => {
    const cfg =
      'smtp: gmail\n\tserver smtp.gmail.com\n\tfrom-address pve1@example.com\n\tmailto alerts@example.com\n\n' +
      'smtp: spare\n\tserver mail.example.com\n\tfrom-address pve1@example.com\n\n' +
      'sendmail: off\n\tmailto alerts@example.com\n\tdisable 1\n\n' +
      'matcher: default-matcher\n\ttarget gmail\n\ttarget off\n';
    const findings = run({ mail: mailOf('smtps-relay', { 'notifications-cfg': cfg }) }).filter(
      (f) => f.check === 'relay.notifications',
    );
    expect(outcomes(findings)).toEqual([
      'relay.notifications pve1/smtp/gmail fail smtp_wrong_server',
      'relay.notifications pve1/smtp/spare skip not_routed',
      'relay.notifications pve1/sendmail/off skip endpoint_disabled',
      'relay.notifications pve1/sendmail/mail-to-root skip not_routed',
    ]);
  });

  it("fails recipients the policy does not allow: a personal mailto, and root@pam's personal email", () => {
    const cfg =
      'sendmail: mail-to-root\n\tmailto-user root@pam\n\tmailto ronny@private.example.net\n\tmailto oncall@ops.example.com\n';
    const userCfg = 'user:root@pam:1:0:::ronny@home.example.net:::\n';
    const f = one(
      run({ mail: mailOf('smtps-relay', { 'notifications-cfg': cfg, 'user-cfg': userCfg }) }),
      'relay.notifications',
      'sendmail/mail-to-root',
    );
    expect(f).toMatchObject({ outcome: 'fail', reason: 'recipient_not_allowed' });
    expect(f.message).toContain(
      'it mails ronny@private.example.net, ronny@home.example.net, which relay.allowed_recipients does not allow',
    );
    expect(f.remediation).toContain('pveum user modify root@pam --email alerts@example.com');
    expect(f.remediation).toContain('sendmail: mail-to-root\n\tmailto-user root@pam\n\tmailto oncall@ops.example.com');
  });

  it('fails a sender outside sender_domain: the default root@myhostname without email_from, and a from-address', () => {
    const noFrom = one(
      run({ mail: mailOf('smtps-relay', { 'datacenter-cfg': 'keyboard: de\n' }) }),
      'relay.notifications',
      'sendmail/mail-to-root',
    );
    expect(noFrom).toMatchObject({ outcome: 'fail', reason: 'sender_not_allowed' });
    expect(noFrom.message).toContain('sender root@pve1.example.com is not @example.com');
    expect(noFrom.remediation).toBe('On pve1:\npvesh set /cluster/options --email_from pve1@example.com');
    const cfg = fixture('smtps-relay', 'notifications.cfg').replace(
      'from-address pve1@example.com',
      'from-address pve1@gmail.com',
    );
    const from = one(
      run({ mail: mailOf('smtps-relay', { 'notifications-cfg': cfg }), policy: { senderDomain: 'example.com' } }),
      'relay.notifications',
      'smtp/stalwart',
    );
    expect(from).toMatchObject({ outcome: 'fail', reason: 'sender_not_allowed' });
    expect(from.remediation).toContain('\tfrom-address pve1@example.com');
  });

  it('passes when no mail endpoint exists at all', () => {
    const cfg =
      'sendmail: mail-to-root\n\tmailto-user root@pam\n\tdisable 1\n\ngotify: phone\n\tserver https://gotify.example.com\n';
    const findings = run({ mail: mailOf('smtps-relay', { 'notifications-cfg': cfg }) }).filter(
      (f) => f.check === 'relay.notifications',
    );
    expect(outcomes(findings)).toEqual(['relay.notifications pve1/sendmail/mail-to-root skip endpoint_disabled']);
    const gotifyOnly = {
      ...mailOf('smtps-relay'),
      endpoints: mailOf('smtps-relay').endpoints.filter((e) => e.type === 'gotify'),
    };
    expect(one(run({ mail: gotifyOnly }), 'relay.notifications')).toMatchObject({
      outcome: 'pass',
      subject: 'notifications.cfg',
    });
  });
});

describe('relay.job-mail', () => {
  const jobs = (...list: ReturnType<typeof makeJob>[]) => makePveState({ jobs: list });

  it('passes always/failure (and no mailnotification: the default always) with allowed recipients', () => {
    const findings = run({
      pve: jobs(
        GOOD_JOB,
        mailingJob('weekly', { mailnotification: 'always', mailto: 'oncall@ops.example.com' }),
        mailingJob('quiet', {}),
      ),
    });
    expect(findings.filter((f) => f.check === 'relay.job-mail').map((f) => [f.subject, f.outcome, f.message])).toEqual([
      ['backup-daily', 'pass', 'backup-daily on pve1: mailnotification failure, mailto alerts@example.com'],
      ['weekly', 'pass', 'weekly on pve1: mailnotification always, mailto oncall@ops.example.com'],
      ['quiet', 'pass', 'quiet on pve1: mailnotification always (the default)'],
    ]);
  });

  it('fails `mailnotification never` (it stopped pvescheduler on PVE 8.4) with the pvesh line', () => {
    const f = one(
      run({ pve: jobs(mailingJob('backup-daily', { mailnotification: 'never', mailto: 'alerts@example.com' })) }),
      'relay.job-mail',
    );
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'mailnotification_never',
      subject: 'backup-daily',
      message:
        'vzdump job backup-daily on pve1: `mailnotification never` stopped pvescheduler on PVE 8.4, and every backup with it',
      remediation: 'On pve1:\npvesh set /cluster/backup/backup-daily --mailnotification failure',
    });
    expect(f.evidence[0]).toMatchObject({ commandId: 'jobs-cfg', detail: 'vzdump: backup-daily (line 1)' });
  });

  it('fails a personal inbox in mailto and the dead notification-policy/-target keys, in one pvesh line', () => {
    const job = mailingJob('backup-daily', {
      mailnotification: 'failure',
      mailto: 'ronny@private.example.net,alerts@example.com',
      'notification-policy': 'failure',
      'notification-target': 'mail-to-root',
    });
    const f = one(run({ pve: jobs(job) }), 'relay.job-mail');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'dead_notification_keys' });
    expect(f.message).toContain('mailto ronny@private.example.net is not an allowed recipient');
    expect(f.remediation).toBe(
      'On pve1:\npvesh set /cluster/backup/backup-daily --delete notification-policy,notification-target --mailto alerts@example.com',
    );
  });

  it('fails the sender of a job that mails itself when email_from is outside sender_domain', () => {
    const f = one(
      run({ mail: mailOf('smtps-relay', { 'datacenter-cfg': 'email_from: root@pve1.lan\n' }) }),
      'relay.job-mail',
    );
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'sender_not_allowed',
      remediation: 'On pve1:\npvesh set /cluster/options --email_from pve1@example.com',
    });
  });

  it('on a host whose mail is disabled: still fails `never`, leaves recipients to relay.disabled', () => {
    const job = mailingJob('backup-daily', { mailnotification: 'never', mailto: 'ronny@private.example.net' });
    const f = one(run({ pve: jobs(job), policy: { mail: { pve1: 'disabled' } } }), 'relay.job-mail');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'mailnotification_never',
      remediation: 'On pve1:\npvesh set /cluster/backup/backup-daily --mailnotification failure',
    });
  });

  it('skips a host without vzdump jobs', () => {
    expect(one(run({ pve: jobs() }), 'relay.job-mail')).toMatchObject({
      outcome: 'skip',
      reason: 'no_jobs',
      subject: 'pve1',
    });
  });
});

describe('relay.queue', () => {
  // CAPTURED_AT is 2026-03-04T07:30:00Z, 08:30 in Europe/Berlin (pve1's zone).
  const queue = (arrival: string, mark = '') => `-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
4C1F82A0E3${mark}     1893 ${arrival}  root@pve1.example.com
(connect to mail.example.com[192.0.2.25]:465: Connection refused)
                                         alerts@example.com

-- 2 Kbytes in 1 Request.
`;

  it('a capture time that is no real time is an error, never a queue whose age NaN passes', () => {
    const host = makeHost('pve1', {
      mail: mailOf('smtps-relay', { postqueue: queue('Wed Feb 25 03:15:21') }),
      pve: makePveState({ jobs: [GOOD_JOB] }),
    });
    const findings = evaluateRelay(
      makeInput({
        bindings: makeBindings({ policy: { relay: POLICY } }),
        state: makeState([host], '2026-13-45T99:99:99Z'),
        now: '2026-03-04T07:30:00Z',
      }),
    );
    expect(one(findings, 'relay.queue')).toMatchObject({ outcome: 'error', reason: 'bad_capture_time' });
  });

  it('passes an empty queue', () => {
    expect(one(run(), 'relay.queue')).toMatchObject({
      outcome: 'pass',
      actual: 'empty',
      message: 'pve1: the mail queue is empty',
    });
  });

  it("fails a message older than the policy allows, read in the host's zone, with postsuper/postqueue lines", () => {
    const f = one(run({ mail: mailOf('smtps-relay', { postqueue: queue('Wed Feb 25 03:15:21') }) }), 'relay.queue');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'message_too_old', actual: '1 queued, oldest 7 d 5 h' });
    expect(f.message).toBe(
      'pve1: 1 of 1 queued message(s) older than 60 min: 4C1F82A0E3 (deferred, since Wed Feb 25 03:15:21, 7 d 5 h) from root@pve1.example.com to alerts@example.com: connect to mail.example.com[192.0.2.25]:465: Connection refused',
    );
    expect(f.remediation).toBe(
      'On pve1:\nonce relay.postfix passes, retry them: postqueue -f\nor drop what must not go out any more: postsuper -d 4C1F82A0E3',
    );
  });

  it('passes a young deferred message, and fails it with fail_on_deferred', () => {
    // 08:10 local is 20 minutes before the capture.
    const mail = mailOf('smtps-relay', { postqueue: queue('Wed Mar  4 08:10:00') });
    expect(one(run({ mail }), 'relay.queue')).toMatchObject({
      outcome: 'pass',
      message: 'pve1: 1 queued, none older than 60 min',
    });
    expect(one(run({ mail, policy: { failOnDeferred: true } }), 'relay.queue')).toMatchObject({
      outcome: 'fail',
      reason: 'message_deferred',
    });
    // An active message is not deferred.
    expect(
      one(
        run({
          mail: mailOf('smtps-relay', { postqueue: queue('Wed Mar  4 08:10:00', '*') }),
          policy: { failOnDeferred: true },
        }),
        'relay.queue',
      ).outcome,
    ).toBe('pass');
  });

  it("fails a held message by its age too, and judges a disabled host's queue", () => {
    const mail = mailOf('smtps-relay', { postqueue: queue('Tue Mar  3 08:00:00', '!') });
    expect(one(run({ mail, policy: { mail: { pve1: 'disabled' } } }), 'relay.queue')).toMatchObject({
      outcome: 'fail',
      reason: 'message_too_old',
    });
  });

  it('skips a host without postfix', () => {
    expect(one(run({ mail: mailOf('smtps-relay', { postconf: null, postqueue: null }) }), 'relay.queue')).toMatchObject(
      { outcome: 'skip', reason: 'no_postfix' },
    );
  });
});

describe('relay.disabled', () => {
  const disabled = { mail: { pve1: 'disabled' as const } };
  const silentCfg =
    'sendmail: mail-to-root\n\tmailto-user root@pam\n\tdisable 1\n\nmatcher: default-matcher\n\ttarget mail-to-root\n\tdisable 1\n';
  const silentJob = mailingJob('backup-daily', { mailnotification: 'failure' });

  it('passes when no job has a mailto and every mail endpoint and matcher is disabled', () => {
    const f = one(
      run({
        policy: disabled,
        pve: makePveState({ jobs: [silentJob] }),
        mail: mailOf('default-install', { 'notifications-cfg': silentCfg }),
      }),
      'relay.disabled',
    );
    expect(f).toMatchObject({
      outcome: 'pass',
      subject: 'mail',
      message: 'pve1: mail is disabled and nothing on it sends mail',
    });
  });

  it('fails the built-ins a default install still has, with the disabling stanzas', () => {
    const f = one(
      run({ policy: disabled, pve: makePveState({ jobs: [silentJob] }), mail: mailOf('default-install') }),
      'relay.disabled',
    );
    expect(f).toMatchObject({ outcome: 'fail', reason: 'mail_endpoint_enabled' });
    expect(f.message).toBe(
      'pve1: mail is disabled by policy, but sendmail endpoint mail-to-root is enabled; matcher default-matcher sends to mail-to-root',
    );
    expect(f.remediation).toBe(
      [
        'On pve1:',
        'in /etc/pve/notifications.cfg:',
        'sendmail: mail-to-root',
        "\tcomment Send mails to root@pam's email address",
        '\tmailto-user root@pam',
        '\tdisable 1',
        'in /etc/pve/notifications.cfg:',
        'matcher: default-matcher',
        '\tmode all',
        '\ttarget mail-to-root',
        '\tcomment Route all notifications to mail-to-root',
        '\tdisable 1',
      ].join('\n'),
    );
  });

  it('fails a job that still has a mailto', () => {
    const f = one(
      run({ policy: disabled, mail: mailOf('default-install', { 'notifications-cfg': silentCfg }) }),
      'relay.disabled',
    );
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'job_mailto',
      remediation: 'On pve1:\npvesh set /cluster/backup/backup-daily --delete mailto',
    });
  });

  it('skips a relaying host', () => {
    expect(one(run(), 'relay.disabled')).toMatchObject({ outcome: 'skip', reason: 'mail_relayed' });
  });
});

describe('relay-stalwart on the demo site', () => {
  let findings: Finding[];

  beforeAll(async () => {
    const { bindings, state } = await loadDemo();
    findings = evaluateRelay({ bindings, state, now: state.capturedAt, maxSnapshotAgeHours: 24, bundledDemo: true });
  });

  it('pve-shop relays correctly, pve-home mails directly (fixtures/demo-site/README.md)', () => {
    expect(outcomes(findings)).toEqual([
      'relay.postfix pve-home/postfix fail no_relayhost',
      'relay.postfix pve-shop/postfix pass',
      'relay.notifications pve-home/sendmail/mail-to-root fail sendmail_unrelayed',
      'relay.notifications pve-shop/smtp/stalwart pass',
      'relay.notifications pve-shop/sendmail/mail-to-root pass',
      'relay.job-mail pve-home/backup-5a2e90c4-1b7d fail mailnotification_never',
      'relay.job-mail pve-shop/backup-3f9c2a71-5d0e pass',
      'relay.job-mail pve-shop/backup-8e41d6b2-0a93 pass',
      'relay.job-mail pve-shop/backup-c7a05e19-77f4 pass',
      'relay.job-mail pve-shop/backup-2b7d14e8-c3a0 pass',
      'relay.job-mail pve-shop/backup-6d1f0b3e-9a42 pass',
      'relay.queue pve-home/queue fail message_too_old',
      'relay.queue pve-shop/queue pass',
      'relay.disabled pve-home/pve-home skip mail_relayed',
      'relay.disabled pve-shop/pve-shop skip mail_relayed',
    ]);
  });

  it('says why pve-home fails: the personal inbox, the queue stuck since 25 Feb', () => {
    expect(
      one(
        findings.filter((f) => f.host === 'pve-home'),
        'relay.job-mail',
      ).message,
    ).toContain('mailto owner@home.example.net is not an allowed recipient');
    expect(
      one(
        findings.filter((f) => f.host === 'pve-home'),
        'relay.queue',
      ).message,
    ).toMatch(
      /^pve-home: 4 of 4 queued message\(s\) older than 60 min: 4C1F82A0E3 \(deferred, since Wed Feb 25 03:15:21, 7 d 5 h\)/,
    );
  });
});
