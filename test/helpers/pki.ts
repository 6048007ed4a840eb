import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway private PKI made with openssl (P-256 keys, valid two days): a CA, a server certificate for
 * `serverName` signed by it, a client certificate signed by it, and an unrelated self-signed certificate.
 * Every value is a file path in `dir`.
 */
export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The client key, encrypted with a passphrase. */
  encryptedKey: string;
  /** A self-signed certificate with its own key: trusted by nobody, matches nothing above. */
  strangerCert: string;
  strangerKey: string;
  remove(): void;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

function newKey(file: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

export function createTestPki(serverName: string): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'strangler-pki-'));
  const at = (name: string): string => join(dir, name);
  newKey(at('ca.key'));
  openssl(['req', '-x509', '-key', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=strangler test CA']);

  const issue = (name: string, subject: string, extensions: string): void => {
    newKey(at(`${name}.key`));
    openssl(['req', '-new', '-key', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject]);
    writeFileSync(at(`${name}.ext`), extensions);
    openssl(['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at(`${name}.pem`), '-days', '2', '-extfile', at(`${name}.ext`)]);
  };
  issue('server', `/CN=${serverName}`, `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth\n`);
  issue('client', '/CN=strangler-proxy', 'extendedKeyUsage=clientAuth\n');
  openssl(['pkey', '-in', at('client.key'), '-aes256', '-passout', 'pass:secret', '-out', at('client.encrypted.key')]);

  newKey(at('stranger.key'));
  openssl(['req', '-x509', '-key', at('stranger.key'), '-out', at('stranger.pem'), '-days', '2', '-subj', '/CN=stranger']);

  return {
    dir,
    caCert: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    encryptedKey: at('client.encrypted.key'),
    strangerCert: at('stranger.pem'),
    strangerKey: at('stranger.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
