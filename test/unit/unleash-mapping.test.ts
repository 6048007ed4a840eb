import { STAGES } from '../../core/config/types';
import { foreignStickiness, rolloutParameters, stateFromFeature, stickinessField, toUnleashFeature, type UnleashFeature } from '../../rollout/flags/unleash-mapping';
import { routeConfig } from '../helpers/config';

const route = routeConfig('orders', '/api/orders', { stickiness: { kind: 'header', name: 'x-user-id' } });

function feature(enabled: boolean, parameters?: Record<string, string>): UnleashFeature {
  return { name: 'strangler.orders', enabled, strategies: parameters ? [{ name: 'flexibleRollout', parameters, constraints: [] }] : [] };
}

describe('route state ⇄ Unleash flag', () => {
  test.each(STAGES.map((stage) => [stage]))('%s round-trips through the flag strangler writes', (stage) => {
    const percent = stage === 'canary' ? 35 : stage === 'live' || stage === 'retired' ? 100 : 0;
    expect(stateFromFeature(toUnleashFeature(route, { stage, percent }), 'userId')).toEqual({ stage, percent });
  });

  test('the flag strangler writes: enabled exactly when users reach the new service', () => {
    expect(toUnleashFeature(route, { stage: 'canary', percent: 35 })).toEqual({
      name: 'strangler.orders',
      type: 'release',
      enabled: true,
      stale: false,
      strategies: [{ name: 'flexibleRollout', constraints: [], parameters: { rollout: '35', stickiness: 'userId', groupId: 'strangler.orders', stranglerStage: 'canary' } }],
    });
    expect(toUnleashFeature(route, { stage: 'shadow', percent: 0 }).enabled).toBe(false);
  });

  test('edits made in the Unleash UI win over the stage parameter', () => {
    // Rollout lowered on a live flag: a canary at that share.
    expect(stateFromFeature(feature(true, { rollout: '40', stranglerStage: 'live' }), 'userId')).toEqual({ stage: 'canary', percent: 40 });
    // A disabled canary: legacy.
    expect(stateFromFeature(feature(false, { rollout: '40', stranglerStage: 'canary' }), 'userId')).toEqual({ stage: 'legacy', percent: 0 });
    // A flag made by hand, no stage parameter: canary below 100, live at 100.
    expect(stateFromFeature(feature(true, { rollout: '20' }), 'userId')).toEqual({ stage: 'canary', percent: 20 });
    expect(stateFromFeature(feature(true, { rollout: '100' }), 'userId')).toEqual({ stage: 'live', percent: 100 });
    // Canary at 100 % stays a canary when that is what was set.
    expect(stateFromFeature(feature(true, { rollout: '100', stranglerStage: 'canary' }), 'userId')).toEqual({ stage: 'canary', percent: 100 });
    // Enabled with only Unleash's default strategy: everyone.
    expect(stateFromFeature(feature(true), 'userId')).toEqual({ stage: 'live', percent: 100 });
  });

  describe('strategies strangler does not manage: unleash-client decides, the percent is the least share', () => {
    const managed = { name: 'flexibleRollout', parameters: { rollout: '10', stickiness: 'userId', groupId: 'strangler.orders', stranglerStage: 'canary' }, constraints: [] };
    const qa = { name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'userId' }, constraints: [{ contextName: 'userId', operator: 'IN', values: ['qa-1'] }] };
    const flag = (strategies: UnleashFeature['strategies'], extra: Partial<UnleashFeature> = {}): UnleashFeature => ({ name: 'strangler.orders', enabled: true, strategies, ...extra });

    test('only the testers: not a cut-over to live 100 %', () => {
      expect(stateFromFeature(flag([qa]), 'userId')).toEqual({ stage: 'canary', percent: 0, flagRule: 'flexibleRollout 100% with 1 constraint' });
      expect(stateFromFeature(flag([{ name: 'userWithId', parameters: { userIds: 'qa-1, qa-2,' } }]), 'userId')).toEqual({ stage: 'canary', percent: 0, flagRule: 'userWithId (2 users)' });
      expect(stateFromFeature(flag([{ name: 'default', constraints: [{}], segments: [1, 2] }]), 'userId')).toEqual({ stage: 'canary', percent: 0, flagRule: 'default with 1 constraint and 2 segments' });
    });

    test("strangler's share plus the testers: the managed strategy gives the percent, whatever its position", () => {
      expect(stateFromFeature(flag([qa, managed]), 'userId')).toEqual({ stage: 'canary', percent: 10, flagRule: 'flexibleRollout 100% with 1 constraint, flexibleRollout 10%' });
    });

    test('a parent flag decides too', () => {
      expect(stateFromFeature(flag([managed], { dependencies: [{ feature: 'checkout.v2', enabled: true }] }), 'userId')).toEqual({ stage: 'canary', percent: 10, flagRule: 'flexibleRollout 10%, depends on checkout.v2' });
    });

    test('anything that lets everyone in is everyone, and a disabled flag is nobody: no rule', () => {
      expect(stateFromFeature(flag([qa, { name: 'default', parameters: {} }]), 'userId')).toEqual({ stage: 'live', percent: 100 });
      expect(stateFromFeature(flag([qa, { ...managed, parameters: { ...managed.parameters, rollout: '100', stranglerStage: 'live' } }]), 'userId')).toEqual({ stage: 'live', percent: 100 });
      expect(stateFromFeature(flag([qa, managed], { enabled: false }), 'userId')).toEqual({ stage: 'legacy', percent: 0 });
    });
  });

  describe('a stickiness set in Unleash that is not what the route sends: unleash-client decides', () => {
    const rollout = (stickiness: string | undefined, percent = '25'): UnleashFeature =>
      feature(true, { rollout: percent, groupId: 'strangler.orders', stranglerStage: 'canary', ...(stickiness === undefined ? {} : { stickiness }) });

    test('a header route (userId): sessionId, random or a custom field is a rule that says so, even at 100 %; the least share is what reaches the route', () => {
      // The route never sends a sessionId or tenantId: unleash-client lets none of its requests in by that strategy.
      expect(stateFromFeature(rollout('sessionId'), 'userId')).toEqual({ stage: 'canary', percent: 0, flagRule: 'flexibleRollout 25% sticky on sessionId (the route sends userId)' });
      expect(stateFromFeature(rollout('tenantId'), 'userId')).toEqual({ stage: 'canary', percent: 0, flagRule: 'flexibleRollout 25% sticky on tenantId (the route sends userId)' });
      expect(stateFromFeature(rollout('sessionId', '100'), 'userId')).toEqual({ stage: 'canary', percent: 0, flagRule: 'flexibleRollout 100% sticky on sessionId (the route sends userId)' });
      // random: that share of the requests, whoever sends them.
      expect(stateFromFeature(rollout('random'), 'userId')).toEqual({ stage: 'canary', percent: 25, flagRule: 'flexibleRollout 25% sticky on random (the route sends userId)' });
    });

    test("the route's own field, default or none (unleash-client: userId, then sessionId, then random) is a plain canary", () => {
      for (const stickiness of ['userId', 'default', '', undefined]) expect(stateFromFeature(rollout(stickiness), 'userId')).toEqual({ stage: 'canary', percent: 25 });
      expect(stateFromFeature(rollout('sessionId'), 'sessionId')).toEqual({ stage: 'canary', percent: 25 });
      expect(stateFromFeature(rollout('default'), 'random')).toEqual({ stage: 'canary', percent: 25 });
      expect(stateFromFeature(rollout('random'), 'random')).toEqual({ stage: 'canary', percent: 25 });
    });

    test('a cookie route (sessionId) and a random route are told what they send', () => {
      expect(stateFromFeature(rollout('userId'), 'sessionId').flagRule).toBe('flexibleRollout 25% sticky on userId (the route sends sessionId)');
      expect(stateFromFeature(rollout('userId'), 'random').flagRule).toBe('flexibleRollout 25% sticky on userId (the route sends no sticky id)');
    });

    test('foreignStickiness names the stickiness a write would replace; a disabled flag is legacy whatever it says', () => {
      const strategy = (stickiness: string) => ({ name: 'flexibleRollout', parameters: { rollout: '25', stickiness } });
      expect(foreignStickiness(strategy('sessionId'), 'userId')).toBe('sessionId');
      expect(foreignStickiness(strategy('default'), 'sessionId')).toBeUndefined();
      expect(foreignStickiness({ name: 'userWithId', parameters: { stickiness: 'x' } }, 'userId')).toBeUndefined();
      expect(stateFromFeature({ ...rollout('sessionId'), enabled: false }, 'userId')).toEqual({ stage: 'legacy', percent: 0 });
    });
  });

  test('a missing flag or a nonsense rollout is read safely', () => {
    expect(stateFromFeature(undefined, 'userId')).toEqual({ stage: 'legacy', percent: 0 });
    expect(stateFromFeature(feature(true, { rollout: 'abc' }), 'userId')).toEqual({ stage: 'canary', percent: 0 });
    expect(stateFromFeature(feature(true, { rollout: '250' }), 'userId')).toEqual({ stage: 'live', percent: 100 });
  });

  test('stickiness follows the route: header and query → userId, cookie → sessionId, random → random', () => {
    expect(stickinessField(route)).toBe('userId');
    expect(stickinessField(routeConfig('a', '/a', { stickiness: { kind: 'query', name: 'uid' } }))).toBe('userId');
    expect(stickinessField(routeConfig('a', '/a', { stickiness: { kind: 'cookie', name: 'sid' } }))).toBe('sessionId');
    expect(stickinessField(routeConfig('a', '/a', { stickiness: { kind: 'random' } }))).toBe('random');
    expect(rolloutParameters(routeConfig('a', '/a', { flag: 'custom.flag' }), { stage: 'canary', percent: 5 }).groupId).toBe('custom.flag');
  });
});
