import { resolve } from 'node:path';
import { loadConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { createLogger } from '../core/logging';
import { startProxy } from '../proxy/start';
import { startLegacyMonolith } from './legacy-monolith';
import { startOrdersService } from './orders-service';

/** `npm start`: the legacy monolith, the new orders service and strangler in front, on embedded state. */
async function demo(): Promise<void> {
  const legacyPort = Number(process.env.STRANGLER_DEMO_LEGACY_PORT ?? 3000);
  const ordersPort = Number(process.env.STRANGLER_DEMO_ORDERS_PORT ?? 4000);
  const legacy = await startLegacyMonolith(legacyPort);
  const orders = await startOrdersService(ordersPort);
  const configFile = resolve(__dirname, '../../examples/strangler.yaml');
  const config = loadConfig(configFile);
  const proxy = await startProxy(config, createLogger('strangler', process.env.STRANGLER_LOG_LEVEL ?? 'warn'));
  const proxyUrl = `http://127.0.0.1:${proxy.proxyAddress.port}`;
  const cli = 'bin/strangler';
  const admin = '--config examples/strangler.yaml';
  process.stdout.write(
    [
      '',
      `strangler demo — legacy monolith ${legacy.url}, new orders service ${orders.url}`,
      '',
      `  proxy:     ${proxyUrl}`,
      `  admin API: http://127.0.0.1:${proxy.adminAddress.port}  (token in examples/strangler.yaml)`,
      '',
      '/api/orders is in shadow: legacy answers, a copy goes to the new service, the answers are compared.',
      `  for i in $(seq 20); do curl -s ${proxyUrl}/api/orders/1 > /dev/null; curl -s ${proxyUrl}/api/orders > /dev/null; done`,
      `  ${cli} diff report ${admin}`,
      `  ${cli} diff report --format html --out diff-report.html ${admin}`,
      '',
      'Then move a quarter of the users of /api/orders to the new service (sticky by x-user-id):',
      `  ${cli} rollout set orders 25 --stage canary --reason "demo canary" ${admin}`,
      `  for u in ada grace linus margaret; do curl -s -H "x-user-id: $u" ${proxyUrl}/api/orders | head -c 40; echo; done`,
      `  ${cli} status ${admin}`,
      `  ${cli} rollout history orders ${admin}`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  const stop = async (): Promise<void> => {
    await proxy.stop();
    legacy.server.close();
    orders.server.close();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

demo().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : `strangler demo: ${(err as Error).message}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
