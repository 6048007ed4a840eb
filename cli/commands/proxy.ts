import type { CommandModule } from 'yargs';
import { loadConfig } from '../../core/config';
import { createLogger } from '../../core/logging';
import { startProxy } from '../../proxy/start';

interface ProxyArgs {
  config: string;
}

export const proxyCommand: CommandModule<object, ProxyArgs> = {
  command: 'proxy',
  describe: 'Run the edge proxy and its admin API',
  builder: (yargs) =>
    yargs
      .option('config', { type: 'string', default: 'strangler.yaml', describe: 'Configuration file' })
      .example('$0 proxy --config strangler.yaml', 'SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0') as never,
  handler: async (args) => {
    const config = loadConfig(args.config);
    const logger = createLogger('strangler');
    const proxy = await startProxy(config, logger);
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        logger.info({ signal }, 'stopping: finishing in-flight requests');
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await proxy.stop();
    logger.info('stopped');
  },
};
