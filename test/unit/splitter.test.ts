import type { IncomingMessage } from 'node:http';
import { inRollout } from '../../core/bucketing';
import type { RouteConfig, Stage } from '../../core/config/types';
import type { RouteState } from '../../core/state';
import { chooseSide, type Side } from '../../proxy/splitter';
import { FixedRouteState } from '../../rollout/fixed-state';
import { routeConfig } from '../helpers/config';

function state(stage: Stage, percent: number): RouteState {
  return { route: 'orders', stage, percent, version: 1, updatedAt: '2024-01-01T00:00:00.000Z' };
}

function req(headers: Record<string, string | string[]> = {}): IncomingMessage {
  return { headers } as IncomingMessage;
}

/** Bucketing as the embedded provider does it (the route's flag is the Unleash groupId). */
const VIEW = new FixedRouteState();

const USERS = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

afterEach(() => {
  jest.restoreAllMocks();
});

describe('chooseSide by stage', () => {
  const route = routeConfig('orders', '/api/orders', { stickiness: { kind: 'header', name: 'x-user-id' } });

  test.each<[Stage, number, Side]>([
    ['legacy', 0, 'legacy'],
    ['legacy', 100, 'legacy'],
    ['shadow', 0, 'legacy'],
    ['shadow', 100, 'legacy'],
    ['live', 100, 'new'],
    ['live', 0, 'new'],
    ['retired', 100, 'new'],
    ['retired', 0, 'new'],
  ])('stage %s (percent %d) → %s for everyone, without looking at the request', (stage, percent, side) => {
    const random = jest.spyOn(Math, 'random');
    for (const user of USERS.slice(0, 200)) {
      expect(chooseSide(route, state(stage, percent), req({ 'x-user-id': user }), '', VIEW)).toBe(side);
    }
    expect(chooseSide(route, state(stage, percent), req(), '', VIEW)).toBe(side);
    expect(random).not.toHaveBeenCalled();
  });

  test('canary 0 → legacy for everyone, sticky or random', () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    const randomRoute = routeConfig('orders', '/api/orders');
    for (const user of USERS.slice(0, 200)) {
      expect(chooseSide(route, state('canary', 0), req({ 'x-user-id': user }), '', VIEW)).toBe('legacy');
      expect(chooseSide(randomRoute, state('canary', 0), req(), '', VIEW)).toBe('legacy');
    }
    expect(random).not.toHaveBeenCalled();
  });

  test('canary 100 → new for everyone, sticky or random, with or without the sticky value', () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.999);
    const randomRoute = routeConfig('orders', '/api/orders');
    const legacyFallback = { ...route, stickyFallback: 'legacy' as const };
    for (const user of USERS.slice(0, 200)) {
      expect(chooseSide(route, state('canary', 100), req({ 'x-user-id': user }), '', VIEW)).toBe('new');
      expect(chooseSide(randomRoute, state('canary', 100), req(), '', VIEW)).toBe('new');
    }
    expect(chooseSide(legacyFallback, state('canary', 100), req(), '', VIEW)).toBe('new');
    expect(random).not.toHaveBeenCalled();
  });

  test('canary with out-of-range percents behaves like 0 and 100', () => {
    expect(chooseSide(route, state('canary', -5), req({ 'x-user-id': 'u' }), '', VIEW)).toBe('legacy');
    expect(chooseSide(route, state('canary', 150), req({ 'x-user-id': 'u' }), '', VIEW)).toBe('new');
  });
});

describe('chooseSide sticky canary', () => {
  const byHeader = routeConfig('orders', '/api/orders', { stickiness: { kind: 'header', name: 'x-user-id' }, flag: 'strangler.orders' });

  test.each([10, 30, 50, 90, 99, 1])('header stickiness at %d%% agrees with inRollout(value, route.flag, percent)', (percent) => {
    const random = jest.spyOn(Math, 'random');
    let onNew = 0;
    for (const user of USERS) {
      const side = chooseSide(byHeader, state('canary', percent), req({ 'x-user-id': user }), '', VIEW);
      expect(side).toBe(inRollout(user, 'strangler.orders', percent) ? 'new' : 'legacy');
      if (side === 'new') onNew++;
    }
    expect(random).not.toHaveBeenCalled();
    // Sanity: the hash spreads users roughly in proportion to the percentage.
    expect(Math.abs(onNew / USERS.length - percent / 100)).toBeLessThan(0.05);
  });

  test('the flag (Unleash groupId) is part of the hash: another flag moves users', () => {
    const other = { ...byHeader, flag: 'strangler.other' };
    let differ = 0;
    for (const user of USERS) {
      const a = chooseSide(byHeader, state('canary', 50), req({ 'x-user-id': user }), '', VIEW);
      const b = chooseSide(other, state('canary', 50), req({ 'x-user-id': user }), '', VIEW);
      expect(b).toBe(inRollout(user, 'strangler.other', 50) ? 'new' : 'legacy');
      if (a !== b) differ++;
    }
    expect(differ).toBeGreaterThan(USERS.length / 4);
  });

  test('the same user always lands on the same side', () => {
    for (const user of USERS.slice(0, 100)) {
      const first = chooseSide(byHeader, state('canary', 37), req({ 'x-user-id': user }), '', VIEW);
      for (let i = 0; i < 5; i++) {
        expect(chooseSide(byHeader, state('canary', 37), req({ 'x-user-id': user }), '', VIEW)).toBe(first);
      }
    }
  });

  test('cookie stickiness hashes the (decoded) cookie value', () => {
    const byCookie = routeConfig('orders', '/api/orders', { stickiness: { kind: 'cookie', name: 'sid' } });
    for (const user of USERS.slice(0, 500)) {
      const side = chooseSide(byCookie, state('canary', 40), req({ cookie: `theme=dark; sid=${encodeURIComponent(user + '@x')}` }), '', VIEW);
      expect(side).toBe(inRollout(user + '@x', byCookie.flag, 40) ? 'new' : 'legacy');
    }
  });

  test('query stickiness hashes the query value, from the query passed in', () => {
    const byQuery = routeConfig('orders', '/api/orders', { stickiness: { kind: 'query', name: 'uid' } });
    for (const user of USERS.slice(0, 500)) {
      const side = chooseSide(byQuery, state('canary', 60), req({ uid: 'ignored' }), `?x=1&uid=${user}`, VIEW);
      expect(side).toBe(inRollout(user, byQuery.flag, 60) ? 'new' : 'legacy');
    }
  });

  test('array header: the first value is hashed', () => {
    for (const user of USERS.slice(0, 300)) {
      const side = chooseSide(byHeader, state('canary', 50), req({ 'x-user-id': [user, 'someone-else'] }), '', VIEW);
      expect(side).toBe(inRollout(user, byHeader.flag, 50) ? 'new' : 'legacy');
    }
  });

  test('raising percent 10 → 40 keeps every user who was on new', () => {
    const at10 = USERS.filter((user) => chooseSide(byHeader, state('canary', 10), req({ 'x-user-id': user }), '', VIEW) === 'new');
    const at40 = new Set(USERS.filter((user) => chooseSide(byHeader, state('canary', 40), req({ 'x-user-id': user }), '', VIEW) === 'new'));
    expect(at10.length).toBeGreaterThan(100);
    expect(at40.size).toBeGreaterThan(at10.length * 3);
    for (const user of at10) expect(at40.has(user)).toBe(true);
  });

  test('every step of a ramp only adds users', () => {
    let previous = new Set<string>();
    for (const percent of [1, 5, 10, 25, 50, 75, 99, 100]) {
      const current = new Set(USERS.filter((user) => chooseSide(byHeader, state('canary', percent), req({ 'x-user-id': user }), '', VIEW) === 'new'));
      for (const user of previous) expect(current.has(user)).toBe(true);
      expect(current.size).toBeGreaterThanOrEqual(previous.size);
      previous = current;
    }
    expect(previous.size).toBe(USERS.length);
  });

  describe('request without the sticky value', () => {
    test('stickyFallback legacy → always legacy, without randomness', () => {
      const route = { ...byHeader, stickyFallback: 'legacy' as const };
      const random = jest.spyOn(Math, 'random').mockReturnValue(0);
      for (let i = 0; i < 500; i++) {
        expect(chooseSide(route, state('canary', 99), req(), '', VIEW)).toBe('legacy');
        expect(chooseSide(route, state('canary', 50), req({ 'x-user-id': '' }), '', VIEW)).toBe('legacy');
      }
      expect(random).not.toHaveBeenCalled();
    });

    test('stickyFallback legacy still hashes requests that do carry the value', () => {
      const route = { ...byHeader, stickyFallback: 'legacy' as const };
      const newUsers = USERS.filter((user) => inRollout(user, route.flag, 50));
      expect(newUsers.length).toBeGreaterThan(0);
      for (const user of newUsers.slice(0, 100)) expect(chooseSide(route, state('canary', 50), req({ 'x-user-id': user }), '', VIEW)).toBe('new');
    });

    test('stickyFallback random → random split by percent', () => {
      const random = jest.spyOn(Math, 'random');
      random.mockReturnValue(0.29); // bucket 30
      expect(chooseSide(byHeader, state('canary', 30), req(), '', VIEW)).toBe('new');
      random.mockReturnValue(0.3); // bucket 31
      expect(chooseSide(byHeader, state('canary', 30), req(), '', VIEW)).toBe('legacy');
      expect(random).toHaveBeenCalledTimes(2);
    });
  });
});

describe('chooseSide random canary', () => {
  const route = routeConfig('orders', '/api/orders', { stickiness: { kind: 'random' } });

  test('bucket = floor(random * 100) + 1, new when bucket <= percent', () => {
    const random = jest.spyOn(Math, 'random');
    const cases: Array<[number, number, Side]> = [
      [0, 1, 'new'],
      [0.009, 1, 'new'],
      [0.01, 1, 'legacy'],
      [0.2999, 30, 'new'],
      [0.3, 30, 'legacy'],
      [0.98, 99, 'new'],
      [0.99, 99, 'legacy'],
      [0.9999999, 99, 'legacy'],
    ];
    for (const [value, percent, side] of cases) {
      random.mockReturnValue(value);
      expect(chooseSide(route, state('canary', percent), req(), '', VIEW)).toBe(side);
    }
  });

  test('ignores any sticky-looking value on the request', () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.99);
    expect(chooseSide(route, state('canary', 50), req({ 'x-user-id': 'u', cookie: 'sid=s' }), '?uid=q', VIEW)).toBe('legacy');
    expect(random).toHaveBeenCalledTimes(1);
  });

  test('over 20,000 calls at 30% the share of new is within ±2 points', () => {
    let onNew = 0;
    const calls = 20_000;
    for (let i = 0; i < calls; i++) {
      if (chooseSide(route, state('canary', 30), req(), '', VIEW) === 'new') onNew++;
    }
    const share = (onNew / calls) * 100;
    expect(share).toBeGreaterThanOrEqual(28);
    expect(share).toBeLessThanOrEqual(32);
  });

  test('the missing-value random fallback also splits at the percentage', () => {
    const sticky = routeConfig('orders', '/api/orders', { stickiness: { kind: 'cookie', name: 'sid' }, stickyFallback: 'random' });
    let onNew = 0;
    const calls = 20_000;
    for (let i = 0; i < calls; i++) {
      if (chooseSide(sticky, state('canary', 30), req(), '', VIEW) === 'new') onNew++;
    }
    expect(Math.abs((onNew / calls) * 100 - 30)).toBeLessThanOrEqual(2);
  });
});

describe('chooseSide does not read route.stage/percent (state wins)', () => {
  test('route config says live, state says legacy → legacy', () => {
    const route: RouteConfig = routeConfig('orders', '/api/orders', { stage: 'live', percent: 100 });
    expect(chooseSide(route, state('legacy', 0), req(), '', VIEW)).toBe('legacy');
  });
});

describe('a flag with strategies strangler does not manage (flagRule)', () => {
  const withRule = (percent: number): RouteState => ({ ...state('canary', percent), flagRule: 'flexibleRollout 50%, userWithId (2 users)' });
  const reqFrom = (headers: Record<string, string> = {}): IncomingMessage => ({ headers, socket: { remoteAddress: '203.0.113.5' } }) as unknown as IncomingMessage;

  test('unleash-client decides each request, with the sticky value and the client address, even at 0 %', () => {
    const seen: Array<[string | undefined, string | undefined]> = [];
    const view = { ...VIEW, get: VIEW.get.bind(VIEW), inRollout: VIEW.inRollout, ready: true, inFlagRule: (_route: RouteConfig, request: { stickyValue: string | undefined; remoteAddress: string | undefined }) => (seen.push([request.stickyValue, request.remoteAddress]), request.stickyValue === 'qa-1') };
    const route = routeConfig('orders', '/api/orders', { stickiness: { kind: 'header', name: 'x-user-id' } });
    expect(chooseSide(route, withRule(0), reqFrom({ 'x-user-id': 'qa-1' }), '', view)).toBe('new');
    expect(chooseSide(route, withRule(0), reqFrom({ 'x-user-id': 'ada' }), '', view)).toBe('legacy');
    expect(seen).toEqual([['qa-1', '203.0.113.5'], ['ada', '203.0.113.5']]);
  });

  test('while unleash-client cannot decide, the managed share splits as a plain canary does (random stickiness included), not 0 %', () => {
    const view = { ...VIEW, get: VIEW.get.bind(VIEW), inRollout: VIEW.inRollout, ready: true, inFlagRule: () => undefined };
    const sticky = routeConfig('orders', '/api/orders', { stickiness: { kind: 'header', name: 'x-user-id' } });
    for (const user of USERS.slice(0, 200)) {
      expect(chooseSide(sticky, withRule(30), reqFrom({ 'x-user-id': user }), '', view)).toBe(inRollout(user, sticky.flag, 30) ? 'new' : 'legacy');
    }
    const random = routeConfig('orders', '/api/orders', { stickiness: { kind: 'random' } });
    const sides = USERS.map(() => chooseSide(random, withRule(50), reqFrom(), '', view));
    const share = sides.filter((side) => side === 'new').length / sides.length;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
  });
});
