/** JSON Schema event contracts: load schemas, diff them (additive-only rules), validate sample events. */
export { EventContractError } from './errors';
export { eventIdentity, eventLabel, loadEventSchemaFile, loadEventSchemas, type EventSchema, type EventSchemaSet, type JsonObject } from './load';
export { diffEventSchemas, diffEventSchemaSets, type EventDiffOptions } from './compat';
export { COMPATIBILITY_MODES, DEFAULT_COMPATIBILITY, checkedDirections, isTransitive, parseCompatibility, type CompatibilityMode } from './compatibility';
export { EVENT_CHANGE_LEVELS, EVENT_RULES, countByLevel, hasChangeAtOrAbove, type CompatibilityDirection, type EventChange, type EventChangeLevel, type EventRuleId } from './rules';
export { parseSampleEvents, readSampleEvents, type SampleEvent } from './samples';
export { EventValidator, validateEvents, type EventFailure, type ValidationResult } from './validate';
export { EVENT_OUTPUT_FORMATS, renderEventChanges, renderEventFailures, type EventOutputFormat, type RenderChangesOptions } from './format';
