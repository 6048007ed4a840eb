import { routeInRollout } from '../core/bucketing';
import type { Stage } from '../core/config/types';
import type { RouteStateView } from '../core/route-state-view';
import type { RouteState } from '../core/state';

/** Route state held in memory and set directly: for benchmarks, tests and tools without a store. */
export class FixedRouteState implements RouteStateView {
  ready = true;
  private readonly states = new Map<string, RouteState>();

  set(route: string, stage: Stage, percent: number): void {
    const version = (this.states.get(route)?.version ?? 0) + 1;
    this.states.set(route, { route, stage, percent, version, updatedAt: new Date().toISOString() });
  }

  get(route: string): RouteState | undefined {
    return this.states.get(route);
  }

  readonly inRollout = routeInRollout;
}
