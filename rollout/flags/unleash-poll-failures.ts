import { redactUrl, redactUrlsIn } from '../../core/config/redact';

/** A failed poll, as unleash-client reports it. */
export type PollFailure =
  | { kind: 'unauthorized'; status: number }
  /** Unleash (or something in front of it) answered with a status that is not 2xx, 304, 401 or 403. */
  | { kind: 'status'; status: number }
  /** The connection was reset: a load balancer or port-forward in front of a dead Unleash. */
  | { kind: 'reset' }
  /** No answer: refused, timed out, no such host, or a body that could not be read. */
  | { kind: 'fetch'; message: string };

/** unleash-client (`Unleash`) puts this before the message of every error its polling reports. */
const REPOSITORY_ERROR = 'Unleash Repository error: ';

/**
 * unleash-client 6.12's polling fetcher (repository/polling-fetcher.js) reports as errors: a 401/403
 * ("<url> responded 401 which means your API key is not allowed…", and polling stops), any status it has
 * no backoff for ("Response was not statusCode 2XX, but was 400"), and the fetch's own failure. Errors that
 * are not from polling (a malformed flag met by isEnabled) say nothing about Unleash being reachable.
 */
export function pollErrorFailure(err: Error): PollFailure | undefined {
  if (!err.message.startsWith(REPOSITORY_ERROR)) return undefined;
  const message = err.message.slice(REPOSITORY_ERROR.length);
  const refused = /responded (401|403)\b/.exec(message)?.[1];
  if (refused) return { kind: 'unauthorized', status: Number(refused) };
  const status = /^Response was not statusCode 2XX, but was (\d{3})\b/.exec(message)?.[1];
  if (status) return { kind: 'status', status: Number(status) };
  return { kind: 'fetch', message };
}

/**
 * The same fetcher reports as warnings the answers it backs off after ("<url> responded FILE_NOT_FOUND (404).
 * Backing off", TOO_MANY_CONNECTIONS (429), "responded 503. Backing off") and a reset connection ("Socket keep
 * alive error, retrying in 1000ms"). Its other warnings (isEnabled before the first data) are not polls.
 */
export function pollWarningFailure(message: string): PollFailure | undefined {
  const status = /responded (?:[A-Z_]+ \()?(\d{3})\b/.exec(message)?.[1];
  if (status) return { kind: 'status', status: Number(status) };
  if (message.startsWith('Socket keep alive error')) return { kind: 'reset' };
  return undefined;
}

/** The metric reason a failed poll counts under, and what health and the log say about it (`unleashUrl`: flags.url). */
export function describeFailure(
  failure: Exclude<PollFailure, { kind: 'unauthorized' }>,
  unleashUrl: string,
): { reason: 'unreachable' | 'http-error'; what: string } {
  const url = redactUrl(unleashUrl);
  switch (failure.kind) {
    case 'status':
      return { reason: 'http-error', what: `${failure.status} from ${url}/api/client/features${failure.status === 404 ? ': check flags.url' : ''}` };
    case 'reset':
      return { reason: 'unreachable', what: `connection reset (ECONNRESET) by ${url}` };
    case 'fetch':
      return { reason: 'unreachable', what: redactUrlsIn(failure.message) };
  }
}
