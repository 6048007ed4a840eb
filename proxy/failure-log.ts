import type { Logger } from '../core/logging';
import type { UpstreamErrorReason } from './metrics';

export interface UpstreamFailure {
  route: string;
  target: string;
  upstream: string;
  requestId: string;
  reason: UpstreamErrorReason;
  /** What the client got: 502, 504, or the status of the answer that was cut; none for a fallback (legacy answers). */
  status?: number;
  /** What failed, when known (a WebSocket handshake's reason). */
  detail?: string;
}

/**
 * One log line per failing route, side and reason, then at most one per interval with how many more failed
 * meanwhile: the request id a client reports can be found, and an outage at 1,000 req/s does not write
 * 1,000 lines a second.
 */
export class UpstreamFailureLog {
  private readonly lastLogged = new Map<string, { at: number; since: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  failed(failure: UpstreamFailure, fellBack = false): void {
    const key = `${failure.route}\u0000${failure.target}\u0000${failure.reason}`;
    const now = Date.now();
    const last = this.lastLogged.get(key);
    if (last && now - last.at < this.intervalMs) {
      last.since++;
      return;
    }
    const more = last && last.since > 0 ? { moreSinceLastLine: last.since } : {};
    this.logger.warn({ ...failure, ...more }, fellBack ? 'new service failed; legacy answered instead (fallback)' : 'upstream request failed');
    this.lastLogged.set(key, { at: now, since: 0 });
  }
}
