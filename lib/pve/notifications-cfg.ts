// /etc/pve/notifications.cfg (PVE ≥ 8.1, proxmox-notify): endpoints (sendmail, smtp, gotify,
// webhook) and matchers, plus the built-ins PVE injects even when the file is empty or absent
// (proxmox-notify context/pve.rs): a file section of the same name replaces a built-in.
// Secrets (smtp password, gotify token, webhook secrets) live in /etc/pve/priv/notifications.cfg,
// which the probe never reads.

import type { NotificationEndpoint, NotificationMatcher } from '../model.js';
import { parseSectionConfig, type Section } from './section-config.js';

const ARRAY_KEYS = [
  'mailto',
  'mailto-user',
  'target',
  'match-field',
  'match-severity',
  'match-calendar',
  'header',
  'secret',
];
const ENDPOINT_TYPES = ['sendmail', 'smtp', 'gotify', 'webhook'] as const;

export const BUILTIN_NOTIFICATIONS = `sendmail: mail-to-root
	comment Send mails to root@pam's email address
	mailto-user root@pam

matcher: default-matcher
	mode all
	target mail-to-root
	comment Route all notifications to mail-to-root
`;

export interface NotificationConfig {
  endpoints: NotificationEndpoint[];
  matchers: NotificationMatcher[];
  warnings: string[];
}

export function parseNotificationsCfg(text: string): NotificationConfig {
  const file = parseSectionConfig(text, ARRAY_KEYS);
  const builtins = parseSectionConfig(BUILTIN_NOTIFICATIONS, ARRAY_KEYS).sections;
  const names = new Set(file.sections.map((s) => s.id));
  const isBuiltin = new Set(builtins.map((s) => s.id));
  const sections = [
    ...file.sections.map((s) => ({
      s,
      line: s.line as number | null,
      origin: isBuiltin.has(s.id) ? ('modified-builtin' as const) : ('user-created' as const),
    })),
    ...builtins.filter((s) => !names.has(s.id)).map((s) => ({ s, line: null, origin: 'builtin' as const })),
  ];
  const warnings = [...file.warnings];
  const endpoints: NotificationEndpoint[] = [];
  const matchers: NotificationMatcher[] = [];
  for (const { s, line, origin } of sections) {
    const common = { name: s.id, line, origin, disabled: flag(s, 'disable') };
    if (s.type === 'matcher') {
      matchers.push({
        ...common,
        mode: s.keys['mode'] || 'all',
        invertMatch: flag(s, 'invert-match'),
        targets: list(s, 'target'),
        matchSeverity: list(s, 'match-severity'),
        matchField: list(s, 'match-field'),
        matchCalendar: list(s, 'match-calendar'),
        options: s.keys,
      });
    } else if ((ENDPOINT_TYPES as readonly string[]).includes(s.type)) {
      const port = s.keys['port'];
      endpoints.push({
        ...common,
        type: s.type as NotificationEndpoint['type'],
        mailto: list(s, 'mailto'),
        mailtoUser: list(s, 'mailto-user'),
        fromAddress: s.keys['from-address'] || null,
        server: s.keys['server'] || null,
        port: port && /^\d+$/.test(port) ? Number(port) : null,
        mode: s.keys['mode'] || null,
        options: s.keys,
      });
    } else {
      warnings.push(`line ${s.line}: unknown section type '${s.type}' ('${s.id}') ignored`);
    }
  }
  return { endpoints, matchers, warnings };
}

/** Each line of an array key (the section parser joins repeated keys with "\n"). */
const list = (s: Section, key: string): string[] =>
  (s.keys[key] ?? '')
    .split('\n')
    .map((v) => v.trim())
    .filter(Boolean);
// Schema booleans: 1/0 (a bare key means 1).
const flag = (s: Section, key: string): boolean => s.keys[key] === '1' || s.keys[key] === '';

/** smtp defaults (proxmox-notify endpoints/smtp.rs): mode tls, and the port that goes with the mode. */
export function smtpEffective(e: NotificationEndpoint): { mode: string; port: number } {
  const mode = e.mode ?? 'tls';
  return { mode, port: e.port ?? ({ tls: 465, starttls: 587 } as Record<string, number>)[mode] ?? 25 };
}

/** Names of the endpoints an enabled matcher sends to. */
export function routedTargets(matchers: NotificationMatcher[]): Set<string> {
  return new Set(matchers.filter((m) => !m.disabled).flatMap((m) => m.targets));
}
