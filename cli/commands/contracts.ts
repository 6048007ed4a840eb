import type { Argv, CommandModule } from 'yargs';
import { eventsDiffCommand, eventsValidateCommand } from './contracts/events';
import { openApiDiffCommand } from './contracts/openapi-diff';
import { pactVerifyCommand } from './contracts/pact-verify';

/** The CI gate: API and event contracts. */
export const contractsCommand: CommandModule = {
  command: 'contracts',
  describe: 'CI gate: OpenAPI breaking changes, Pact provider verification, event-schema compatibility',
  builder: (yargs: Argv) =>
    yargs
      .command(openApiDiffCommand)
      .command(pactVerifyCommand)
      .command(eventsDiffCommand)
      .command(eventsValidateCommand)
      .demandCommand(1, 'contracts: give a subcommand: openapi-diff, pact-verify, events-diff or events-validate')
      .example('$0 contracts openapi-diff main/openapi.yaml openapi.yaml --fail-on ERR', 'breaking API changes, with oasdiff ids')
      .example('$0 contracts events-diff main/schemas/events schemas/events', 'event schema compatibility, both directions'),
  handler: () => undefined,
};
