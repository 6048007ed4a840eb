/**
 * How a route's state is written as an Unleash flag, and read back.
 *
 * | stage    | flag in the environment | flexibleRollout rollout | parameter stranglerStage |
 * | legacy   | disabled                | 0                       | legacy                   |
 * | shadow   | disabled                | 0                       | shadow                   |
 * | canary N | enabled                 | N                       | canary                   |
 * | live     | enabled                 | 100                     | live                     |
 * | retired  | enabled                 | 100                     | retired                  |
 *
 * Other Unleash clients reading the flag see exactly who is on the new service. A change made in
 * Unleash wins over the parameter: enabling the flag makes the route canary (or live at 100 %),
 * disabling it makes it legacy (or shadow, if that is what the parameter says).
 *
 * strangler manages one flexibleRollout without constraints or segments, sticky on what the route sends.
 * A flag with more than that (a userWithId for QA, constraints, several strategies, a parent flag, a
 * stickiness edited in Unleash) cannot be told as a percentage: the route is then a canary with a
 * `flagRule`, and unleash-client decides each request. Its percent is the share of the route's requests the
 * managed strategy lets in, the least the new service gets.
 */
import type { RouteConfig, Stage } from '../../core/config/types';
import type { StageAndPercent } from '../../core/stage-percent';

export const STAGE_PARAMETER = 'stranglerStage';
export const ROLLOUT_STRATEGY = 'flexibleRollout';

export interface UnleashStrategy {
  id?: string;
  name: string;
  /** Admin API only: a disabled strategy is not served to clients. */
  disabled?: boolean;
  parameters?: Record<string, unknown>;
  constraints?: unknown[];
  /** Segment ids: each adds its constraints. */
  segments?: unknown[];
  /** Strategy variants (kept as Unleash has them in exports). */
  variants?: unknown[];
}

export interface UnleashFeature {
  name: string;
  enabled: boolean;
  type?: string;
  project?: string;
  description?: string;
  stale?: boolean;
  strategies?: UnleashStrategy[];
  /** Parent flags this one depends on. */
  dependencies?: unknown[];
}

export type { StageAndPercent };

/** A route's state as a flag says it; `flagRule` describes the strategies when unleash-client must decide each request. */
export interface FlagState extends StageAndPercent {
  flagRule?: string;
}

/** The Unleash context field that carries a route's sticky value (`random`: the route sends none). */
export type StickinessField = 'userId' | 'sessionId' | 'random';

/** The Unleash context field that carries the route's sticky value. */
export function stickinessField(route: RouteConfig): StickinessField {
  switch (route.stickiness.kind) {
    case 'random':
      return 'random';
    case 'cookie':
      return 'sessionId';
    default:
      return 'userId';
  }
}

/**
 * The managed strategy's parameters for `state`. `groupId`: the group users are bucketed in; a strategy that
 * already has one keeps it (a new group would move users between sides), a new one is the flag's name.
 */
export function rolloutParameters(route: RouteConfig, state: StageAndPercent, groupId: string = route.flag): Record<string, string> {
  return {
    rollout: String(state.percent),
    stickiness: stickinessField(route),
    groupId,
    [STAGE_PARAMETER]: state.stage,
  };
}

export function enabledFor(stage: Stage): boolean {
  return stage === 'canary' || stage === 'live' || stage === 'retired';
}

/** The state of a route whose sticky value is sent to Unleash as `sticksOn` (see `stickinessField`). */
export function stateFromFeature(feature: UnleashFeature | undefined, sticksOn: StickinessField): FlagState {
  if (!feature) return { stage: 'legacy', percent: 0 };
  const strategies = feature.strategies ?? [];
  const managed = managedStrategy(strategies);
  const declared = managed?.parameters?.[STAGE_PARAMETER];
  if (!feature.enabled) return { stage: declared === 'shadow' ? 'shadow' : 'legacy', percent: 0 };
  const managedShare = managed ? clampPercent(managed.parameters?.rollout) : 0;
  const rule = flagRule(feature, managed, managedShare, sticksOn);
  if (rule) return { stage: 'canary', percent: routeShare(managed, managedShare, sticksOn), flagRule: rule };
  // No strategy, or Unleash's default strategy: everyone is in.
  const rollout = managed && strategies.length === 1 ? managedShare : 100;
  if (rollout === 100 && (declared === 'retired' || declared === 'live')) return { stage: declared, percent: 100 };
  if (rollout === 100 && declared !== 'canary') return { stage: 'live', percent: 100 };
  return { stage: 'canary', percent: rollout };
}

/** The strategy strangler writes: the first flexibleRollout that no constraint or segment narrows. */
export function managedStrategy<S extends UnleashStrategy>(strategies: readonly S[]): S | undefined {
  return strategies.find((s) => s.name === ROLLOUT_STRATEGY && !narrowed(s));
}

/**
 * The stickiness a flexibleRollout splits by when it is not what the route sends, else undefined. `default`
 * (or none) is unleash-client's userId, then sessionId, then random: the route's own value whichever it sends.
 */
export function foreignStickiness(strategy: UnleashStrategy | undefined, sticksOn: StickinessField): string | undefined {
  if (strategy?.name !== ROLLOUT_STRATEGY) return undefined;
  const stickiness = strategy.parameters?.stickiness;
  if (stickiness === undefined || stickiness === null || stickiness === '' || stickiness === 'default') return undefined;
  return String(stickiness) === sticksOn ? undefined : String(stickiness);
}

/**
 * The share of the route's requests the managed strategy lets in: none when it is sticky on a field the
 * route never sends (unleash-client then finds no id), its rollout per request when it is random.
 */
function routeShare(managed: UnleashStrategy | undefined, managedShare: number, sticksOn: StickinessField): number {
  const foreign = foreignStickiness(managed, sticksOn);
  return foreign === undefined || foreign === 'random' ? managedShare : 0;
}

/**
 * Undefined when the share is exactly what the managed strategy says (or everyone is in); otherwise what
 * else decides, as an engineer reads it in Unleash: `userWithId (2 users), flexibleRollout 10% with 1 constraint`.
 */
function flagRule(feature: UnleashFeature, managed: UnleashStrategy | undefined, managedShare: number, sticksOn: StickinessField): string | undefined {
  const strategies = feature.strategies ?? [];
  const parents = feature.dependencies ?? [];
  // A share on another stickiness than the route's is not the route's share, not even at 100 %.
  if (parents.length === 0 && foreignStickiness(managed, sticksOn) === undefined) {
    const everyone = strategies.length === 0 || strategies.some((s) => s.name === 'default' && !narrowed(s)) || (managed !== undefined && managedShare === 100);
    if (everyone || (strategies.length === 1 && strategies[0] === managed)) return undefined;
  }
  const parts = strategies.map((strategy) => describeStrategy(strategy, sticksOn));
  if (parents.length > 0) parts.push(`depends on ${parents.map(parentName).join(', ')}`);
  return parts.join(', ');
}

function narrowed(strategy: UnleashStrategy): boolean {
  return (strategy.constraints?.length ?? 0) > 0 || (strategy.segments?.length ?? 0) > 0;
}

function describeStrategy(strategy: UnleashStrategy, sticksOn: StickinessField): string {
  let text = strategy.name;
  if (strategy.name === ROLLOUT_STRATEGY) text += ` ${clampPercent(strategy.parameters?.rollout)}%`;
  const foreign = foreignStickiness(strategy, sticksOn);
  if (foreign !== undefined) text += ` sticky on ${foreign} (${routeSends(sticksOn)})`;
  const userIds = strategy.parameters?.userIds;
  if (strategy.name === 'userWithId' && typeof userIds === 'string') text += ` (${plural(userIds.split(',').filter((id) => id.trim() !== '').length, 'user')})`;
  const conditions = [
    strategy.constraints?.length ? plural(strategy.constraints.length, 'constraint') : '',
    strategy.segments?.length ? plural(strategy.segments.length, 'segment') : '',
  ].filter((c) => c !== '');
  return conditions.length > 0 ? `${text} with ${conditions.join(' and ')}` : text;
}

function routeSends(sticksOn: StickinessField): string {
  return sticksOn === 'random' ? 'the route sends no sticky id' : `the route sends ${sticksOn}`;
}

function parentName(parent: unknown): string {
  const name = (parent as { feature?: unknown } | null)?.feature;
  return typeof name === 'string' ? name : 'another flag';
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A flag as Unleash's client API would serve it, for bootstrap files made without an Unleash server. */
export function toUnleashFeature(route: RouteConfig, state: StageAndPercent): UnleashFeature {
  return {
    name: route.flag,
    type: 'release',
    enabled: enabledFor(state.stage),
    stale: false,
    strategies: [{ name: ROLLOUT_STRATEGY, parameters: rolloutParameters(route, state), constraints: [] }],
  };
}

function clampPercent(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) return 0;
  return Math.min(100, Math.max(0, Math.round(n)));
}

/** A route state as logs and answers say it: `canary 25%`, or with the rule unleash-client decides by. */
export function describeState(state: FlagState): string {
  return state.flagRule ? `${state.stage} ≥${state.percent}% (unleash-client decides: ${state.flagRule})` : `${state.stage} ${state.percent}%`;
}
