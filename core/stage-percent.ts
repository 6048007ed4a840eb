import type { Stage } from './config/types';

export interface StageAndPercent {
  stage: Stage;
  percent: number;
}

export function sameState(a: StageAndPercent, b: StageAndPercent): boolean {
  return a.stage === b.stage && a.percent === b.percent;
}

/** The stage and percent `before` has once `change` is applied: what it leaves out stays as it was. */
export function afterChange(before: StageAndPercent, change: Partial<StageAndPercent>): StageAndPercent {
  return { stage: change.stage ?? before.stage, percent: change.percent ?? before.percent };
}

/**
 * Outside canary the stage sets the share of traffic the new service gets: 0 % in legacy and shadow,
 * 100 % in live and retired. Only canary takes a percentage of its own.
 */
export function impliedPercent(stage: Exclude<Stage, 'canary'>): number {
  return stage === 'live' || stage === 'retired' ? 100 : 0;
}

export function percentFitsStage(stage: Stage, percent: number): boolean {
  return stage === 'canary' || percent === impliedPercent(stage);
}

/** Why a route cannot be at `percent` in `stage`, or undefined when it can. Canary is offered only to a route with a new service. */
export function stagePercentConflict(route: string, stage: Stage, percent: number, hasService = true): string | undefined {
  if (percentFitsStage(stage, percent)) return undefined;
  const lead = `route ${route} would be in stage ${stage}, where ${percent}% has no meaning`;
  if (!hasService) return `${lead}: stage ${stage} is ${impliedPercent(stage as Exclude<Stage, 'canary'>)}% (the route has no new service: its stages are legacy at 0% and retired at 100%)`;
  return `${lead}: use stage canary to send ${percent}% to the new service`;
}
