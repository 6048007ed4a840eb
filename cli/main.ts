#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, StranglerError } from '../core/errors';
import { configCommand } from './commands/config';
import { contractsCommand } from './commands/contracts';
import { diffCommand } from './commands/diff';
import { flagsCommand } from './commands/flags';
import { proxyCommand } from './commands/proxy';
import { rolloutCommand } from './commands/rollout';
import { statusCommand } from './commands/status';
import { CliError, oneLine } from './output';

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('strangler')
    .usage('$0 <command> [options]\n\nMove a live monolith to new services one route at a time.')
    .command(proxyCommand as never)
    .command(configCommand)
    .command(statusCommand as never)
    .command(rolloutCommand)
    .command(flagsCommand)
    .command(diffCommand)
    .command(contractsCommand)
    .demandCommand(1, 'give a command: proxy, config, status, rollout, flags, diff or contracts')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .fail((message, err) => {
      if (err) throw err;
      process.stderr.write(`strangler: ${oneLine(message)} (see --help)\n`);
      process.exit(2);
    })
    .parseAsync();
}

if (require.main === module) {
  main(hideBin(process.argv)).catch((err: unknown) => {
    if (err instanceof ConfigError) {
      // One line per problem, each naming file, line and field.
      process.stderr.write(err.message + '\n');
      process.exit(1);
    }
    const message = err instanceof CliError || err instanceof StranglerError ? err.message : String((err as Error)?.message ?? err);
    process.stderr.write(`strangler: ${oneLine(message)}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  });
}
