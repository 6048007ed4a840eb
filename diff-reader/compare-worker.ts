/**
 * The comparison worker's program (ComparePool starts it from dist/): compares the answers of large
 * exchanges with the engine, off the proxy's event loop. Only the pure part runs here; the noise model and
 * the records stay on the proxy's thread.
 */
import { parentPort } from 'node:worker_threads';
import { compareExchange, compileDiffOptions, type CompiledDiffOptions, type DiffOptions, type ExchangeOutcome, type HttpSnapshot } from './engine';

/** An answer as sent to the worker: its body in an ArrayBuffer of its own, transferred. */
export interface WireSnapshot {
  status: number;
  headers: HttpSnapshot['headers'];
  body: ArrayBuffer;
}

export interface CompareRequest {
  id: number;
  route: string;
  options: DiffOptions;
  legacy: WireSnapshot;
  candidate: WireSnapshot;
  secondary?: WireSnapshot;
}

/** The outcome, or `failure`: the engine threw something other than a NotComparableError. */
export type CompareReply = (ExchangeOutcome & { id: number }) | { id: number; failure: string };

/** Compiled options per route, with the configuration they were compiled from. */
const compiled = new Map<string, { source: string; options: CompiledDiffOptions }>();

function optionsFor(route: string, options: DiffOptions): CompiledDiffOptions {
  const source = JSON.stringify(options);
  let entry = compiled.get(route);
  if (entry?.source !== source) {
    entry = { source, options: compileDiffOptions(options) };
    compiled.set(route, entry);
  }
  return entry.options;
}

function snapshot(answer: WireSnapshot): HttpSnapshot {
  return { status: answer.status, headers: answer.headers, body: Buffer.from(answer.body) };
}

function answer(request: CompareRequest): CompareReply {
  try {
    const options = optionsFor(request.route, request.options);
    const secondary = request.secondary === undefined ? undefined : snapshot(request.secondary);
    return { id: request.id, ...compareExchange(snapshot(request.legacy), snapshot(request.candidate), secondary, options) };
  } catch (err) {
    return { id: request.id, failure: err instanceof Error ? err.message : String(err) };
  }
}

const port = parentPort;
if (port) port.on('message', (request: CompareRequest) => port.postMessage(answer(request)));
