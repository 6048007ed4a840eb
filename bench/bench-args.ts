/**
 * A small bench's command line: `--name value` flags and `--switch`es it names. `--help` prints the usage
 * (exit 0); anything else is refused with one line naming it and the usage (exit 2), before any work.
 */
export function benchArgs(bench: string, usage: string, known: { values?: readonly string[]; switches?: readonly string[] }, argv = process.argv.slice(2)): Map<string, string | true> {
  const found = new Map<string, string | true>();
  const refuse = (why: string): never => {
    console.error(`bench/${bench}: ${why}; ${usage}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (known.switches?.includes(flag)) found.set(flag, true);
    else if (known.values?.includes(flag)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) refuse(`${flag} needs a value`);
      found.set(flag, value!);
      i++;
    } else refuse(`unknown option ${JSON.stringify(flag)}`);
  }
  return found;
}
