// Postfix main.cf parameters as `postconf -n` prints them (or main.cf itself), and what they mean
// for relaying: postconf(5), SASL_README, TLS_README.

/**
 * `key = value` lines → parameters. `postconf -n` prints each explicitly set key once, sorted; main.cf
 * itself may repeat a key (postfix uses the last assignment), continue a value on lines that start
 * with whitespace, and hold `#` comment lines. Values are kept as written (`$name` not expanded).
 */
export function parsePostconf(text: string): { params: Record<string, string>; warnings: string[] } {
  const params = new Map<string, string>();
  const warnings: string[] = [];
  let last: string | null = null;
  for (const [index, line] of text.split('\n').entries()) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^\s/.test(line)) {
      if (last === null) warnings.push(`line ${index + 1}: continuation line with nothing to continue: ${line.trim()}`);
      else params.set(last, `${params.get(last)} ${line.trim()}`.trim());
      continue;
    }
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) {
      warnings.push(`line ${index + 1}: not a \`key = value\` line: ${line}`);
      last = null;
      continue;
    }
    const [, key = '', value = ''] = m;
    if (params.has(key)) warnings.push(`line ${index + 1}: ${key} assigned again; the last assignment wins`);
    params.delete(key); // keep the order of the winning assignment
    params.set(key, value);
    last = key;
  }
  return { params: Object.fromEntries(params), warnings };
}

/** Postfix booleans: `yes`/`no` (case-insensitive); anything else is the parameter's default. */
export const isYes = (value: string | undefined): boolean => value?.trim().toLowerCase() === 'yes';

/** TLS levels at least as strict as `encrypt`. `dane` is not: it falls back to `may` without TLSA records. */
export const MANDATORY_TLS_LEVELS = ['encrypt', 'dane-only', 'fingerprint', 'verify', 'secure'];

/** The SMTP client's TLS level, with the obsolete smtp_enforce_tls / smtp_use_tls read when the level is unset. */
export function smtpTlsLevel(params: Record<string, string>): string {
  const level = params['smtp_tls_security_level']?.trim();
  if (level) return level;
  if (isYes(params['smtp_enforce_tls'])) return 'encrypt';
  return isYes(params['smtp_use_tls']) ? 'may' : 'none';
}

// /etc/services names postfix accepts after `:` in relayhost.
const SERVICE_PORTS: Record<string, number> = { smtp: 25, submission: 587, smtps: 465, submissions: 465 };

/** One relayhost entry: `[host]:port` (no MX lookup) or `host:port` (MX lookup); port null when absent. */
export interface RelayTarget {
  host: string;
  port: number | null;
  mx: boolean;
}

/** `relayhost` → its entries (postfix ≥ 3.5 takes a list separated by commas or whitespace). */
export function relayTargets(value: string | undefined): RelayTarget[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\[([^\]]+)\]|([^:]+))(?::(\S+))?$/.exec(entry);
      const port =
        m?.[4] === undefined ? null : /^\d+$/.test(m[4]) ? Number(m[4]) : (SERVICE_PORTS[m[4].toLowerCase()] ?? -1);
      return { host: (m?.[2] ?? m?.[3] ?? entry).toLowerCase(), port, mx: m?.[2] === undefined };
    });
}

/**
 * The file a lookup table lives in, relative to /etc/postfix (where the probe lists names), or null
 * when it is elsewhere or not a file: `hash:/etc/postfix/sasl/sasl_passwd` → `sasl/sasl_passwd.db`.
 */
export function mapFile(spec: string): string | null {
  const m = /^(?:proxy:)?([a-z0-9]+):(\/\S+)$/.exec(spec.trim());
  if (!m) return null;
  const [, type = '', path = ''] = m;
  const suffix: Record<string, string> = {
    hash: '.db',
    btree: '.db',
    lmdb: '.lmdb',
    cdb: '.cdb',
    dbm: '.pag',
    sdbm: '.pag',
  };
  const file = `${path}${suffix[type] ?? ''}`; // texthash, cidr, pcre, regexp… read the file itself
  return file.startsWith('/etc/postfix/') ? file.slice('/etc/postfix/'.length) : null;
}
