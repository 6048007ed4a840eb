import { STAGES } from '../../core/config/types';
import { rolloutParameters, stateFromFeature, stickinessField, toUnleashFeature, type UnleashFeature } from '../../rollout/flags/unleash-mapping';
import { routeConfig } from '../helpers/config';

const route = routeConfig('orders', '/api/orders', { stickiness: { kind: 'header', name: 'x-user-id' } });

function feature(enabled: boolean, parameters?: Record<string, string>): UnleashFeature {
  return { name: 'strangler.orders', enabled, strategies: parameters ? [{ name: 'flexibleRollout', parameters, constraints: [] }] : [] };
}

describe('route state ⇄ Unleash flag', () => {
  test.each(STAGES.map((stage) => [stage]))('%s round-trips through the flag strangler writes', (stage) => {
    const percent = stage === 'canary' ? 35 : stage === 'live' || stage === 'retired' ? 100 : 0;
    expect(stateFromFeature(toUnleashFeature(route, { stage, percent }))).toEqual({ stage, percent });
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
    expect(stateFromFeature(feature(true, { rollout: '40', stranglerStage: 'live' }))).toEqual({ stage: 'canary', percent: 40 });
    // A disabled canary: legacy.
    expect(stateFromFeature(feature(false, { rollout: '40', stranglerStage: 'canary' }))).toEqual({ stage: 'legacy', percent: 0 });
    // A flag made by hand, no stage parameter: canary below 100, live at 100.
    expect(stateFromFeature(feature(true, { rollout: '20' }))).toEqual({ stage: 'canary', percent: 20 });
    expect(stateFromFeature(feature(true, { rollout: '100' }))).toEqual({ stage: 'live', percent: 100 });
    // Canary at 100 % stays a canary when that is what was set.
    expect(stateFromFeature(feature(true, { rollout: '100', stranglerStage: 'canary' }))).toEqual({ stage: 'canary', percent: 100 });
    // Enabled with only Unleash's default strategy: everyone.
    expect(stateFromFeature(feature(true))).toEqual({ stage: 'live', percent: 100 });
  });

  describe('strategies strangler does not manage: unleash-client decides, the percent is the least share', () => {
    const managed = { name: 'flexibleRollout', parameters: { rollout: '10', stickiness: 'userId', groupId: 'strangler.orders', stranglerStage: 'canary' }, constraints: [] };
    const qa = { name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'userId' }, constraints: [{ contextName: 'userId', operator: 'IN', values: ['qa-1'] }] };
    const flag = (strategies: UnleashFeature['strategies'], extra: Partial<UnleashFeature> = {}): UnleashFeature => ({ name: 'strangler.orders', enabled: true, strategies, ...extra });

    test('only the testers: not a cut-over to live 100 %', () => {
      expect(stateFromFeature(flag([qa]))).toEqual({ stage: 'canary', percent: 0, flagRule: 'flexibleRollout 100% with 1 constraint' });
      expect(stateFromFeature(flag([{ name: 'userWithId', parameters: { userIds: 'qa-1, qa-2,' } }]))).toEqual({ stage: 'canary', percent: 0, flagRule: 'userWithId (2 users)' });
      expect(stateFromFeature(flag([{ name: 'default', constraints: [{}], segments: [1, 2] }]))).toEqual({ stage: 'canary', percent: 0, flagRule: 'default with 1 constraint and 2 segments' });
    });

    test("strangler's share plus the testers: the managed strategy gives the percent, whatever its position", () => {
      expect(stateFromFeature(flag([qa, managed]))).toEqual({ stage: 'canary', percent: 10, flagRule: 'flexibleRollout 100% with 1 constraint, flexibleRollout 10%' });
    });

    test('a parent flag decides too', () => {
      expect(stateFromFeature(flag([managed], { dependencies: [{ feature: 'checkout.v2', enabled: true }] }))).toEqual({ stage: 'canary', percent: 10, flagRule: 'flexibleRollout 10%, depends on checkout.v2' });
    });

    test('anything that lets everyone in is everyone, and a disabled flag is nobody: no rule', () => {
      expect(stateFromFeature(flag([qa, { name: 'default', parameters: {} }]))).toEqual({ stage: 'live', percent: 100 });
      expect(stateFromFeature(flag([qa, { ...managed, parameters: { ...managed.parameters, rollout: '100', stranglerStage: 'live' } }]))).toEqual({ stage: 'live', percent: 100 });
      expect(stateFromFeature(flag([qa, managed], { enabled: false }))).toEqual({ stage: 'legacy', percent: 0 });
    });
  });

  test('a missing flag or a nonsense rollout is read safely', () => {
    expect(stateFromFeature(undefined)).toEqual({ stage: 'legacy', percent: 0 });
    expect(stateFromFeature(feature(true, { rollout: 'abc' }))).toEqual({ stage: 'canary', percent: 0 });
    expect(stateFromFeature(feature(true, { rollout: '250' }))).toEqual({ stage: 'live', percent: 100 });
  });

  test('stickiness follows the route: header and query → userId, cookie → sessionId, random → random', () => {
    expect(stickinessField(route)).toBe('userId');
    expect(stickinessField(routeConfig('a', '/a', { stickiness: { kind: 'query', name: 'uid' } }))).toBe('userId');
    expect(stickinessField(routeConfig('a', '/a', { stickiness: { kind: 'cookie', name: 'sid' } }))).toBe('sessionId');
    expect(stickinessField(routeConfig('a', '/a', { stickiness: { kind: 'random' } }))).toBe('random');
    expect(rolloutParameters(routeConfig('a', '/a', { flag: 'custom.flag' }), { stage: 'canary', percent: 5 }).groupId).toBe('custom.flag');
  });
});
