/**
 * The PEM files of an upstream's `tls` block: read and checked when the configuration is loaded (so
 * `strangler config validate` reports them with their line) and read again when the proxy starts.
 * Messages name the file and what is wrong with it, never its contents.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { UpstreamTlsConfig } from './types';

export type PemKind = 'certificates' | 'private key';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The file's bytes if it holds what `kind` says; throws an Error whose message says what is wrong. */
export function readPemFile(path: string, kind: PemKind): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: no such file`);
    if (code === 'EACCES') throw new Error(`${path}: not readable (permission denied)`);
    if (code === 'EISDIR') throw new Error(`${path}: is a folder, expected a PEM file`);
    throw new Error(`${path}: cannot be read (${code ?? (err as Error).message})`);
  }
  const text = bytes.toString('latin1');
  if (kind === 'certificates') {
    const blocks = text.match(CERTIFICATE_BLOCK);
    if (!blocks) throw new Error(`${path}: no PEM certificate in it (expected "-----BEGIN CERTIFICATE-----" blocks)`);
    blocks.forEach((block, index) => {
      try {
        new X509Certificate(block);
      } catch {
        throw new Error(`${path}: certificate ${index + 1} of ${blocks.length} is not a valid X.509 certificate`);
      }
    });
    return bytes;
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw new Error(`${path}: the private key is encrypted; give an unencrypted one (openssl pkey -in KEY -out KEY.plain)`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw new Error(`${path}: no PEM private key in it (expected "-----BEGIN PRIVATE KEY-----")`);
  try {
    createPrivateKey(bytes);
  } catch {
    throw new Error(`${path}: the private key cannot be read (damaged PEM?)`);
  }
  return bytes;
}

/** The TLS context for an upstream's files: throws if `cert` and `key` do not belong together. */
export function upstreamSecureContext(files: UpstreamTlsConfig): SecureContext {
  const ca = files.ca === undefined ? undefined : readPemFile(files.ca, 'certificates');
  const cert = files.cert === undefined ? undefined : readPemFile(files.cert, 'certificates');
  const key = files.key === undefined ? undefined : readPemFile(files.key, 'private key');
  // The first certificate of a chain file is the client's own.
  if (cert && key && !new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
    throw new Error(`${files.key}: the private key does not belong to the certificate in ${files.cert}`);
  }
  return createSecureContext({ ca, cert, key });
}
