/** diff-reader's response-diff engine: pure functions, no I/O. */
export { compileDiffOptions, parsePathPattern, DIFF_OPTIONS_ERROR } from './options';
export type { CompiledDiffOptions, DiffOptions, NumericTolerance, PathStep } from './options';
export { decodeBody, isJsonContentType, looksLikeJson, parseJsonBody, NOT_JSON } from './decode';
export type { DecodeResult } from './decode';
export { diffJson, jsonEqual } from './json-diff';
export { compareExchange, compareResponses, compareResponsesOrWhyNot, describeBytes, headerValue, normaliseHeaderValue } from './compare';
export { DiffBudgetExceededError, NotComparableError, UndecodableBodiesError } from './not-comparable';
export type { ExchangeOutcome, HttpSnapshot, PairOutcome } from './compare';
export { classify, explainedBy, NoiseModel } from './noise';
export type { Classification, NoiseClass, NoiseModelOptions, NoisePathStats, NoiseSnapshot } from './noise';
export { isTimeLikeKey, parseIsoTimestamp } from './tolerance';
export { renderPath, renderValue, truncate } from './render';
export { isIdentifierKey, templatedPath } from './map-keys';
