import { resolve } from 'node:path';
import { loadConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { createLogger } from '../core/logging';
import { startProxy } from '../proxy/start';
import { startLegacyMonolith } from './legacy-monolith';
import { startOrdersService } from './orders-service';

/** `npm start`: the legacy monolith, the new orders service and strangler in front, on embedded state. */
async function demo(): Promise<void> {
  // Caught from the start: a stop asked for while starting, or right after the banner, still stops cleanly.
  const stopAsked = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const legacyPort = Number(process.env.STRANGLER_DEMO_LEGACY_PORT ?? 3000);
  const ordersPort = Number(process.env.STRANGLER_DEMO_ORDERS_PORT ?? 4000);
  const legacy = await startLegacyMonolith(legacyPort);
  const ordersService = await startOrdersService(ordersPort);
  const configFile = resolve(__dirname, '../../examples/strangler.yaml');
  const config = loadConfig(configFile);
  const proxy = await startProxy(config, createLogger('strangler', process.env.STRANGLER_LOG_LEVEL ?? 'warn'));
  const proxyUrl = `http://127.0.0.1:${proxy.proxyAddress.port}`;
  const adminUrl = `http://127.0.0.1:${proxy.adminAddress.port}`;
  const cli = 'bin/strangler';
  // With the admin port moved by the environment, the printed commands say where it is (the token stays in the file).
  const admin = `${process.env.STRANGLER_DEMO_ADMIN_PORT ? `--admin ${adminUrl} ` : ''}--config examples/strangler.yaml`;
  const orders = await routeState(adminUrl, config.admin.token, 'orders');
  process.stdout.write(
    [
      '',
      `strangler demo — legacy monolith ${legacy.url}, new orders service ${ordersService.url}`,
      '',
      `  proxy:     ${proxyUrl}`,
      `  admin API: ${adminUrl}  (token in examples/strangler.yaml)`,
      '',
      ...(orders.stage === 'shadow' && orders.version === 1
        ? ['/api/orders is in shadow: legacy answers, a copy goes to the new service, the answers are compared.']
        : [
            `/api/orders is in ${orders.stage} ${orders.percent}% (version ${orders.version}): the state of an earlier run, kept in examples/.strangler.`,
            'Remove that folder while the demo is stopped to start over in shadow.',
          ]),
      `  for i in $(seq 20); do curl -s ${proxyUrl}/api/orders/1 > /dev/null; curl -s ${proxyUrl}/api/orders > /dev/null; done`,
      `  ${cli} diff report ${admin}`,
      `  ${cli} diff report --format html --out diff-report.html ${admin}`,
      '',
      ...(orders.stage === 'canary' && orders.percent === 25
        ? ['A quarter of the users of /api/orders already go to the new service (sticky by x-user-id); to shadow again:', `  ${cli} rollout set orders 0 --stage shadow --reason "demo again" ${admin}`]
        : ['Then move a quarter of the users of /api/orders to the new service (sticky by x-user-id):', `  ${cli} rollout set orders 25 --stage canary --reason "demo canary" ${admin}`]),
      `  for u in ada grace linus margaret; do curl -s -H "x-user-id: $u" ${proxyUrl}/api/orders | head -c 40; echo; done`,
      `  ${cli} status ${admin}`,
      `  ${cli} rollout history orders ${admin}`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  await stopAsked;
  await proxy.stop();
  legacy.server.close();
  ordersService.server.close();
}

async function routeState(adminUrl: string, token: string, route: string): Promise<{ stage: string; percent: number; version: number }> {
  const response = await fetch(`${adminUrl}/routes/${route}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET /routes/${route} answered ${response.status}`);
  return (await response.json()) as { stage: string; percent: number; version: number };
}

const PORT_VARIABLES = 'STRANGLER_DEMO_PORT, STRANGLER_DEMO_ADMIN_PORT, STRANGLER_DEMO_LEGACY_PORT, STRANGLER_DEMO_ORDERS_PORT';

demo().catch((err: unknown) => {
  const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ` (move the demo with ${PORT_VARIABLES})` : '';
  const message = err instanceof ConfigError ? err.message : `strangler demo: ${(err as Error).message}${inUse}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
