import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../core/config';
import { createLogger, type Logger } from '../../core/logging';
import { startProxy, StartStopped, type RunningProxy } from '../../proxy/start';
import { topLevelCommand } from './common';

function origin(address: AddressInfo): string {
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/** After the stopped line, how long the process may take to end by itself before it is ended. */
const EXIT_GRACE_MS = 1000;

export const proxyCommand = topLevelCommand({
  command: 'proxy',
  describe: 'Run the edge proxy and its admin API',
  builder: (yargs) =>
    yargs
      .option('config', { type: 'string', requiresArg: true, default: 'strangler.yaml', describe: 'Configuration file' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the listening and stopped lines as JSON (logs are JSON on stderr either way)' })
      .example('$0 proxy --config strangler.yaml', 'SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0')
      .example('$0 proxy --config strangler.yaml --json', 'one JSON line on stdout when listening (ports, state, flags), one when stopped'),
  handler: async (args) => {
    const config = loadConfig(args.config);
    const logger = createLogger('strangler');
    // The signals are caught from the start. One while the state store opens stops the start (the requests
    // waiting are answered 503, what was opened is closed); one once it serves (or right after the listening
    // line, by whoever reads it) drains.
    const starting = new AbortController();
    const stopped = new Promise<string>((resolve) => {
      const stop = (received: string): void => {
        logger.info({ signal: received }, 'stopping: finishing in-flight requests');
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        starting.abort();
        resolve(received);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    let proxy: RunningProxy;
    try {
      proxy = await startProxy(config, logger, { signal: starting.signal });
    } catch (err) {
      if (!(err instanceof StartStopped)) throw err;
      sayStopped(logger, args.json, await stopped);
      return;
    }
    const listening = { proxy: origin(proxy.proxyAddress), admin: origin(proxy.adminAddress), state: proxy.state, flags: proxy.flags, pid: process.pid };
    process.stdout.write(
      args.json
        ? `${JSON.stringify({ event: 'listening', ...listening })}\n`
        : `strangler proxy listening on ${listening.proxy} (admin ${listening.admin}, state ${listening.state}, flags ${listening.flags}); SIGTERM or Ctrl-C stops it\n`,
    );
    const signal = await stopped;
    await proxy.stop();
    sayStopped(logger, args.json, signal);
  },
});

/** The stopped line, after a drain or a start stopped while it opened the state store; then the process ends. */
function sayStopped(logger: Logger, json: boolean, signal: string): void {
  logger.info('stopped');
  process.stdout.write(json ? `${JSON.stringify({ event: 'stopped', signal })}\n` : `strangler proxy stopped (${signal})\n`);
  // Connections to a state store that stopped answering would keep the process alive; everything owed is done.
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}
