import type { Argv, CommandModule } from 'yargs';
import { redactConfig, validateConfigFile } from '../../core/config';
import { formatConfigIssue } from '../../core/errors';
import { count, printJson, printLines } from '../output';
import { leafCommand } from './common';

const validateCommand = leafCommand('config', {
  command: 'validate <file>',
  describe: 'Check a strangler.yaml: every problem with its file, line and field',
  builder: (yargs) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'The configuration file to check (strangler.yaml)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
      .example('$0 config validate strangler.yaml', ''),
  handler: (args) => {
    const result = validateConfigFile(args.file);
    if (result.ok) {
      if (args.json) printJson({ ok: true, config: redactConfig(result.config) });
      else printLines([`${args.file}: ok (${count(result.config.routes.length, 'route')}, ${count(Object.keys(result.config.upstreams).length, 'upstream')})`]);
      return;
    }
    if (args.json) printJson({ ok: false, issues: result.issues });
    else process.stderr.write(result.issues.map(formatConfigIssue).join('\n') + '\n');
    process.exitCode = 1;
  },
});

export const configCommand: CommandModule = {
  command: 'config',
  describe: 'Work with strangler.yaml',
  builder: (yargs: Argv) =>
    yargs
      .command(validateCommand)
      .demandCommand(1, 'config: give a subcommand: validate')
      .example('$0 config validate strangler.yaml', 'every problem, one line each, with its line number'),
  handler: () => undefined,
};
