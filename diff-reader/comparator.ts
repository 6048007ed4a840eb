import type { ComparisonRecord, FieldDifference } from '../core/comparison';
import type { RouteConfig, ShadowConfig } from '../core/config/types';
import { classify, compileDiffOptions, compareResponses, NoiseModel, NotComparableError, type CompiledDiffOptions, type HttpSnapshot } from './engine';

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
    const options = this.optionsFor(input.route, input.shadow);
    const model = this.modelFor(input.route.name, input.shadow);
    const primaryVsCandidate = comparedOrError(input.legacy, candidate, options);
    if (typeof primaryVsCandidate === 'string') return errorRecord(input, primaryVsCandidate, candidate.ms, candidate.status);
    // Legacy answering its second request with another status (a 503 or 429 under the doubled load) says
    // nothing about which fields vary: taken as a noise sample, it would excuse every difference, the new
    // service's own 5xx included, and teach the model so for later requests.
    const secondary = input.secondary !== undefined && input.secondary.status === input.legacy.status ? input.secondary : undefined;
    const sampled = secondary ? comparedOrError(input.legacy, secondary, options) : undefined;
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
      candidateMs: round(candidate.ms),
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
      compiled = compileDiffOptions({
        ignore: shadow.ignore,
        unordered: shadow.unordered,
        numericTolerance: shadow.numericTolerance,
        headers: shadow.headers,
        maxDecodedBytes: shadow.maxDecodedBytes,
        ...(shadow.timestampToleranceMs === undefined ? {} : { timestampToleranceMs: shadow.timestampToleranceMs }),
      });
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

/** The differences, or why the two answers cannot be compared (neither body decodes, the work budget ran out). */
function comparedOrError(a: HttpSnapshot, b: HttpSnapshot, options: CompiledDiffOptions): FieldDifference[] | string {
  try {
    return compareResponses(a, b, options);
  } catch (error) {
    if (error instanceof NotComparableError) return error.message;
    throw error;
  }
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
    candidateMs: round(candidateMs),
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
