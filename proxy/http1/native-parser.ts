/**
 * Node's own HTTP/1 parser (llhttp compiled into the node binary), the one node:http's client uses.
 * It is not a documented API (node:http's client has used it unchanged since Node 12), so only what this
 * client needs is typed here and checked at load; the data-path tests exercise it on every run.
 */
type Callback = (...args: never[]) => unknown;

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  /** Bytes parsed, or the parse error (with `code`, e.g. HPE_INVALID_CONSTANT). */
  execute(data: Buffer): number | Error;
  /** Ends the input (EOF): completes a response delimited by the connection closing. */
  finish(): number | Error | undefined;
  close(): void;
  [callback: number]: Callback;
}

interface NativeParserClass {
  new (): NativeParser;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kLenientNone: number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { HTTPParser } = require('_http_common') as { HTTPParser?: NativeParserClass };
if (typeof HTTPParser !== 'function' || typeof HTTPParser.kOnMessageBegin !== 'number') {
  throw new Error(`strangler: this Node.js (${process.version}) has no usable HTTP parser; use the Node version in package.json engines`);
}
const Parser: NativeParserClass = HTTPParser;

export interface ResponseParserEvents {
  /** A message starts (its first byte arrived). */
  messageBegin(): void;
  /** Header lines delivered early (long heads, split reads) and trailers, as [name, value, …]. */
  headers(raw: string[]): void;
  /** Returns 1 to tell the parser the response has no body (HEAD, 204, 304, 1xx). */
  headersComplete(raw: string[] | undefined, statusCode: number, statusMessage: string, keepAlive: boolean): number;
  body(chunk: Buffer): void;
  messageComplete(): void;
}

/** A strict (not lenient) response parser calling `events`; limits the head to Node's default 16 KB. */
export function createResponseParser(events: ResponseParserEvents): NativeParser {
  const parser = new Parser();
  parser.initialize(Parser.RESPONSE, {}, 0, Parser.kLenientNone);
  parser[Parser.kOnMessageBegin] = () => events.messageBegin();
  parser[Parser.kOnHeaders] = (raw: string[]) => events.headers(raw);
  parser[Parser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    raw: string[] | undefined,
    _method: undefined,
    _url: undefined,
    statusCode: number,
    statusMessage: string,
    _upgrade: boolean,
    keepAlive: boolean,
  ) => events.headersComplete(raw, statusCode, statusMessage, keepAlive);
  parser[Parser.kOnBody] = (chunk: Buffer) => events.body(chunk);
  parser[Parser.kOnMessageComplete] = () => events.messageComplete();
  return parser;
}
