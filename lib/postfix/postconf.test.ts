import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { isYes, mapFile, parsePostconf, relayTargets, smtpTlsLevel } from './postconf.js';

const fixture = (scenario: string) =>
  readFileSync(path.join(PACKAGE_ROOT, 'fixtures', 'mail', scenario, 'postconf-n.out'), 'utf8');

describe('parsePostconf', () => {
  it('reads `postconf -n` of a default PVE install: empty relayhost, no TLS keys', () => {
    const { params, warnings } = parsePostconf(fixture('default-install'));
    expect(warnings).toEqual([]);
    expect(params['relayhost']).toBe('');
    expect(params['myhostname']).toBe('pve1.example.com');
    expect(params['mydestination']).toBe('$myhostname, localhost.$mydomain, localhost'); // $names not expanded
    expect(params['smtp_tls_security_level']).toBeUndefined();
    expect(smtpTlsLevel(params)).toBe('none');
  });

  it('reads the SMTPS relay and the STARTTLS-on-587 relay', () => {
    const smtps = parsePostconf(fixture('smtps-relay')).params;
    expect(smtps).toMatchObject({
      relayhost: '[mail.example.com]:465',
      smtp_tls_wrappermode: 'yes',
      smtp_tls_security_level: 'encrypt',
      smtp_sasl_auth_enable: 'yes',
      smtp_sasl_password_maps: 'hash:/etc/postfix/sasl/sasl_passwd',
    });
    const starttls = parsePostconf(fixture('starttls-587')).params;
    expect(starttls['relayhost']).toBe('[mail.example.com]:587');
    expect(starttls['smtp_tls_wrappermode']).toBeUndefined();
  });

  it('lets the last assignment win, as postfix does, and says so', () => {
    const { params, warnings } = parsePostconf(
      'relayhost = [a.example.com]:465\nmyhostname=pve1\nrelayhost = [b.example.com]:465\n',
    );
    expect(params).toEqual({ myhostname: 'pve1', relayhost: '[b.example.com]:465' });
    expect(warnings).toEqual(['line 3: relayhost assigned again; the last assignment wins']);
  });

  it('reads main.cf itself: comments, blank lines, continuation lines, spaces around =', () => {
    const text =
      '# See /usr/share/postfix/main.cf.dist\n\nsmtpd_banner = $myhostname ESMTP\nmydestination = $myhostname,\n    localhost\n  # an indented comment line\nrelayhost=[mail.example.com]:465   \n';
    const { params, warnings } = parsePostconf(text);
    expect(params).toEqual({
      smtpd_banner: '$myhostname ESMTP',
      mydestination: '$myhostname, localhost',
      relayhost: '[mail.example.com]:465',
    });
    expect(warnings).toEqual([]);
  });

  it('reports lines it cannot read', () => {
    expect(parsePostconf('  orphan continuation\nnot a setting\n').warnings).toEqual([
      'line 1: continuation line with nothing to continue: orphan continuation',
      'line 2: not a `key = value` line: not a setting',
    ]);
  });
});

describe('postfix settings', () => {
  it('reads relayhost entries: brackets suppress MX lookup, ports may be service names, lists are allowed', () => {
    expect(relayTargets('[Mail.Example.com]:465')).toEqual([{ host: 'mail.example.com', port: 465, mx: false }]);
    expect(relayTargets('mail.example.com:smtps')).toEqual([{ host: 'mail.example.com', port: 465, mx: true }]);
    expect(relayTargets('[mail.example.com]:submission, [backup.example.com]')).toEqual([
      { host: 'mail.example.com', port: 587, mx: false },
      { host: 'backup.example.com', port: null, mx: false },
    ]);
    expect(relayTargets('')).toEqual([]);
    expect(relayTargets(undefined)).toEqual([]);
  });

  it('falls back to the obsolete TLS switches only when the level is unset', () => {
    expect(smtpTlsLevel({ smtp_enforce_tls: 'yes' })).toBe('encrypt');
    expect(smtpTlsLevel({ smtp_use_tls: 'YES' })).toBe('may');
    expect(smtpTlsLevel({ smtp_tls_security_level: 'dane', smtp_enforce_tls: 'yes' })).toBe('dane');
    expect(isYes(' Yes ')).toBe(true);
    expect(isYes('true')).toBe(false);
  });

  it('locates a lookup table file under /etc/postfix by its type', () => {
    expect(mapFile('hash:/etc/postfix/sasl/sasl_passwd')).toBe('sasl/sasl_passwd.db');
    expect(mapFile('lmdb:/etc/postfix/sasl_passwd')).toBe('sasl_passwd.lmdb');
    expect(mapFile('proxy:hash:/etc/postfix/sasl_passwd')).toBe('sasl_passwd.db');
    expect(mapFile('texthash:/etc/postfix/sasl_passwd')).toBe('sasl_passwd');
    expect(mapFile('hash:/root/sasl_passwd')).toBeNull();
    expect(mapFile('ldap:ldapsource')).toBeNull();
  });
});
