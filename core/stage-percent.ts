import type { Stage } from './config/types';

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
