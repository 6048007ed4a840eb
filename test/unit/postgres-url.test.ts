import { redactUrl } from '../../core/config/redact';
import { settleSslFallback } from '../../core/db/postgres';
import { sslModeOf, sslParametersProblem, withEnvironmentSsl, withLibpqSslModes, withSslMode, withSystemRootCert } from '../../core/db/postgres-url';

describe('postgres:// URLs handed to pg', () => {
  it('ask pg for libpq sslmode meanings when the URL sets sslmode', () => {
    expect(withLibpqSslModes('postgres://u:p@db/s?sslmode=require')).toBe('postgres://u:p@db/s?sslmode=require&uselibpqcompat=true');
    expect(withLibpqSslModes('postgres://db/s?application_name=x&sslmode=verify-ca&sslrootcert=/ca.pem#f')).toBe('postgres://db/s?application_name=x&sslmode=verify-ca&sslrootcert=/ca.pem&uselibpqcompat=true#f');
    expect(withLibpqSslModes('postgres://db/s?sslmode=disable&')).toBe('postgres://db/s?sslmode=disable&uselibpqcompat=true');
  });

  it('leave a URL alone without sslmode, with its own uselibpqcompat, or with pg-only sslmode=no-verify', () => {
    for (const url of ['postgres://db/s', 'postgres://db/s?', 'postgres://db/s?application_name=x', 'postgres://db/s?sslmode=require&uselibpqcompat=false', 'postgres://db/s?sslmode=no-verify', 'postgres://db/s#sslmode=require']) {
      expect(withLibpqSslModes(url)).toBe(url);
    }
  });

  it('read and set sslmode without touching the rest', () => {
    expect(sslModeOf('postgres://db/s?x=1&sslmode=prefer#a')).toBe('prefer');
    expect(sslModeOf('postgres://db/s')).toBeNull();
    expect(withSslMode('postgres://u:p@db/s?sslmode=allow&x=1', 'disable')).toBe('postgres://u:p@db/s?sslmode=disable&x=1');
  });

  it("take libpq's TLS variables from the environment where the URL says nothing", () => {
    const env = { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: '/etc/ssl/my ca.pem', PGSSLCERT: '/c.pem', PGSSLKEY: '/k.pem' };
    const url = withEnvironmentSsl('postgres://u:p@db/s', env);
    expect(url).toBe('postgres://u:p@db/s?sslmode=verify-ca&sslrootcert=%2Fetc%2Fssl%2Fmy+ca.pem&sslcert=%2Fc.pem&sslkey=%2Fk.pem');
    expect(new URL(url).searchParams.get('sslrootcert')).toBe('/etc/ssl/my ca.pem');
    expect(withEnvironmentSsl('postgres://db/s?application_name=x#f', { PGSSLMODE: 'require' })).toBe('postgres://db/s?application_name=x&sslmode=require#f');
    expect(withEnvironmentSsl('postgres://db/s?', { PGSSLMODE: 'require' })).toBe('postgres://db/s?sslmode=require');
  });

  it('keep what the URL says over the environment, and leave the URL alone without the variables', () => {
    expect(withEnvironmentSsl('postgres://db/s?sslmode=disable', { PGSSLMODE: 'require', PGSSLROOTCERT: '/ca.pem' })).toBe('postgres://db/s?sslmode=disable&sslrootcert=%2Fca.pem');
    expect(withEnvironmentSsl('postgres://db/s?sslmode=require', { PGSSLMODE: 'verify-full' })).toBe('postgres://db/s?sslmode=require');
    for (const env of [{}, { PGSSLMODE: '' }, { PGHOST: 'elsewhere' }]) expect(withEnvironmentSsl('postgres://db/s', env)).toBe('postgres://db/s');
  });

  it('settle no URL but prefer/allow (no connection is made for the others)', async () => {
    for (const url of ['postgres://127.0.0.1:1/s', 'postgres://127.0.0.1:1/s?sslmode=require', 'postgres://127.0.0.1:1/s?sslmode=verify-full']) {
      expect(await settleSslFallback(url)).toBe(url);
    }
  });

  it('take sslrootcert=system as libpq 16 does: no file, verify-full, a weaker mode refused', () => {
    expect(withSystemRootCert('postgres://u:p@db/s?sslrootcert=system')).toBe('postgres://u:p@db/s?sslmode=verify-full');
    expect(withSystemRootCert('postgres://db/s?application_name=a&sslrootcert=system&sslmode=verify-full#f')).toBe('postgres://db/s?application_name=a&sslmode=verify-full#f');
    expect(withSystemRootCert(withEnvironmentSsl('postgres://db/s', { PGSSLROOTCERT: 'system' }))).toBe('postgres://db/s?sslmode=verify-full');
    expect(() => withSystemRootCert('postgres://db/s?sslmode=require&sslrootcert=system')).toThrow('sslrootcert=system needs sslmode=verify-full (or no sslmode), not sslmode=require');
    for (const url of ['postgres://db/s', 'postgres://db/s?sslrootcert=/ca.pem&sslmode=verify-ca']) expect(withSystemRootCert(url)).toBe(url);
    // PGSSLMODE is read when the store opens, after the configuration was checked.
    expect(() => withSystemRootCert(withEnvironmentSsl('postgres://db/s', { PGSSLMODE: 'requre' }))).toThrow('sslmode=requre is not an sslmode');
  });

  it('name a TLS parameter that cannot work', () => {
    expect(sslParametersProblem('postgres://db/s?sslmode=requir')).toBe('sslmode=requir is not an sslmode; expected one of disable, allow, prefer, require, verify-ca, verify-full, no-verify');
    expect(sslParametersProblem('postgres://db/s?sslmode=verify-ca&sslrootcert=system')).toBe('sslrootcert=system needs sslmode=verify-full (or no sslmode), not sslmode=verify-ca');
    for (const url of ['postgres://db/s', 'postgres://db/s?sslmode=no-verify', 'postgres://db/s?sslrootcert=system']) expect(sslParametersProblem(url)).toBeUndefined();
  });

  it('are redacted as written (the added parameter is never shown)', () => {
    expect(redactUrl('postgres://u:p@db/s?sslmode=require')).toBe('postgres://u:***@db/s?sslmode=require');
  });
});
