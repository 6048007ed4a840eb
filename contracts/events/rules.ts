/**
 * The event compatibility rules: stable ids, levels, and what each means. ERR breaks someone; WARN is allowed
 * but consumers must be ready for it; INFO is additive.
 *
 * Direction: under FULL, the default compatibility mode, a revision is compatible when BOTH hold —
 *   replay (backward):  every event written under BASE still validates under REVISION, so upgraded
 *                       consumers can replay the history (and read events from producers not yet upgraded);
 *   read (forward):     consumers built against BASE can read events written under REVISION: every property
 *                       they know is still there, with the type and values they know.
 * That is "additive-only": the only free change is a new optional property that old events cannot break: in
 * an open object, old events may already carry that name with any value, so its schema must accept anything
 * the old one let through there (an empty schema, or one covering the old `additionalProperties`). A change that
 * only widens what the new producer may write (a new enum value, a loosened constraint) is WARN: consumers
 * that validate with the old schema, or switch over known values, must be ready for it.
 * Each rule says which of the two it breaks (`breaks`); the other modes check one or neither (see
 * `compatibility.ts`).
 */
export type EventChangeLevel = 'ERR' | 'WARN' | 'INFO';

export const EVENT_CHANGE_LEVELS: readonly EventChangeLevel[] = ['ERR', 'WARN', 'INFO'];

export const LEVEL_RANK: Record<EventChangeLevel, number> = { ERR: 3, WARN: 2, INFO: 1 };

/**
 * Which compatibility a change breaks: backward, the new schema no longer reads every old event; forward,
 * the old schema (and consumers built on it) no longer reads every new event. See `compatibility.ts`.
 */
export type CompatibilityDirection = 'backward' | 'forward';

export const BREAKS_BACKWARD: readonly CompatibilityDirection[] = ['backward'];
export const BREAKS_FORWARD: readonly CompatibilityDirection[] = ['forward'];
export const BREAKS_BOTH: readonly CompatibilityDirection[] = ['backward', 'forward'];
const BREAKS_NOTHING: readonly CompatibilityDirection[] = [];

export interface EventRule {
  level: EventChangeLevel;
  /** The directions a change of this kind breaks, as a rule; the walk says otherwise where it knows better. */
  breaks: readonly CompatibilityDirection[];
  description: string;
}

export const EVENT_RULES = {
  'event-schema-removed': { level: 'ERR', breaks: BREAKS_BACKWARD, description: 'An event version is gone: its old events can no longer be validated or replayed.' },
  'event-property-removed': { level: 'ERR', breaks: BREAKS_FORWARD, description: 'A property is gone: consumers that read it lose it.' },
  'event-property-type-changed': { level: 'ERR', breaks: BREAKS_BOTH, description: 'The allowed types changed: narrowed, old events fail; widened, old consumers get types they do not expect.' },
  'event-property-became-required': { level: 'ERR', breaks: BREAKS_BACKWARD, description: 'An optional property became required: old events without it fail.' },
  'event-property-became-optional': { level: 'ERR', breaks: BREAKS_FORWARD, description: 'A required property became optional: consumers that rely on it find it missing.' },
  'event-required-property-added': { level: 'ERR', breaks: BREAKS_BACKWARD, description: 'A new required property: old events do not have it.' },
  'event-property-added-to-open-object': {
    level: 'ERR',
    breaks: BREAKS_BACKWARD,
    description: 'A new property in an open object whose schema does not accept every value old events may carry under that name (Confluent: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL).',
  },
  'event-property-added-to-closed-object': { level: 'ERR', breaks: BREAKS_FORWARD, description: 'A new property where additionalProperties is false: consumers validating with the old schema reject events that carry it.' },
  'event-enum-value-removed': { level: 'ERR', breaks: BREAKS_BACKWARD, description: 'An enum value is gone: old events carrying it fail.' },
  'event-enum-added': { level: 'ERR', breaks: BREAKS_BACKWARD, description: 'Values are now restricted to an enum: old events may carry others.' },
  'event-const-changed': { level: 'ERR', breaks: BREAKS_BOTH, description: 'A const was added or changed: old events carry another value.' },
  'event-additional-properties-closed': { level: 'ERR', breaks: BREAKS_BACKWARD, description: 'additionalProperties: false now closes an open object: old events with extra properties fail.' },
  'event-constraint-tightened': { level: 'ERR', breaks: BREAKS_BACKWARD, description: 'A validation keyword got stricter (minimum raised, maxLength lowered, pattern or format added or changed, …): old events may fail.' },
  'event-composition-member-removed': { level: 'ERR', breaks: BREAKS_BACKWARD, description: 'An anyOf/oneOf member is gone (or its type no longer pairs with one): old events that matched only it fail.' },
  'event-unchecked-keyword-changed': {
    level: 'ERR',
    breaks: BREAKS_BOTH,
    description: 'A keyword the walk does not compare (not, if/then/else, patternProperties, anyOf/oneOf members it cannot pair, …) changed: it may break old events or consumers, so it fails until reviewed.',
  },
  'event-enum-value-added': { level: 'WARN', breaks: BREAKS_FORWARD, description: 'A new enum value: consumers must handle it.' },
  'event-enum-removed': { level: 'WARN', breaks: BREAKS_FORWARD, description: 'The enum restriction is gone: consumers may get any value.' },
  'event-const-removed': { level: 'WARN', breaks: BREAKS_FORWARD, description: 'The const is gone: consumers may get any value.' },
  'event-additional-properties-opened': { level: 'WARN', breaks: BREAKS_FORWARD, description: 'A closed object is open now: consumers validating with the old schema reject events with extra properties.' },
  'event-constraint-loosened': { level: 'WARN', breaks: BREAKS_FORWARD, description: 'A validation keyword got looser: consumers validating with the old schema may reject new events.' },
  'event-composition-member-added': { level: 'WARN', breaks: BREAKS_FORWARD, description: 'A new anyOf/oneOf member: consumers must handle its values.' },
  'event-optional-property-added': { level: 'INFO', breaks: BREAKS_NOTHING, description: 'A new optional property whose schema accepts whatever old events carried under that name (an empty schema, or one covering the old additionalProperties).' },
  'event-schema-added': { level: 'INFO', breaks: BREAKS_NOTHING, description: 'A new event, or a new version of one.' },
} as const satisfies Record<string, EventRule>;

export type EventRuleId = keyof typeof EVENT_RULES;

/** One difference between BASE and REVISION. */
export interface EventChange {
  id: EventRuleId;
  level: EventChangeLevel;
  /** Event name. */
  event: string;
  /** Event version (of the revision's schema; of the base's for `event-schema-removed`). */
  version: number;
  /** Set when a new version was compared with an earlier one: that version (`order-placed v1 → v2`). */
  previousVersion?: number;
  /** Where, as a JSON path into the event's data: `$.payload.items[*].price`; `$` for the whole event. */
  path: string;
  text: string;
  /** Only on a change the compatibility mode does not check (then `level` is INFO): its level where checked. */
  ruleLevel?: EventChangeLevel;
  /** Only with `ruleLevel`: the directions it breaks, none of which the mode checks. */
  breaks?: CompatibilityDirection[];
}

/** Whether any change is at or above `level`. */
export function hasChangeAtOrAbove(changes: readonly EventChange[], level: EventChangeLevel): boolean {
  return changes.some((change) => LEVEL_RANK[change.level] >= LEVEL_RANK[level]);
}

export function countByLevel(changes: readonly EventChange[]): Record<EventChangeLevel, number> {
  const counts: Record<EventChangeLevel, number> = { ERR: 0, WARN: 0, INFO: 0 };
  for (const change of changes) counts[change.level]++;
  return counts;
}
