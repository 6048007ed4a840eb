import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfigIssue, validateConfigFile } from '../../core/config';
import { createTestPki, type TestPki } from '../helpers/pki';

/** `upstreams.X.tls`: paths relative to the config file, files read and checked at load, one line per mistake. */
let pki: TestPki;
let configDir: string;

beforeAll(() => {
  pki = createTestPki('orders.internal');
  configDir = join(pki.dir, 'conf');
  mkdirSync(join(configDir, 'pki'), { recursive: true });
  for (const [from, to] of [
    [pki.caCert, 'ca.pem'],
    [pki.clientCert, 'client.pem'],
    [pki.clientKey, 'client.key'],
    [pki.encryptedKey, 'encrypted.key'],
    [pki.strangerKey, 'stranger.key'],
  ] as const) {
    copyFileSync(from, join(configDir, 'pki', to));
  }
  writeFileSync(join(configDir, 'pki', 'not-a-cert.pem'), 'hello\n');
  writeFileSync(join(configDir, 'pki', 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
});

afterAll(() => pki.remove());

/** A config whose `orders` upstream (line 4) has the given tls block (from line 5 on). */
function configWith(url: string, tlsLines: string): string {
  const file = join(configDir, 'strangler.yaml');
  writeFileSync(file, `admin: { token: correct-horse-battery }\nupstreams:\n  legacy: { url: http://127.0.0.1:3000 }\n  orders:\n    url: ${url}\n${tlsLines}`);
  return file;
}

function issues(file: string): string[] {
  const result = validateConfigFile(file, {});
  // Paths are printed absolute; the expectations read them relative to the config folder.
  return result.ok ? [] : result.issues.map((issue) => formatConfigIssue(issue).split(`${configDir}/`).join(''));
}

describe('upstreams.X.tls', () => {
  test('ca, cert, key and servername load, the paths resolved against the config file folder', () => {
    const file = configWith('https://10.0.0.7:8443', '    tls:\n      ca: pki/ca.pem\n      cert: ./pki/client.pem\n      key: pki/client.key\n      servername: orders.internal\n');
    const result = validateConfigFile(file, {});
    if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join('\n'));
    expect(result.config.upstreams.orders!.tls).toEqual({
      ca: join(configDir, 'pki', 'ca.pem'),
      cert: join(configDir, 'pki', 'client.pem'),
      key: join(configDir, 'pki', 'client.key'),
      servername: 'orders.internal',
    });
    expect(result.config.upstreams.legacy!.tls).toBeUndefined();
  });

  test.each([
    ['a tls block on an http:// upstream', 'http://127.0.0.1:4000', '    tls: { ca: pki/ca.pem }\n', ['strangler.yaml:6 upstreams.orders.tls: applies to https:// upstreams only (url is "http://127.0.0.1:4000")']],
    ['an unknown key', 'https://orders.internal', '    tls:\n      ca: pki/ca.pem\n      verify: false\n', ['strangler.yaml:8 upstreams.orders.tls: unknown key "verify" (expected one of: ca, cert, key, servername)']],
    ['a missing file', 'https://orders.internal', '    tls: { ca: pki/nope.pem }\n', [`strangler.yaml:6 upstreams.orders.tls.ca: pki/nope.pem: no such file`]],
    ['a folder', 'https://orders.internal', '    tls: { ca: pki }\n', ['strangler.yaml:6 upstreams.orders.tls.ca: pki: is a folder, expected a PEM file']],
    ['a file without certificates', 'https://orders.internal', '    tls: { ca: pki/not-a-cert.pem }\n', ['strangler.yaml:6 upstreams.orders.tls.ca: pki/not-a-cert.pem: no PEM certificate in it (expected "-----BEGIN CERTIFICATE-----" blocks)']],
    ['a damaged certificate', 'https://orders.internal', '    tls: { ca: pki/broken.pem }\n', ['strangler.yaml:6 upstreams.orders.tls.ca: pki/broken.pem: certificate 1 of 1 is not a valid X.509 certificate']],
    ['a certificate given as the key', 'https://orders.internal', '    tls: { cert: pki/client.pem, key: pki/ca.pem }\n', ['strangler.yaml:6 upstreams.orders.tls.key: pki/ca.pem: no PEM private key in it (expected "-----BEGIN PRIVATE KEY-----")']],
    ['an encrypted key', 'https://orders.internal', '    tls: { cert: pki/client.pem, key: pki/encrypted.key }\n', ['strangler.yaml:6 upstreams.orders.tls.key: pki/encrypted.key: the private key is encrypted; give an unencrypted one (openssl pkey -in KEY -out KEY.plain)']],
    ['a key of another certificate', 'https://orders.internal', '    tls:\n      cert: pki/client.pem\n      key: pki/stranger.key\n', ['strangler.yaml:8 upstreams.orders.tls.key: pki/stranger.key: the private key does not belong to the certificate in pki/client.pem']],
    ['a cert without its key', 'https://orders.internal', '    tls:\n      cert: pki/client.pem\n', ['strangler.yaml:7 upstreams.orders.tls.key: is required with tls.cert (a client certificate needs its private key, and the key its certificate)']],
    ['a key without its cert', 'https://orders.internal', '    tls: { key: pki/client.key }\n', ['strangler.yaml:6 upstreams.orders.tls.cert: is required with tls.key (a client certificate needs its private key, and the key its certificate)']],
    ['an IP address as servername', 'https://orders.internal', '    tls: { servername: 10.0.0.7 }\n', ['strangler.yaml:6 upstreams.orders.tls.servername: must be a DNS name (SNI carries no IP addresses), got "10.0.0.7"']],
    ['a servername that is not a host name', 'https://orders.internal', '    tls: { servername: "orders internal" }\n', ['strangler.yaml:6 upstreams.orders.tls.servername: must be a DNS name such as orders.internal, got "orders internal"']],
  ])('%s is reported on its line', (_case, url, tlsLines, expected) => {
    expect(issues(configWith(url, tlsLines))).toEqual(expected);
  });
});
