import { settingsNotApplied } from '../../proxy/settings-not-applied';
import { routeConfig, testConfig, upstreamConfig } from '../helpers/config';

describe('settingsNotApplied', () => {
  const upstreams = [upstreamConfig('legacy', 'http://127.0.0.1:3000'), upstreamConfig('orders', 'http://127.0.0.1:4000')];

  test('names each accepted-but-ignored route setting, with its index and route', () => {
    const config = testConfig(upstreams, [
      routeConfig('orders', '/api/orders', { stage: 'canary', percent: 10, fallback: { on: ['connect-error'], methods: ['GET'] } }),
      routeConfig('reports', '/v1/reports', { service: undefined, stage: 'retired', deprecated: { sunset: '2027-06-01T00:00:00Z' } }),
    ]);
    expect(settingsNotApplied(config)).toEqual([
      'routes[0] (orders).fallback is not applied yet: a failed request to the new service is not retried on legacy',
      'routes[1] (reports).deprecated is not applied yet: no Sunset or Deprecation headers are sent',
      'routes[1] (reports) stage retired is not applied yet for a route without service: legacy still answers (no 410)',
    ]);
  });

  test('says nothing about what the data path does apply', () => {
    const config = testConfig(upstreams, [
      routeConfig('orders', '/api/orders', { stage: 'live' }),
      routeConfig('users', '/api/users', { stage: 'retired' }),
    ]);
    expect(settingsNotApplied(config)).toEqual([]);
  });
});
