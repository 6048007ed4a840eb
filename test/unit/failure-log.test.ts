import { UpstreamFailureLog, type UpstreamFailure } from '../../proxy/failure-log';
import { capturedLogs } from '../helpers/log-capture';

function capture(): { log: UpstreamFailureLog; lines: Array<Record<string, unknown>> } {
  const { logger, lines } = capturedLogs('warn');
  return { log: new UpstreamFailureLog(logger, 50), lines };
}

const failure = (requestId: string, reason: UpstreamFailure['reason'] = 'timeout'): UpstreamFailure => ({ route: 'orders', target: 'new', upstream: 'orders', requestId, reason, status: 504 });

describe('UpstreamFailureLog: the first failure a line, the rest summed up per interval', () => {
  test('a burst is one line; the next line, an interval later, says how many failed meanwhile', async () => {
    const { log, lines } = capture();
    for (let i = 0; i < 5; i++) log.failed(failure(`r-${i}`));
    expect(lines.map((l) => [l.requestId, l.moreSinceLastLine])).toEqual([['r-0', undefined]]);
    await new Promise((r) => setTimeout(r, 60));
    log.failed(failure('r-5'));
    expect(lines.map((l) => [l.requestId, l.moreSinceLastLine])).toEqual([
      ['r-0', undefined],
      ['r-5', 4],
    ]);
    expect(lines[1]).toMatchObject({ level: 40, msg: 'upstream request failed', route: 'orders', target: 'new', upstream: 'orders', reason: 'timeout', status: 504 });
  });

  test('each route, side and reason has its own interval; a fallback says legacy answered', () => {
    const { log, lines } = capture();
    log.failed(failure('a', 'timeout'));
    log.failed(failure('b', 'connect-error'));
    log.failed({ ...failure('c', '5xx'), status: undefined }, true);
    expect(lines.map((l) => [l.requestId, l.reason, l.msg])).toEqual([
      ['a', 'timeout', 'upstream request failed'],
      ['b', 'connect-error', 'upstream request failed'],
      ['c', '5xx', 'new service failed; legacy answered instead (fallback)'],
    ]);
  });
});
