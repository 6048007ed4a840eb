import type { Stage } from '../../core/config/types';
import type { RouteStateView } from '../../core/route-state-view';
import type { RouteState } from '../../core/state';

/** A route state view set directly by the test (the data path's only input from the store). */
export class StaticRouteState implements RouteStateView {
  ready = true;
  private readonly states = new Map<string, RouteState>();

  set(route: string, stage: Stage, percent: number): void {
    const version = (this.states.get(route)?.version ?? 0) + 1;
    this.states.set(route, { route, stage, percent, version, updatedAt: new Date().toISOString() });
  }

  get(route: string): RouteState | undefined {
    return this.states.get(route);
  }
}
