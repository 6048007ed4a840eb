import { formatPactVerification, PACT_VERIFY_FORMATS, type PactVerifyFormat } from '../../../contracts/pact/format';
import { PACT_LOG_LEVELS, PactInputError, PactVerifyError, verifyPacts, type PactLogLevel } from '../../../contracts/pact/verify';
import { CliError } from '../../output';
import { leafCommand } from '../common';

/** `strangler contracts pact-verify`: exit 0 verified, 1 an interaction failed (or the provider could not be reached), 2 bad input. */
export const pactVerifyCommand = leafCommand('contracts', {
  command: 'pact-verify',
  describe: 'Verify consumer pacts against a running provider (the new service, or the proxy in front of it)',
  builder: (yargs) =>
    yargs
      .option('provider', { type: 'string', demandOption: true, describe: 'Provider name, as the pacts name it' })
      .option('provider-url', { type: 'string', demandOption: true, describe: 'Base URL of the running provider' })
      .option('pacts', { type: 'string', array: true, demandOption: true, describe: 'Pact file or directory of pact files (*.json); repeatable' })
      .option('states-url', { type: 'string', describe: 'Receives POST {state, params, action} to set up each provider state' })
      .option('format', { choices: PACT_VERIFY_FORMATS, default: 'text' as PactVerifyFormat, describe: 'text (one line per interaction) or json' })
      .option('json', { type: 'boolean', describe: 'Same as --format json' })
      .option('log-level', { choices: PACT_LOG_LEVELS, default: 'error' as PactLogLevel, describe: "The verifier's log level; info and below also print its own report on stderr" })
      .example('$0 contracts pact-verify --provider orders --provider-url http://127.0.0.1:4000 --pacts ./pacts', '')
      .example('$0 contracts pact-verify --provider orders --provider-url http://127.0.0.1:8080 --pacts ./pacts --states-url http://127.0.0.1:4000/_pact/state', 'through the proxy, with provider states'),
  handler: async (args) => {
    let result;
    try {
      result = await verifyPacts({
        provider: args.provider,
        providerUrl: args.providerUrl,
        pacts: args.pacts.map(String),
        ...(args.statesUrl === undefined ? {} : { statesUrl: args.statesUrl }),
        logLevel: args.logLevel,
      });
    } catch (err) {
      // Exit 1 is kept for pacts the provider breaks: a CI step must tell that from "nothing was verified".
      if (err instanceof PactInputError || err instanceof PactVerifyError) throw new CliError(err.message, 2);
      throw err;
    }
    process.stdout.write(formatPactVerification(result, args.json ? 'json' : args.format));
    if (!result.ok) process.exitCode = 1;
  },
});
