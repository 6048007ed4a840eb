/**
 * Noise cancellation, after Diffy. For a sample of safe requests the proxy asks legacy twice (primary,
 * secondary) and the new service once (candidate):
 *   raw   = primary ≠ candidate at a templated path
 *   noise = primary ≠ secondary at that path (legacy disagreeing with itself)
 *
 * A difference between primary and candidate is noise when legacy disagrees with itself at the same path
 * in the same way (`explainedBy`):
 *   (a) between the two legacy answers of THIS request; or
 *   (b) as the `NoiseModel` has learned over many requests.
 * "In the same way": a value legacy varies explains a changed value, not a field the new service drops;
 * a field legacy sometimes leaves out explains an added or removed one, not a changed value. Noise at an
 * ancestor explains nothing below it: legacy's `$.meta` being null now and then says nothing about
 * `$.meta.count` when both sides have it.
 *
 * `NoiseModel` counts, over the comparisons that had a secondary (`samples`), per templated path the
 * number of comparisons with a raw difference there (`raw`) and with a noise difference there (`noise`);
 * a path appearing several times in one comparison (`$.items[*].price` for three items) counts once.
 * A path is noisy when
 *   samples > 0  AND  noise / samples ≥ relativeThreshold (default 0.2)  AND  noise ≥ absoluteThreshold (default 3)
 * `raw` is kept for reports (Diffy's raw-versus-noise view); it does not move the decision. Because a path
 * only becomes noisy through noise seen in some request, the order of `observe` and `classify` for the
 * same request does not change that request's result.
 */
import type { DifferenceKind, FieldDifference } from '../../core/comparison';
import { StranglerError } from '../../core/errors';
import { DIFF_OPTIONS_ERROR } from './options';

export type NoiseClass = 'match' | 'mismatch' | 'noise';

export interface Classification {
  result: NoiseClass;
  /** Differences that are not noise (empty for `match` and `noise`). */
  differences: FieldDifference[];
  /** Differences explained as noise. */
  noise: FieldDifference[];
}

export interface NoiseModelOptions {
  /** Share of samples in which legacy must differ from itself at a path. Default 0.2; 0…1. */
  relativeThreshold?: number;
  /** Least number of samples in which legacy differed from itself at a path. Default 3; integer ≥ 0. */
  absoluteThreshold?: number;
  /** Distinct paths tracked; paths first seen beyond this are not counted. Default 10,000. */
  maxPaths?: number;
}

export interface NoisePathStats {
  path: string;
  raw: number;
  noise: number;
  /** Comparisons with a secondary seen by the model (the same for every path). */
  samples: number;
  noisy: boolean;
}

export interface NoiseSnapshot {
  samples: number;
  relativeThreshold: number;
  absoluteThreshold: number;
  /** Sorted by path. */
  paths: NoisePathStats[];
}

interface Counts {
  raw: number;
  noise: number;
  /** The ways legacy disagreed with itself at the path. */
  noiseKinds: Set<DifferenceKind>;
}

export class NoiseModel {
  readonly relativeThreshold: number;
  readonly absoluteThreshold: number;
  readonly maxPaths: number;
  private samplesSeen = 0;
  private readonly counts = new Map<string, Counts>();

  constructor(options: NoiseModelOptions = {}) {
    const bad = (name: string, expected: string, got: unknown): never => {
      throw new StranglerError(DIFF_OPTIONS_ERROR, `noise option ${name}: expected ${expected}, got ${String(got)}`);
    };
    const rel = options.relativeThreshold ?? 0.2;
    if (typeof rel !== 'number' || !(rel >= 0 && rel <= 1)) bad('relativeThreshold', 'a fraction between 0 and 1', rel);
    const abs = options.absoluteThreshold ?? 3;
    if (typeof abs !== 'number' || !Number.isSafeInteger(abs) || abs < 0) bad('absoluteThreshold', 'an integer ≥ 0', abs);
    const maxPaths = options.maxPaths ?? 10_000;
    if (typeof maxPaths !== 'number' || !Number.isSafeInteger(maxPaths) || maxPaths < 1) bad('maxPaths', 'an integer ≥ 1', maxPaths);
    this.relativeThreshold = rel;
    this.absoluteThreshold = abs;
    this.maxPaths = maxPaths;
  }

  get samples(): number {
    return this.samplesSeen;
  }

  /**
   * Counts one request. Without a secondary (`undefined`) nothing is counted: raw and noise are only
   * comparable over the same samples.
   */
  observe(primaryVsCandidate: readonly FieldDifference[], primaryVsSecondary: readonly FieldDifference[] | undefined): void {
    if (primaryVsSecondary === undefined) return;
    this.samplesSeen++;
    for (const path of distinctPaths(primaryVsCandidate)) {
      const c = this.entry(path);
      if (c !== undefined) c.raw++;
    }
    for (const [path, kinds] of kindsByPath(primaryVsSecondary)) {
      const c = this.entry(path);
      if (c === undefined) continue;
      c.noise++;
      for (const kind of kinds) c.noiseKinds.add(kind);
    }
  }

  /** Is this templated path noisy by the thresholds, whatever the way legacy disagreed with itself there? */
  isPathNoisy(path: string): boolean {
    const c = this.counts.get(path);
    return c !== undefined && this.decide(c);
  }

  /** Is this difference from the new service explained by what the model learned at its path? */
  explains(difference: Pick<FieldDifference, 'path' | 'kind'>): boolean {
    const c = this.counts.get(difference.path);
    return c !== undefined && this.decide(c) && explainedBy(difference.kind, c.noiseKinds);
  }

  snapshot(): NoiseSnapshot {
    const paths: NoisePathStats[] = [];
    for (const [path, c] of this.counts) paths.push({ path, raw: c.raw, noise: c.noise, samples: this.samplesSeen, noisy: this.decide(c) });
    paths.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    return { samples: this.samplesSeen, relativeThreshold: this.relativeThreshold, absoluteThreshold: this.absoluteThreshold, paths };
  }

  private decide(c: Counts): boolean {
    return this.samplesSeen > 0 && c.noise / this.samplesSeen >= this.relativeThreshold && c.noise >= this.absoluteThreshold;
  }

  private entry(path: string): Counts | undefined {
    let c = this.counts.get(path);
    if (c === undefined && this.counts.size < this.maxPaths) this.counts.set(path, (c = { raw: 0, noise: 0, noiseKinds: new Set() }));
    return c;
  }
}

/**
 * Splits primary-vs-candidate differences into noise and the rest. Does not change the model (call
 * `model.observe` for that, before or after). `primaryVsSecondary` is `undefined` when the request had no
 * secondary; `model` may be omitted.
 */
export function classify(
  primaryVsCandidate: readonly FieldDifference[],
  primaryVsSecondary: readonly FieldDifference[] | undefined,
  model?: NoiseModel,
): Classification {
  if (primaryVsCandidate.length === 0) return { result: 'match', differences: [], noise: [] };
  const local = primaryVsSecondary !== undefined && primaryVsSecondary.length > 0 ? kindsByPath(primaryVsSecondary) : undefined;
  const differences: FieldDifference[] = [];
  const noise: FieldDifference[] = [];
  for (const d of primaryVsCandidate) {
    const here = local?.get(d.path);
    if ((here !== undefined && explainedBy(d.kind, here)) || (model !== undefined && model.explains(d))) noise.push(d);
    else differences.push(d);
  }
  return { result: differences.length === 0 ? 'noise' : 'mismatch', differences, noise };
}

function distinctPaths(differences: readonly FieldDifference[]): Set<string> {
  const paths = new Set<string>();
  for (const d of differences) paths.add(d.path);
  return paths;
}

function kindsByPath(differences: readonly FieldDifference[]): Map<string, Set<DifferenceKind>> {
  const byPath = new Map<string, Set<DifferenceKind>>();
  for (const d of differences) {
    let kinds = byPath.get(d.path);
    if (kinds === undefined) byPath.set(d.path, (kinds = new Set()));
    kinds.add(d.kind);
  }
  return byPath;
}

/**
 * Does legacy disagreeing with itself in these ways (`noiseKinds`, at the same path) explain a difference of
 * `kind` from the new service? A value that varies explains a changed value (a type that varies, a changed
 * value or type); a field that comes and goes explains an added or removed one. Nothing else: a field the
 * new service drops, or returns as another type, is not excused by legacy's value varying.
 */
export function explainedBy(kind: DifferenceKind, noiseKinds: Iterable<DifferenceKind>): boolean {
  for (const noise of noiseKinds) {
    switch (kind) {
      case 'added':
      case 'removed':
        if (noise === 'added' || noise === 'removed') return true;
        break;
      case 'changed':
        if (noise === 'changed' || noise === 'type') return true;
        break;
      case 'type':
        if (noise === 'type') return true;
        break;
    }
  }
  return false;
}
