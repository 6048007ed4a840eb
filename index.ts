/** The library API of strangler: what the CLI uses, for embedding in other tools. */
export { loadConfig, parseConfig, validateConfigFile, redactConfig } from './core/config';
export type { StranglerConfig, RouteConfig, Stage } from './core/config/types';
export { inRollout, unleashBucket } from './core/bucketing';
export { startProxy, type RunningProxy } from './proxy/start';
export { Comparator } from './diff-reader/comparator';
export { compareResponses, compileDiffOptions, NoiseModel, classify, NotComparableError, UndecodableBodiesError, DiffBudgetExceededError } from './diff-reader/engine';
export { buildDiffReport, renderDiffReport } from './diff-reader/report';
export { diffOpenApi } from './contracts/openapi';
export { diffEventSchemaSets, loadEventSchemas, validateEvents, type CompatibilityMode, type EventDiffOptions } from './contracts/events';
export { verifyPacts } from './contracts/pact/verify';
