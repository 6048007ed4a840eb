import type { ComparisonRecord } from '../core/comparison';
import type { RouteConfig, ShadowConfig } from '../core/config/types';
import { type CompareJob, type ComparePool, WorkerStoppedError } from './compare-pool';
import { classify, compareExchange, compileDiffOptions, headerValue, NoiseModel, type CompiledDiffOptions, type DiffOptions, type ExchangeOutcome, type HttpSnapshot } from './engine';

/** Bodies of an exchange (legacy's, the new service's, a noise sample) that together hold this many bytes are compared off the event loop. */
export const OFF_LOOP_BODY_BYTES = 64 * 1024;
/** A content-encoded body this large may decode to far more (up to shadow.maxDecodedBytes): compared off the event loop. */
export const OFF_LOOP_ENCODED_BYTES = 8 * 1024;

/** What the proxy hands over for one shadowed request (legacy's answer, the new service's, maybe legacy's second). */
export interface ComparisonInput {
  route: RouteConfig;
  shadow: ShadowConfig;
  requestId: string;
  method: string;
  target: string;
  at: Date;
  legacy: HttpSnapshot & { ms: number };
  candidate: (HttpSnapshot & { ms: number }) | { error: string; ms: number };
  secondary?: HttpSnapshot & { ms: number };
  /**
   * The copy waited behind others on a pipelined connection (upstreams' shadowPipelining): its `ms` includes
   * that wait, so it is no sample of the new service's latency and the record carries no candidateMs.
   */
  candidateWaited?: boolean;
}

/**
 * Turns exchanges into comparison records: structural diff with the route's options, then Diffy's
 * noise cancellation (a per-request second legacy answer, and what the route's noise model learned).
 */
export class Comparator {
  private readonly options = new Map<string, CompiledDiffOptions>();
  private readonly models = new Map<string, NoiseModel>();

  compare(input: ComparisonInput): ComparisonRecord {
    const candidate = input.candidate;
    if ('error' in candidate) return errorRecord(input, candidate.error, candidate.ms);
    return this.recordOf(input, candidate, compareExchange(input.legacy, candidate, noiseSample(input), this.optionsFor(input.route, input.shadow)));
  }

  /**
   * Compares on `pool`'s worker thread (large exchanges: see comparedOffLoop); the record is made here, as
   * compare() makes it. Undefined when the pool's backlog is full: the exchange is not compared.
   */
  compareOffLoop(input: ComparisonInput, pool: ComparePool): Promise<ComparisonRecord> | undefined {
    const candidate = input.candidate;
    if ('error' in candidate) return Promise.resolve(errorRecord(input, candidate.error, candidate.ms));
    const secondary = noiseSample(input);
    const job: CompareJob = { route: input.route.name, options: diffOptionsOf(input.shadow), legacy: input.legacy, candidate };
    if (secondary) job.secondary = secondary;
    return pool.compare(job)?.then(
      (outcome) => this.recordOf(input, candidate, outcome),
      (err: Error) => {
        if (err instanceof WorkerStoppedError) return errorRecord(input, err.message, candidate.ms, candidate.status);
        throw err;
      },
    );
  }

  /**
   * The record of compared answers, wherever they were compared: the route's noise model learns from them,
   * then classifies the differences.
   */
  private recordOf(input: ComparisonInput, candidate: HttpSnapshot & { ms: number }, outcome: ExchangeOutcome): ComparisonRecord {
    const { candidate: primaryVsCandidate, secondary: sampled } = outcome;
    if (typeof primaryVsCandidate === 'string') return errorRecord(input, primaryVsCandidate, candidate.ms, candidate.status);
    const model = this.modelFor(input.route.name, input.shadow);
    const primaryVsSecondary = typeof sampled === 'string' ? undefined : sampled;
    model.observe(primaryVsCandidate, primaryVsSecondary);
    const classified = classify(primaryVsCandidate, primaryVsSecondary, model);
    // Plain object literals, no spreads: this runs for every shadowed request.
    return {
      requestId: input.requestId,
      route: input.route.name,
      method: input.method,
      target: input.target,
      at: isoTime(input.at),
      result: classified.result,
      legacyStatus: input.legacy.status,
      candidateStatus: candidate.status,
      legacyMs: round(input.legacy.ms),
      candidateMs: candidateLatency(input, candidate.ms),
      differences: classified.differences,
      noise: classified.noise,
    };
  }

  /** Compiles a route's diff options now, so a bad option stops the start instead of the first comparison. */
  prepare(route: RouteConfig, shadow: ShadowConfig): void {
    this.optionsFor(route, shadow);
    this.modelFor(route.name, shadow);
  }

  private optionsFor(route: RouteConfig, shadow: ShadowConfig): CompiledDiffOptions {
    let compiled = this.options.get(route.name);
    if (!compiled) {
      compiled = compileDiffOptions(diffOptionsOf(shadow));
      this.options.set(route.name, compiled);
    }
    return compiled;
  }

  private modelFor(route: string, shadow: ShadowConfig): NoiseModel {
    let model = this.models.get(route);
    if (!model) {
      model = new NoiseModel({ relativeThreshold: shadow.noiseThresholds.relative, absoluteThreshold: shadow.noiseThresholds.absolute });
      this.models.set(route, model);
    }
    return model;
  }
}

/** A route's diff options as configured: compiled here for inline comparisons, in the worker for the others. */
function diffOptionsOf(shadow: ShadowConfig): DiffOptions {
  return {
    ignore: shadow.ignore,
    unordered: shadow.unordered,
    mapKeys: shadow.mapKeys,
    numericTolerance: shadow.numericTolerance,
    headers: shadow.headers,
    maxDecodedBytes: shadow.maxDecodedBytes,
    ...(shadow.timestampToleranceMs === undefined ? {} : { timestampToleranceMs: shadow.timestampToleranceMs }),
  };
}

/**
 * Legacy's second answer, when it is a noise sample. Legacy answering its second request with another status
 * (a 503 or 429 under the doubled load) says nothing about which fields vary: taken as a noise sample, it
 * would excuse every difference, the new service's own 5xx included, and teach the model so for later requests.
 */
function noiseSample(input: ComparisonInput): (HttpSnapshot & { ms: number }) | undefined {
  return input.secondary !== undefined && input.secondary.status === input.legacy.status ? input.secondary : undefined;
}

/**
 * Whether an exchange is compared on the worker thread: its bodies together hold OFF_LOOP_BODY_BYTES or more,
 * or one is content-encoded and holds OFF_LOOP_ENCODED_BYTES or more. Smaller ones (~10 µs for 1 KB) inline.
 */
export function comparedOffLoop(input: ComparisonInput): boolean {
  const candidate = input.candidate;
  if ('error' in candidate) return false;
  const secondary = noiseSample(input);
  const bytes = input.legacy.body.length + candidate.body.length + (secondary?.body.length ?? 0);
  if (bytes >= OFF_LOOP_BODY_BYTES) return true;
  return encodedAndLarge(input.legacy) || encodedAndLarge(candidate) || (secondary !== undefined && encodedAndLarge(secondary));
}

function encodedAndLarge(answer: HttpSnapshot): boolean {
  if (answer.body.length < OFF_LOOP_ENCODED_BYTES) return false;
  const coding = headerValue(answer.headers, 'content-encoding')?.trim().toLowerCase();
  return coding !== undefined && coding !== '' && coding !== 'identity';
}

/** The new service's latency for the record: none from a copy whose time includes waiting behind others. */
function candidateLatency(input: ComparisonInput, ms: number): number | undefined {
  return input.candidateWaited ? undefined : round(ms);
}

function errorRecord(input: ComparisonInput, error: string, candidateMs: number, candidateStatus?: number): ComparisonRecord {
  const record: ComparisonRecord = {
    requestId: input.requestId,
    route: input.route.name,
    method: input.method,
    target: input.target,
    at: isoTime(input.at),
    result: 'error',
    legacyStatus: input.legacy.status,
    legacyMs: round(input.legacy.ms),
    candidateMs: candidateLatency(input, candidateMs),
    differences: [],
    noise: [],
    error,
  };
  if (candidateStatus !== undefined) record.candidateStatus = candidateStatus;
  return record;
}

let lastIsoMs = -1;
let lastIso = '';

/** Many comparisons share a millisecond under load: the ISO string is made once per millisecond. */
function isoTime(at: Date): string {
  const ms = at.getTime();
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = at.toISOString();
  }
  return lastIso;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
