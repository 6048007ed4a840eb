import { redactUrl } from '../../core/config/redact';
import { settleSslFallback } from '../../core/db/postgres';
import { sslModeOf, withLibpqSslModes, withSslMode } from '../../core/db/postgres-url';

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

  it('settle no URL but prefer/allow (no connection is made for the others)', async () => {
    for (const url of ['postgres://127.0.0.1:1/s', 'postgres://127.0.0.1:1/s?sslmode=require', 'postgres://127.0.0.1:1/s?sslmode=verify-full']) {
      expect(await settleSslFallback(url)).toBe(url);
    }
  });

  it('are redacted as written (the added parameter is never shown)', () => {
    expect(redactUrl('postgres://u:p@db/s?sslmode=require')).toBe('postgres://u:***@db/s?sslmode=require');
  });
});
