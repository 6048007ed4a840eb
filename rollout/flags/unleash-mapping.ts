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
}

export interface UnleashFeature {
  name: string;
  enabled: boolean;
  type?: string;
  project?: string;
  description?: string;
  stale?: boolean;
  strategies?: UnleashStrategy[];
}

export type { StageAndPercent };

/** The Unleash context field that carries the route's sticky value. */
export function stickinessField(route: RouteConfig): 'userId' | 'sessionId' | 'random' {
  switch (route.stickiness.kind) {
    case 'random':
      return 'random';
    case 'cookie':
      return 'sessionId';
    default:
      return 'userId';
  }
}

export function rolloutParameters(route: RouteConfig, state: StageAndPercent): Record<string, string> {
  return {
    rollout: String(state.percent),
    stickiness: stickinessField(route),
    groupId: route.flag,
    [STAGE_PARAMETER]: state.stage,
  };
}

export function enabledFor(stage: Stage): boolean {
  return stage === 'canary' || stage === 'live' || stage === 'retired';
}

export function stateFromFeature(feature: UnleashFeature | undefined): StageAndPercent {
  if (!feature) return { stage: 'legacy', percent: 0 };
  const strategy = feature.strategies?.find((s) => s.name === ROLLOUT_STRATEGY);
  const declared = strategy?.parameters?.[STAGE_PARAMETER];
  if (!feature.enabled) return { stage: declared === 'shadow' ? 'shadow' : 'legacy', percent: 0 };
  // Enabled without a flexibleRollout strategy: Unleash's default strategy, everyone is in.
  const rollout = strategy ? clampPercent(strategy.parameters?.rollout) : 100;
  if (rollout === 100 && (declared === 'retired' || declared === 'live')) return { stage: declared, percent: 100 };
  if (rollout === 100 && declared !== 'canary') return { stage: 'live', percent: 100 };
  return { stage: 'canary', percent: rollout };
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
