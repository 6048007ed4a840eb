import type { IncomingMessage } from 'node:http';
import type { RouteConfig } from '../core/config/types';
import type { RouteStateView } from '../core/route-state-view';
import type { RouteState } from '../core/state';
import { stickyValue } from './sticky-key';
import type { TrustedProxies } from './trusted-proxies';

export type Side = 'legacy' | 'new';

/**
 * Which side serves this request. Canary splits exactly as Unleash's flexibleRollout does, so a user
 * lands on the same side whether the percentage comes from the embedded store or an Unleash server.
 */
export function chooseSide(route: RouteConfig, state: RouteState, req: IncomingMessage, query: string, view: RouteStateView, trusted?: TrustedProxies): Side {
  switch (state.stage) {
    case 'legacy':
    case 'shadow':
      return 'legacy';
    case 'live':
    case 'retired':
      return 'new';
    case 'canary':
      if (state.flagRule !== undefined && view.inFlagRule) return flagRuleSide(route, state.percent, req, query, view, trusted);
      return canarySide(route, state.percent, req, query, view);
  }
}

function canarySide(route: RouteConfig, percent: number, req: IncomingMessage, query: string, view: RouteStateView): Side {
  if (percent <= 0) return 'legacy';
  if (percent >= 100) return 'new';
  if (route.stickiness.kind === 'random') return randomSide(percent);
  const value = stickyValue(route.stickiness, req, query);
  if (value === undefined) return route.stickyFallback === 'legacy' ? 'legacy' : randomSide(percent);
  return view.inRollout(route, value, percent) ? 'new' : 'legacy';
}

/** The flag's strategies decide, even at 0 % (a userWithId for QA) and without a sticky value (a constraint on the address). */
function flagRuleSide(route: RouteConfig, percent: number, req: IncomingMessage, query: string, view: RouteStateView, trusted: TrustedProxies | undefined): Side {
  const value = route.stickiness.kind === 'random' ? undefined : stickyValue(route.stickiness, req, query);
  const remoteAddress = trusted ? trusted.clientAddress(req) : req.socket.remoteAddress;
  const decided = view.inFlagRule!(route, { stickyValue: value, remoteAddress });
  if (decided !== undefined) return decided ? 'new' : 'legacy';
  // unleash-client cannot decide yet (no flags, or a change of ours on its way): the managed share, as a plain canary splits it.
  return canarySide(route, percent, req, query, view);
}

function randomSide(percent: number): Side {
  return Math.floor(Math.random() * 100) + 1 <= percent ? 'new' : 'legacy';
}
