import type { Argv, CommandModule } from 'yargs';
import { pactVerifyCommand } from './contracts/pact-verify';

/** The CI gate: API and event contracts. */
export const contractsCommand: CommandModule = {
  command: 'contracts',
  describe: 'CI gate: OpenAPI breaking changes, Pact provider verification, event-schema compatibility',
  builder: (yargs: Argv) =>
    yargs.command(pactVerifyCommand as CommandModule).demandCommand(1, 'contracts: give a subcommand: pact-verify'),
  handler: () => undefined,
};
