/**
 * Diff options: what the user writes (`DiffOptions`) and the compiled form the engine walks with
 * (`CompiledDiffOptions`). Compile once per route, reuse for every comparison.
 *
 * Path patterns (for `ignore`, `unordered` and `mapKeys`) are the JSONPath subset of `core/json-path-pattern.ts`,
 * rejected by `compileDiffOptions` with a message naming the pattern when outside it. An index (`[3]`)
 * never applies inside an unordered array: elements there have no index. A report path such as
 * `$.items[*].price`, `$.scores.*` or `$['a b']` is always a valid pattern, meaning that field.
 *
 * Object keys that are identifiers (map-keys.ts) are reported as `*` (`$.scores.*`) without being configured;
 * `mapKeys` names the maps keyed by anything else (`$.byRegion` keyed by `emea`, `apac`): every key directly
 * under such an object is reported as `*`.
 *
 * Patterns compile into one trie (ignore and unordered flags on its nodes). The diff walks the trie in
 * step with the JSON: a "path state" is the list of trie nodes matching the current location, usually
 * none (`undefined`, nothing to check below) or one (a cached one-element array, so walking allocates
 * nothing). No path string is ever built to decide whether a location is ignored.
 */
import { StranglerError } from '../../core/errors';
import { parsePathPattern as parseSteps, PathPatternError, type PathStep } from '../../core/json-path-pattern';

export const DIFF_OPTIONS_ERROR = 'STRANGLER_ERR_DIFF_OPTIONS';

export interface NumericTolerance {
  /** Numbers within this absolute distance are equal (`|a − b| ≤ absolute`). */
  absolute?: number;
  /** Numbers within this fraction of the larger magnitude are equal (`|a − b| ≤ relative · max(|a|, |b|)`). */
  relative?: number;
}

export interface DiffOptions {
  /** JSON paths (subset above) skipped entirely, on both sides. `$` skips the body altogether. */
  ignore?: readonly string[];
  /** `true`: every array is compared as a multiset; a list of paths: only the arrays at those paths. */
  unordered?: boolean | readonly string[];
  /** JSON paths of objects used as maps: every key directly under them is reported as `*` (`$.byRegion.*`). */
  mapKeys?: readonly string[];
  /** Absolute tolerance, or `{ absolute, relative }`; two numbers are equal when either bound holds. */
  numericTolerance?: number | NumericTolerance;
  /**
   * Timestamps this many ms apart are equal. Off when absent; `0` compares timestamps as instants (so
   * `…T10:00:00Z` equals `…T11:00:00+01:00`). The rule is conservative:
   * - two strings that are BOTH full ISO-8601 date-times with a time zone (`2024-05-01T10:00:00Z`,
   *   `2024-05-01 10:00:00.123+02:00`; seconds and fraction optional; no zone → not a timestamp);
   * - two integers that are BOTH epoch milliseconds between 2000-01-01 and 2100-01-01, under an object
   *   key that looks like a time (see `isTimeLikeKey`; array elements inherit their array's key).
   * Mixed pairs (an ISO string against a number) are never treated as timestamps.
   */
  timestampToleranceMs?: number;
  /** Response headers to compare (case-insensitive; stored lower-case). Default `['content-type']`. */
  headers?: readonly string[];
  /** Longest JSON text kept for a legacy/candidate value in a difference (cut ends with `…`). Default 200. */
  maxValueLength?: number;
  /** Deepest container nesting compared structurally; deeper pairs are compared whole, reported at the cut. Default 100. */
  maxDepth?: number;
  /** Stop after this many differences (one comparison's report stays bounded). Default 1000. */
  maxDifferences?: number;
  /** Largest decoded (decompressed) body; larger bodies are reported as undecodable. Default 16 MiB. */
  maxDecodedBytes?: number;
}

/** One node of the compiled pattern trie. */
export interface PathTrieNode {
  keys: Map<string, PathTrieNode> | undefined;
  indices: Map<number, PathTrieNode> | undefined;
  wildcard: PathTrieNode | undefined;
  /** Some ignore pattern ends here. */
  ignore: boolean;
  /** Some unordered pattern ends here. */
  unordered: boolean;
  /** Some mapKeys pattern ends here: the keys below are reported as `*`. */
  map: boolean;
  /** `[this]`: the path state "exactly this node", shared so walking allocates nothing. */
  readonly alone: readonly PathTrieNode[];
}

/** The trie nodes matching the current location; `undefined` when none can match here or below. */
export type PathState = readonly PathTrieNode[] | undefined;

export interface CompiledDiffOptions {
  /** The patterns as given, for reports. */
  readonly ignorePatterns: readonly string[];
  readonly unorderedPatterns: readonly string[];
  readonly mapKeyPatterns: readonly string[];
  /** Path state at the root; `undefined` when there are no patterns. */
  readonly root: PathState;
  /** `$` is ignored: bodies are not compared at all. */
  readonly ignoreRoot: boolean;
  /** Every array is a multiset. */
  readonly unorderedAll: boolean;
  readonly absoluteTolerance: number;
  readonly relativeTolerance: number;
  /** `-1` when timestamp tolerance is off. */
  readonly timestampToleranceMs: number;
  /** Any tolerance configured (numeric or timestamp): unordered matching then also tries near-equal pairs. */
  readonly tolerant: boolean;
  readonly headers: readonly string[];
  readonly maxValueLength: number;
  readonly maxDepth: number;
  readonly maxDifferences: number;
  readonly maxDecodedBytes: number;
}

export type { PathStep };

const DEFAULT_HEADERS = ['content-type'];
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const MAX_DEPTH_LIMIT = 1000;

function fail(message: string): never {
  throw new StranglerError(DIFF_OPTIONS_ERROR, message);
}

/** Validates `options` and compiles patterns; throws a StranglerError with a one-line message naming the option. */
export function compileDiffOptions(options: DiffOptions = {}): CompiledDiffOptions {
  if (options === null || typeof options !== 'object') fail('diff options: expected an object');

  const ignore = stringList(options.ignore, 'ignore') ?? [];
  let unorderedAll = false;
  let unorderedPatterns: string[] = [];
  const unordered = options.unordered;
  if (typeof unordered === 'boolean') unorderedAll = unordered;
  else if (unordered !== undefined) unorderedPatterns = stringList(unordered, 'unordered', 'true, false or a list of paths') ?? [];

  const mapKeys = stringList(options.mapKeys, 'mapKeys') ?? [];

  let absoluteTolerance = 0;
  let relativeTolerance = 0;
  const tol = options.numericTolerance;
  if (typeof tol === 'number' || tol === undefined) {
    absoluteTolerance = nonNegative(tol, 'numericTolerance') ?? 0;
  } else if (tol !== null && typeof tol === 'object' && !Array.isArray(tol)) {
    for (const key of Object.keys(tol)) {
      if (key !== 'absolute' && key !== 'relative') fail(`diff option numericTolerance.${key}: unknown; expected absolute or relative`);
    }
    absoluteTolerance = nonNegative(tol.absolute, 'numericTolerance.absolute') ?? 0;
    relativeTolerance = nonNegative(tol.relative, 'numericTolerance.relative') ?? 0;
    if (relativeTolerance > 1) fail(`diff option numericTolerance.relative: expected a fraction between 0 and 1, got ${relativeTolerance}`);
  } else {
    fail(`diff option numericTolerance: expected a number ≥ 0 or { absolute, relative }, got ${describe(tol)}`);
  }
  const timestampToleranceMs = nonNegative(options.timestampToleranceMs, 'timestampToleranceMs') ?? -1;

  const headers = (stringList(options.headers, 'headers') ?? DEFAULT_HEADERS).map((h, i) => {
    const name = h.trim().toLowerCase();
    if (!HEADER_TOKEN.test(name)) fail(`diff option headers[${i}] ${JSON.stringify(h)}: not a header name`);
    return name;
  });

  const maxValueLength = integerAtLeast(options.maxValueLength, 'maxValueLength', 1) ?? 200;
  const maxDepth = integerAtLeast(options.maxDepth, 'maxDepth', 1) ?? 100;
  if (maxDepth > MAX_DEPTH_LIMIT) fail(`diff option maxDepth: at most ${MAX_DEPTH_LIMIT}, got ${maxDepth}`);
  const maxDifferences = integerAtLeast(options.maxDifferences, 'maxDifferences', 1) ?? 1000;
  const maxDecodedBytes = integerAtLeast(options.maxDecodedBytes, 'maxDecodedBytes', 1) ?? 16 * 1024 * 1024;

  const known = new Set(['ignore', 'unordered', 'mapKeys', 'numericTolerance', 'timestampToleranceMs', 'headers', 'maxValueLength', 'maxDepth', 'maxDifferences', 'maxDecodedBytes']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) fail(`diff option ${key}: unknown option`);
  }

  let rootNode: PathTrieNode | undefined;
  if (ignore.length > 0 || unorderedPatterns.length > 0 || mapKeys.length > 0) {
    rootNode = newNode();
    ignore.forEach((p, i) => (insert(rootNode!, parsePathPattern(p, `ignore[${i}]`)).ignore = true));
    unorderedPatterns.forEach((p, i) => (insert(rootNode!, parsePathPattern(p, `unordered[${i}]`)).unordered = true));
    mapKeys.forEach((p, i) => (insert(rootNode!, parsePathPattern(p, `mapKeys[${i}]`)).map = true));
  }

  return {
    ignorePatterns: ignore,
    unorderedPatterns,
    mapKeyPatterns: mapKeys,
    root: rootNode?.alone,
    ignoreRoot: rootNode?.ignore ?? false,
    unorderedAll,
    absoluteTolerance,
    relativeTolerance,
    timestampToleranceMs,
    tolerant: absoluteTolerance > 0 || relativeTolerance > 0 || timestampToleranceMs >= 0,
    headers,
    maxValueLength,
    maxDepth,
    maxDifferences,
    maxDecodedBytes,
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function stringList(value: unknown, name: string, expected = 'a list of strings'): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(`diff option ${name}: expected ${expected}, got ${describe(value)}`);
  value.forEach((v, i) => {
    if (typeof v !== 'string') fail(`diff option ${name}[${i}]: expected a string, got ${describe(v)}`);
  });
  return value as string[];
}

function nonNegative(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`diff option ${name}: expected a finite number ≥ 0, got ${describe(value)}`);
  }
  return value;
}

function integerAtLeast(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(`diff option ${name}: expected an integer ≥ ${min}, got ${describe(value)}`);
  }
  return value;
}

function newNode(): PathTrieNode {
  const node = { keys: undefined, indices: undefined, wildcard: undefined, ignore: false, unordered: false, map: false, alone: [] as PathTrieNode[] };
  node.alone.push(node);
  return node;
}

function insert(root: PathTrieNode, steps: PathStep[]): PathTrieNode {
  let node = root;
  for (const step of steps) {
    if (step.kind === 'wildcard') {
      node = node.wildcard ??= newNode();
    } else if (step.kind === 'key') {
      const keys = (node.keys ??= new Map());
      let next = keys.get(step.key);
      if (next === undefined) keys.set(step.key, (next = newNode()));
      node = next;
    } else {
      const indices = (node.indices ??= new Map());
      let next = indices.get(step.index);
      if (next === undefined) indices.set(step.index, (next = newNode()));
      node = next;
    }
  }
  return node;
}

/**
 * Parses one pattern of the supported JSONPath subset into steps; `option` names it in errors
 * (`ignore[2]`). Exported for tests and for tools that validate configuration early.
 */
export function parsePathPattern(pattern: string, option = 'path'): PathStep[] {
  try {
    return parseSteps(pattern);
  } catch (err) {
    if (err instanceof PathPatternError) fail(`diff option ${option} ${JSON.stringify(pattern)}: ${err.message}`);
    throw err;
  }
}

// ---- walking the trie (hot path) ----

/** The path state of object member `key` under `state`. */
export function stepKey(state: readonly PathTrieNode[], key: string): PathState {
  if (state.length === 1) {
    const node = state[0]!;
    const k = node.keys === undefined ? undefined : node.keys.get(key);
    const w = node.wildcard;
    if (k === undefined) return w === undefined ? undefined : w.alone;
    return w === undefined ? k.alone : [k, w];
  }
  const out: PathTrieNode[] = [];
  for (const node of state) {
    const k = node.keys === undefined ? undefined : node.keys.get(key);
    if (k !== undefined) out.push(k);
    if (node.wildcard !== undefined) out.push(node.wildcard);
  }
  return out.length === 0 ? undefined : out.length === 1 ? out[0]!.alone : out;
}

/** The path state of array element `index` under `state`; `-1` (an unordered array) matches wildcards only. */
export function stepIndex(state: readonly PathTrieNode[], index: number): PathState {
  if (state.length === 1) {
    const node = state[0]!;
    const k = index < 0 || node.indices === undefined ? undefined : node.indices.get(index);
    const w = node.wildcard;
    if (k === undefined) return w === undefined ? undefined : w.alone;
    return w === undefined ? k.alone : [k, w];
  }
  const out: PathTrieNode[] = [];
  for (const node of state) {
    const k = index < 0 || node.indices === undefined ? undefined : node.indices.get(index);
    if (k !== undefined) out.push(k);
    if (node.wildcard !== undefined) out.push(node.wildcard);
  }
  return out.length === 0 ? undefined : out.length === 1 ? out[0]!.alone : out;
}

export function isIgnored(state: readonly PathTrieNode[]): boolean {
  for (let i = 0; i < state.length; i++) if (state[i]!.ignore) return true;
  return false;
}

export function isUnorderedHere(state: readonly PathTrieNode[]): boolean {
  for (let i = 0; i < state.length; i++) if (state[i]!.unordered) return true;
  return false;
}

/** Is the object here a map (a mapKeys pattern ends here)? */
export function isMapHere(state: readonly PathTrieNode[]): boolean {
  for (let i = 0; i < state.length; i++) if (state[i]!.map) return true;
  return false;
}
