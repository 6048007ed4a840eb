#!/usr/bin/env node
/**
 * A real Unleash server (npm `unleash-server` 8, ESM-only) for integration tests; test/helpers/unleash.ts
 * spawns it.
 *
 *   node test/helpers/unleash-server.mjs <postgres-url>      (or UNLEASH_TEST_DATABASE_URL=<postgres-url>)
 *
 * - The database should be empty (a fresh one from createTestDatabase()): Unleash migrates it, and creates
 *   the init API tokens only when its token table is empty.
 * - Listens on 127.0.0.1, on a port the kernel picks (server.port 0 works: Unleash passes it to listen()).
 * - stdout is the protocol channel, nothing else is written to it: once GET /health answers 200, ONE line
 *     {"url":"http://127.0.0.1:PORT","adminToken":"*:*.<hex>","clientToken":"default:development.<hex>"}
 *   then one JSON reply per command read from stdin (one per line):
 *     refresh-tokens  runs Unleash's token-cache refresh at once (the scheduler runs it once a minute; until
 *                     it runs, a deleted legacy token keeps working) -> {"reply":"refresh-tokens"}
 *   Everything else (Unleash's own logs, console output of its dependencies) goes to stderr, warnings and
 *   errors only.
 * - Exits when stdin closes (so it never outlives a crashed test), and on SIGTERM/SIGINT/SIGHUP.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

const HOST = '127.0.0.1';
const HEALTH_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

// stdout carries our protocol: send every console method of Unleash and its dependencies to stderr.
for (const method of ['log', 'info', 'debug', 'warn', 'trace']) console[method] = console.error;
const protocol = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const note = (message) => process.stderr.write(`unleash-server.mjs: ${message}\n`);

// `createConfig` reads `telemetry: options.telemetry || SEND_TELEMETRY (default true)`: the option alone
// cannot turn it off. CHECK_VERSION too, for good measure. NODE_ENV=test (inherited from jest) switches
// Unleash into its own test mode (isOss and friends): run it as production.
process.env.SEND_TELEMETRY = 'false';
process.env.CHECK_VERSION = 'false';
process.env.NODE_ENV = 'production';

const databaseUrl = process.argv[2] || process.env.UNLEASH_TEST_DATABASE_URL;
if (!databaseUrl) {
  note('usage: node unleash-server.mjs <postgres-url> (or set UNLEASH_TEST_DATABASE_URL)');
  process.exit(2);
}

/** Unleash logger provider: warn and above to stderr, the rest dropped. */
function getLogger(name) {
  const write = (level) => (message, ...args) => {
    const rest = args.map((arg) => (arg instanceof Error ? arg.stack : typeof arg === 'string' ? arg : JSON.stringify(arg)));
    process.stderr.write(`unleash ${level} [${name}] ${[message, ...rest].join(' ')}\n`);
  };
  const drop = () => {};
  return { debug: drop, info: drop, warn: write('warn'), error: write('error'), fatal: write('fatal') };
}

const secret = () => randomBytes(16).toString('hex');
// Unleash's own format, <project>:<environment>.<secret>: admin tokens must be `*:*` (validateApiToken
// rejects a scoped admin token), backend ("client") tokens must name one environment.
const adminToken = `*:*.${secret()}`;
const clientToken = `default:development.${secret()}`;

let unleash = null;
let stopping = null;

/** Stops Unleash (HTTP server, scheduler, db pool) and exits; a hung stop is cut short. */
function shutdown(reason, exitCode = 0) {
  if (stopping) return stopping;
  if (reason) note(`stopping (${reason})`);
  setTimeout(() => process.exit(exitCode), STOP_TIMEOUT_MS).unref();
  stopping = (async () => {
    try {
      if (unleash) await unleash.stop();
    } catch (error) {
      note(`stop failed: ${error?.stack ?? error}`);
    }
    process.exit(exitCode);
  })();
  return stopping;
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => void shutdown(signal));

// stdin: commands, and its end means our parent is gone.
const commands = createInterface({ input: process.stdin });
commands.on('close', () => void shutdown('stdin closed'));
commands.on('line', (line) => void runCommand(line.trim()));
process.stdin.on('error', () => void shutdown('stdin error'));

async function runCommand(command) {
  if (!command) return;
  try {
    if (!unleash) throw new Error('Unleash is not started yet');
    if (command === 'refresh-tokens') {
      const { apiTokenService, apiTokenV2Service } = unleash.services;
      await Promise.all([apiTokenService.fetchActiveTokens(), apiTokenV2Service?.fetchActiveTokens()]);
      protocol({ reply: command });
    } else {
      throw new Error(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    protocol({ reply: command, error: String(error?.message ?? error) });
  }
}

async function waitForHealth(url) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = String(error?.cause?.message ?? error?.message ?? error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`GET ${url}/health did not answer 200 within ${HEALTH_TIMEOUT_MS} ms (last: ${last})`);
}

async function main() {
  const { start } = await import('unleash-server');
  unleash = await start({
    databaseUrl,
    // The test server has no TLS; without this Unleash asks for SSL (default { rejectUnauthorized: false }).
    db: { ssl: false, pool: { min: 0, max: 4 } },
    server: { host: HOST, port: 0, gracefulShutdownEnable: false, enableRequestLogger: false },
    telemetry: false,
    versionCheck: { enable: false },
    getLogger,
    authentication: {
      // No admin user: skips password hashing at start; the API tokens are all the tests need.
      createAdminUser: false,
      initApiTokens: [
        { type: 'admin', secret: adminToken, tokenName: 'test-admin', projects: ['*'], environment: '*' },
        {
          type: 'backend',
          secret: clientToken,
          tokenName: 'test-client',
          projects: ['default'],
          environment: 'development',
        },
      ],
    },
  });
  if (stopping) return; // stdin closed or a signal arrived while starting: shutdown() takes over
  const { port } = unleash.server.address();
  const url = `http://${HOST}:${port}`;
  await waitForHealth(url);
  protocol({ url, adminToken, clientToken });
}

main().catch((error) => {
  note(`failed to start: ${error?.stack ?? error}`);
  void shutdown(null, 1);
});
