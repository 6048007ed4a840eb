/**
 * Response bodies as the diff sees them: decoded by `content-encoding`, then parsed as JSON when they are.
 * Synchronous node:zlib; never throws for bad input (errors are values).
 */
import { isUtf8 } from 'node:buffer';
import * as zlib from 'node:zlib';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { decimalOfToken, ExactDecimal, sameNumber } from './exact-decimal';

/**
 * `limit`: the body may well be fine, this comparer could not decode it (a coding it does not support,
 * or larger than maxDecodedBytes decoded); otherwise the body is broken.
 */
export type DecodeResult = { body: Buffer } | { error: string; limit: boolean };

const DEFAULT_MAX_DECODED = 16 * 1024 * 1024;

type Decompress = (body: Buffer, options: { maxOutputLength: number }) => Buffer;
/** Node 22.15 and later decode zstd (RFC 8878, sent by Chrome-era servers); older ones cannot. */
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: Decompress }).zstdDecompressSync;

/**
 * Undoes `content-encoding`: `gzip`/`x-gzip`, `br`, `deflate` (zlib-wrapped, falling back to raw deflate,
 * which some servers send), `identity`; several codings comma-separated are undone last first.
 * `zstd` where the runtime has it (Node 22.15+). An empty body stays empty whatever the header says
 * (HEAD, 204, 304). The decoded size is capped at `maxBytes`. Unknown codings (`compress`, …) are errors.
 */
export function decodeBody(body: Buffer, contentEncoding: string | readonly string[] | undefined, maxBytes = DEFAULT_MAX_DECODED): DecodeResult {
  if (contentEncoding === undefined || body.length === 0) return { body };
  const header = typeof contentEncoding === 'string' ? contentEncoding : contentEncoding.join(',');
  if (header === '' || header === 'identity') return { body };
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  let current = body;
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i];
    const options = { maxOutputLength: maxBytes };
    try {
      switch (coding) {
        case 'gzip':
        case 'x-gzip':
          current = gunzipSync(current, options);
          break;
        case 'br':
          current = brotliDecompressSync(current, options);
          break;
        case 'deflate':
          try {
            current = inflateSync(current, options);
          } catch (zlibError) {
            try {
              current = inflateRawSync(current, options);
            } catch (rawError) {
              // Raw deflate that is only too large says so; otherwise the zlib wrapper's error is the telling one.
              throw tooLarge(rawError) ? rawError : zlibError;
            }
          }
          break;
        case 'zstd':
          if (!zstdDecompressSync) return { error: `content-encoding "zstd" needs Node 22.15 or later (this is ${process.version})`, limit: true };
          current = zstdDecompressSync(current, options);
          break;
        default:
          return { error: `unsupported content-encoding ${JSON.stringify(coding)}`, limit: true };
      }
    } catch (error) {
      const limit = tooLarge(error);
      return { error: `${coding}: ${limit ? `decoded body larger than ${maxBytes} bytes` : errorText(error)}`, limit };
    }
  }
  return { body: current };
}

function tooLarge(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'ERR_BUFFER_TOO_LARGE' || code === 'ERR_OUT_OF_RANGE';
}

function errorText(error: unknown): string {
  return (error as { message?: string } | undefined)?.message ?? String(error);
}

/** `application/json`, `text/json` and any `…/…+json` media type (parameters ignored, any case). */
export function isJsonContentType(contentType: string | readonly string[] | undefined): boolean {
  if (contentType === undefined) return false;
  const value = typeof contentType === 'string' ? contentType : contentType[0] ?? '';
  const semi = value.indexOf(';');
  const media = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  return media === 'application/json' || media === 'text/json' || (media.endsWith('+json') && media.includes('/'));
}

/** First byte that is not JSON white space (after a UTF-8 BOM) is `{` or `[`. */
export function looksLikeJson(body: Buffer): boolean {
  let i = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  for (; i < body.length; i++) {
    const c = body[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}

/** Returned by `parseJsonBody` for bodies that are not JSON. */
export const NOT_JSON: unique symbol = Symbol('not JSON');

/**
 * The parsed body when the content type says JSON or the body looks like JSON and it parses (UTF-8, BOM
 * skipped); `NOT_JSON` otherwise (including invalid JSON under a JSON content type, and empty bodies).
 */
export function parseJsonBody(body: Buffer, contentType: string | readonly string[] | undefined): unknown {
  if (body.length === 0 || (!isJsonContentType(contentType) && !looksLikeJson(body))) return NOT_JSON;
  let text = bodyText(body, contentType);
  if (text === undefined) return NOT_JSON;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return EXACT_NUMBERS_NEEDED.test(text) ? parseWithExactNumbers(text) : JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/**
 * The body as text, losing nothing: in its declared charset (`iso-8859-1`, `windows-1252`, …), else as
 * UTF-8 when it is valid UTF-8, else one character per byte. A lossy UTF-8 decoding would turn Latin-1's
 * `Zürich` and `Zärich` into the same `Z\ufffdrich`. Undefined for a charset this runtime cannot decode.
 */
export function bodyText(body: Buffer, contentType: string | readonly string[] | undefined): string | undefined {
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
    try {
      return new TextDecoder(charset, { fatal: true }).decode(body);
    } catch {
      return undefined;
    }
  }
  return isUtf8(body) ? body.toString('utf8') : body.toString('latin1');
}

function charsetOf(contentType: string | readonly string[] | undefined): string | undefined {
  const value = typeof contentType === 'string' ? contentType : contentType?.[0];
  if (value === undefined || !value.includes('charset')) return undefined;
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(value);
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * Numbers a double cannot tell apart need 16 significant digits or more (`9007199254740993`,
 * `0.1234567890123456789`), or an exponent of three digits (`1e400`, `1.2345e-320`); without any, JSON.parse
 * loses nothing. An exponent follows a digit and ends at a delimiter, so hex ids such as `c2e431ab` do not
 * send a body the slow way.
 */
const EXACT_NUMBERS_NEEDED = /\d(?:\.?\d){15}|\d[eE][+-]?\d{3,}(?![\w.])/;
const SAFE_LIMIT = BigInt(Number.MAX_SAFE_INTEGER);
/** Integers up to 10^400 × their digits become bigints; past that, an ExactDecimal keeps them small. */
const BIGINT_EXPONENT_LIMIT = 400;
/** Stands in for an exact number while JSON.parse runs; the nonce keeps a string in a body from being taken for one. */
const EXACT_MARK = `\u0000num${Math.random().toString(36).slice(2, 10)}:`;
const EXACT_MARK_SOURCE = EXACT_MARK.replace('\u0000', '\\u0000');

/**
 * JSON.parse, except that numbers a double cannot hold keep their exact value: integers beyond 2^53 (ids
 * such as Twitter-style ids, 20-digit amounts) become bigints, so that 9007199254740993 and
 * 9007199254740992 differ; fractions a double would round (`0.123456789012345678`, `12345678901234567.5`,
 * `1.5e-400`) become ExactDecimals. Each such number is put in a marked string first, replaced by its
 * exact value once JSON.parse is done. Throws what JSON.parse throws.
 */
function parseWithExactNumbers(text: string): unknown {
  let source = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  const exactValues: Array<bigint | ExactDecimal> = [];
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      while (i < n && isNumberCharacter(text.charCodeAt(i))) i++;
      const exact = exactNumber(text.slice(start, i));
      if (exact !== undefined) {
        source += text.slice(copied, start) + '"' + EXACT_MARK_SOURCE + exactValues.length + '"';
        exactValues.push(exact);
        copied = i;
      }
    } else {
      i++;
    }
  }
  if (copied === 0) return JSON.parse(text);
  return withExactValues(JSON.parse(source + text.slice(copied)), exactValues);
}

/**
 * Puts the exact values in place of their marked strings, walking with a stack of its own: a JSON.parse
 * reviver recurses, and thousands of levels of nesting would overflow the call stack where JSON.parse
 * itself does not.
 */
function withExactValues(root: unknown, exactValues: ReadonlyArray<bigint | ExactDecimal>): unknown {
  const exact = (value: unknown): unknown => (typeof value === 'string' && value.startsWith(EXACT_MARK) ? exactValues[Number(value.slice(EXACT_MARK.length))] : value);
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const container = pending.pop();
    if (typeof container !== 'object' || container === null) continue;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const value: unknown = container[i];
        if (typeof value === 'object') pending.push(value);
        else container[i] = exact(value);
      }
    } else {
      const record = container as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const value = record[key];
        if (typeof value === 'object') pending.push(value);
        else record[key] = exact(value);
      }
    }
  }
  return exact(root);
}

/**
 * The exact value of a number token when a double would not hold it: a bigint for an integer beyond 2^53
 * (`12345678901234567.0` and `1.2345678901234567E16` are the integer 12345678901234567, as a serialiser
 * writing BigDecimal may put it), an ExactDecimal for a fraction a double would round or an integer past
 * 10^400; undefined when the double is exact.
 */
function exactNumber(token: string): bigint | ExactDecimal | undefined {
  // Up to 15 characters without an exponent: at most 15 digits, which a double holds exactly.
  if (token.length <= 15 && !/[eE]/.test(token)) return undefined;
  const value = decimalOfToken(token);
  if (value === undefined) return undefined;
  if (value.exponent >= 0) {
    if (value.exponent > BIGINT_EXPONENT_LIMIT) return value;
    const integer = value.coefficient * 10n ** BigInt(value.exponent);
    return integer > SAFE_LIMIT || integer < -SAFE_LIMIT ? integer : undefined;
  }
  return sameNumber(value, Number(token)) ? undefined : value;
}

function isNumberCharacter(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e /* . */ || c === 0x65 /* e */ || c === 0x45 /* E */ || c === 0x2b /* + */ || c === 0x2d /* - */;
}
