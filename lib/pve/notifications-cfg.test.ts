import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { parseDatacenterCfg } from './datacenter-cfg.js';
import { parseNotificationsCfg, routedTargets, smtpEffective } from './notifications-cfg.js';
import { parseUserEmails } from './user-cfg.js';

const fixture = (scenario: string) =>
  readFileSync(path.join(PACKAGE_ROOT, 'fixtures', 'mail', scenario, 'notifications.cfg'), 'utf8');

describe('parseNotificationsCfg', () => {
  it('injects the built-in mail-to-root and default-matcher when the file is empty (or absent)', () => {
    const cfg = parseNotificationsCfg(fixture('default-install'));
    expect(cfg.warnings).toEqual([]);
    expect(cfg.endpoints).toEqual([
      {
        type: 'sendmail',
        name: 'mail-to-root',
        line: null,
        origin: 'builtin',
        disabled: false,
        mailto: [],
        mailtoUser: ['root@pam'],
        fromAddress: null,
        server: null,
        port: null,
        mode: null,
        options: { comment: "Send mails to root@pam's email address", 'mailto-user': 'root@pam' },
      },
    ]);
    expect(cfg.matchers).toEqual([
      {
        name: 'default-matcher',
        line: null,
        origin: 'builtin',
        disabled: false,
        mode: 'all',
        invertMatch: false,
        targets: ['mail-to-root'],
        matchSeverity: [],
        matchField: [],
        matchCalendar: [],
        options: { mode: 'all', target: 'mail-to-root', comment: 'Route all notifications to mail-to-root' },
      },
    ]);
    expect([...routedTargets(cfg.matchers)]).toEqual(['mail-to-root']);
  });

  it('reads every endpoint type and matcher key; a written-out built-in is modified-builtin', () => {
    const cfg = parseNotificationsCfg(fixture('smtps-relay'));
    expect(cfg.endpoints.map((e) => [e.type, e.name, e.line, e.origin, e.disabled])).toEqual([
      ['sendmail', 'mail-to-root', 1, 'modified-builtin', false],
      ['smtp', 'stalwart', 5, 'user-created', false],
      ['gotify', 'phone', 25, 'user-created', true],
    ]);
    expect(cfg.endpoints[1]).toMatchObject({
      server: 'mail.example.com',
      port: 465,
      mode: 'tls',
      fromAddress: 'pve1@example.com',
      mailto: ['alerts@example.com'],
    });
    expect(cfg.endpoints[2]?.options).toEqual({ server: 'https://gotify.example.com', disable: '1' });
    expect(cfg.matchers.map((m) => [m.name, m.origin, m.targets])).toEqual([
      ['default-matcher', 'modified-builtin', ['mail-to-root']],
      ['backup-errors', 'user-created', ['stalwart']],
    ]);
    expect(cfg.matchers[1]).toMatchObject({ matchField: ['exact:type=vzdump'], matchSeverity: ['error'], mode: 'all' });
  });

  it('reads repeated (array) keys, webhook sections, invert-match, disable and calendar rules', () => {
    const cfg = parseNotificationsCfg(
      [
        'sendmail: ops',
        '\tmailto ops@example.com',
        '\tmailto it@example.com',
        '\tmailto-user root@pam',
        '\tmailto-user backup@pve',
        '\tfrom-address pve@example.com',
        '',
        'webhook: chat',
        '\tmethod post',
        '\turl https://chat.example.com/hook',
        '\theader name=Content-Type,value=YXBwbGljYXRpb24vanNvbg==',
        '\tdisable 1',
        '',
        'matcher: quiet-nights',
        '\tmode any',
        '\tinvert-match 1',
        '\tmatch-calendar mon-fri 22:00-06:00',
        '\tmatch-severity warning,error',
        '\tmatch-field regex:hostname=^pve',
        '\tmatch-field exact:type=vzdump,replication',
        '\ttarget ops',
        '\ttarget chat',
        '',
        'matcher: default-matcher',
        '\tdisable 1',
        '\ttarget mail-to-root',
        '',
        'frobnicator: x',
        '\tkey 1',
        '',
      ].join('\n'),
    );
    expect(cfg.endpoints.find((e) => e.name === 'ops')).toMatchObject({
      mailto: ['ops@example.com', 'it@example.com'],
      mailtoUser: ['root@pam', 'backup@pve'],
      fromAddress: 'pve@example.com',
    });
    expect(cfg.endpoints.find((e) => e.name === 'chat')).toMatchObject({ type: 'webhook', disabled: true });
    expect(cfg.matchers.find((m) => m.name === 'quiet-nights')).toMatchObject({
      mode: 'any',
      invertMatch: true,
      targets: ['ops', 'chat'],
      matchCalendar: ['mon-fri 22:00-06:00'],
      matchSeverity: ['warning,error'],
      matchField: ['regex:hostname=^pve', 'exact:type=vzdump,replication'],
    });
    // The built-in sendmail target is still injected; the written-out default-matcher is disabled.
    expect(cfg.endpoints.map((e) => `${e.name}:${e.origin}`)).toEqual([
      'ops:user-created',
      'chat:user-created',
      'mail-to-root:builtin',
    ]);
    expect(cfg.matchers.find((m) => m.name === 'default-matcher')).toMatchObject({
      disabled: true,
      origin: 'modified-builtin',
    });
    expect([...routedTargets(cfg.matchers)]).toEqual(['ops', 'chat']);
    expect(cfg.warnings).toEqual(["line 28: unknown section type 'frobnicator' ('x') ignored"]);
  });

  it('gives smtp endpoints the mode and port defaults proxmox-notify uses', () => {
    const [starttls] = parseNotificationsCfg(fixture('starttls-587')).endpoints;
    expect(smtpEffective(starttls!)).toEqual({ mode: 'starttls', port: 587 });
    const bare = parseNotificationsCfg('smtp: s\n\tserver mail.example.com\n\tfrom-address a@example.com\n')
      .endpoints[0]!;
    expect(smtpEffective(bare)).toEqual({ mode: 'tls', port: 465 });
    const insecure = parseNotificationsCfg('smtp: s\n\tserver m\n\tmode insecure\n').endpoints[0]!;
    expect(smtpEffective(insecure)).toEqual({ mode: 'insecure', port: 25 });
  });
});

describe('datacenter.cfg and user.cfg mail facts', () => {
  it('reads email_from from datacenter.cfg', () => {
    expect(parseDatacenterCfg('# managed by hand\nkeyboard: de\nemail_from: pve1@example.com\n')).toEqual({
      keyboard: 'de',
      email_from: 'pve1@example.com',
    });
    expect(parseDatacenterCfg('')).toEqual({});
  });

  it("reads each user's email from user.cfg", () => {
    const text =
      'user:root@pam:1:0:::root@example.com:::\nuser:nomail@pve:1:0::::::\nuser:backup@pve:1:0:Backup:Operator:ops@example.com:read-only::\ngroup:admins:root@pam::\n';
    expect(parseUserEmails(text)).toEqual({ 'root@pam': 'root@example.com', 'backup@pve': 'ops@example.com' });
  });
});
