/**
 * The report worker's program (ReportPool starts it from dist/): builds a diff report's model from the counts
 * and examples the proxy read, off the proxy's event loop. The rows come in parts (each part's copy is short
 * on the proxy's thread), then one `build` with the options (and the counts' span, when they were summed).
 */
import { parentPort } from 'node:worker_threads';
import type { ComparisonCount, ComparisonRecord, CountSpan, LatencyCount } from '../../core/comparison';
import { buildReportFromCounts, type DiffReport, type DiffReportOptions } from './model';

export type ReportRequest =
  | { id: number; kind: 'part'; counts: ComparisonCount[]; latency: LatencyCount[]; examples: ComparisonRecord[] }
  | { id: number; kind: 'build'; options: DiffReportOptions; span?: CountSpan | null };

/** The report, or `failure`: what building it threw. */
export type ReportReply = { id: number; report: DiffReport } | { id: number; failure: string };

interface Received {
  counts: ComparisonCount[];
  latency: LatencyCount[];
  examples: ComparisonRecord[];
}

const received = new Map<number, Received>();

function receive(request: ReportRequest): ReportReply | undefined {
  let input = received.get(request.id);
  if (!input) received.set(request.id, (input = { counts: [], latency: [], examples: [] }));
  if (request.kind === 'part') {
    for (const count of request.counts) input.counts.push(count);
    for (const latency of request.latency) input.latency.push(latency);
    for (const example of request.examples) input.examples.push(example);
    return undefined;
  }
  received.delete(request.id);
  try {
    const built = request.span === undefined ? input : { ...input, span: request.span };
    return { id: request.id, report: buildReportFromCounts(built, request.options) };
  } catch (err) {
    return { id: request.id, failure: err instanceof Error ? err.message : String(err) };
  }
}

const port = parentPort;
if (port) {
  port.on('message', (request: ReportRequest) => {
    const reply = receive(request);
    if (reply) port.postMessage(reply);
  });
}
