import type { Argv, CommandModule } from 'yargs';
import type { FlagsExport } from '../../core/flags';
import { adminRequest, configFileInUse, resolveAdminTarget } from '../admin-client';
import { count, printJson, printLines } from '../output';
import { checkOut, writeWhole } from '../write-whole';
import { leafCommand, withAdminFlags } from './common';

const exportCommand = leafCommand('flags', {
  command: 'export',
  describe: "Write the flags the proxy applies, and the segments they name, in Unleash's bootstrap format (flags.bootstrap)",
  builder: (yargs) =>
    withAdminFlags(yargs)
      .option('out', { type: 'string', requiresArg: true, describe: 'File to write (written whole, or not at all); stdout when absent' })
      .example('$0 flags export --out flags-bootstrap.json', 'a bootstrap file for starting without Unleash'),
  handler: async (args) => {
    checkOut(args.out, configFileInUse(args));
    const target = resolveAdminTarget(args);
    const { warnings, ...flags } = await adminRequest<FlagsExport>(target, 'GET', '/flags/export');
    // The file holds the flags only; what in it may be old goes to stderr.
    for (const warning of warnings ?? []) process.stderr.write(`strangler: warning: ${warning}\n`);
    if (!args.out) return printJson(flags);
    writeWhole(args.out, JSON.stringify(flags, null, 2) + '\n');
    const segments = flags.segments?.length ?? 0;
    if (args.json) printJson({ out: args.out, features: flags.features.length, segments, ...(warnings ? { warnings } : {}) });
    else printLines([`${args.out}: ${count(flags.features.length, 'flag')}${segments > 0 ? `, ${count(segments, 'segment')}` : ''}`]);
  },
});

export const flagsCommand: CommandModule = {
  command: 'flags',
  describe: 'Work with the route flags (embedded store or Unleash)',
  builder: (yargs: Argv) =>
    yargs
      .command(exportCommand)
      .demandCommand(1, 'flags: give a subcommand: export')
      .example('$0 flags export --out flags-bootstrap.json', "the flags the proxy applies, in Unleash's bootstrap format"),
  handler: () => undefined,
};
