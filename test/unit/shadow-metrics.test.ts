import { Registry } from 'prom-client';
import { ShadowMetrics } from '../../proxy/shadow-metrics';

describe("shadow metrics: the new service's answers by status class", () => {
  test('a 503 in shadow is a 5xx of the new service, whatever the comparison says; an error has no status', async () => {
    const registry = new Registry();
    const metrics = new ShadowMetrics(registry);
    metrics.compared('orders', 'mismatch', 10, 12, 503);
    metrics.compared('orders', 'match', 10, 11, 200);
    metrics.compared('orders', 'match', 10, 11, 204);
    metrics.compared('orders', 'error', 10, 2000);
    const text = await registry.metrics();
    expect(text).toContain('strangler_shadow_new_answers_total{route="orders",class="5xx"} 1');
    expect(text).toContain('strangler_shadow_new_answers_total{route="orders",class="2xx"} 2');
    expect(text).toContain('strangler_shadow_comparisons_total{route="orders",result="error"} 1');
  });
});
