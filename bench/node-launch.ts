import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How Node contenders are started: bin/strangler's settings, or plain `node`. */
export interface NodeLaunch {
  nodeArgs: string[];
  env: NodeJS.ProcessEnv;
  label: string;
}

/**
 * bin/strangler's memory settings, read from the launcher itself so the bench measures what the
 * `strangler` command runs with. Every Node contender (peers too) gets them, so the comparison stays fair.
 */
export function nodeLaunch(plain: boolean): NodeLaunch {
  const { MALLOC_ARENA_MAX: _inherited, ...env } = process.env;
  if (plain) return { nodeArgs: [], env, label: 'plain node (--plain-node)' };
  const file = join(__dirname, '..', '..', 'bin', 'strangler');
  const text = readFileSync(file, 'utf8');
  const semi = /exec node (--max-semi-space-size=\d+) "\$main"/.exec(text);
  const arenas = /MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-(\d+)\}/.exec(text);
  if (!semi || !arenas) throw new Error(`${file}: expected "exec node --max-semi-space-size=N" and "MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-N}"`);
  return {
    nodeArgs: [semi[1]!],
    env: { ...env, MALLOC_ARENA_MAX: arenas[1]! },
    label: `bin/strangler's settings: ${semi[1]}, MALLOC_ARENA_MAX=${arenas[1]}`,
  };
}
