/**
 * `--engine oasdiff`: run the real oasdiff (`oasdiff changelog BASE REVISION --format json`) and map its
 * output to our `Change` shape. The binary is looked for on PATH, then as a locally installed npm package
 * (`npx --no-install oasdiff`); nothing is downloaded. When there is none, `OasdiffNotFoundError` says how
 * to get one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isCheckId, levelOf } from './checks';
import type { Change, DiffOptions, Level } from './types';

export class OasdiffNotFoundError extends Error {
  constructor() {
    super(
      'oasdiff not found on PATH or through npx; install it (go install github.com/oasdiff/oasdiff@latest, or brew install oasdiff, or a release binary from github.com/oasdiff/oasdiff/releases) or use --engine native',
    );
    this.name = 'OasdiffNotFoundError';
  }
}

export class OasdiffFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OasdiffFailedError';
  }
}

export interface OasdiffCommand {
  command: string;
  prefix: string[];
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        /* next */
      }
    }
  }
  return undefined;
}

/** Where oasdiff is: an executable on PATH, else a local npm install reachable with `npx --no-install`. */
export function findOasdiff(env: NodeJS.ProcessEnv = process.env): OasdiffCommand | undefined {
  const binary = onPath('oasdiff', env);
  if (binary) return { command: binary, prefix: [] };
  const npx = onPath('npx', env);
  if (!npx) return undefined;
  const probe = spawnSync(npx, ['--no-install', 'oasdiff', '--version'], { env, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (probe.status === 0) return { command: npx, prefix: ['--no-install', 'oasdiff'] };
  return undefined;
}

const NUMERIC_LEVEL: Record<number, Level> = { 3: 'ERR', 2: 'WARN', 1: 'INFO' };

function mapLevel(raw: unknown, id: string): Level {
  if (typeof raw === 'number' && NUMERIC_LEVEL[raw]) return NUMERIC_LEVEL[raw]!;
  if (typeof raw === 'string') {
    const up = raw.toUpperCase();
    if (up === 'ERR' || up === 'ERROR') return 'ERR';
    if (up === 'WARN' || up === 'WARNING') return 'WARN';
    if (up === 'INFO') return 'INFO';
  }
  return isCheckId(id) ? levelOf(id) : 'INFO';
}

/** oasdiff's JSON (an array of changes, or `{changes: [...]}`) → our changes. */
export function mapOasdiffJson(raw: unknown, baseFile: string, revisionFile: string): Change[] {
  const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' && Array.isArray((raw as { changes?: unknown }).changes) ? (raw as { changes: unknown[] }).changes : undefined;
  if (!list) throw new OasdiffFailedError('oasdiff printed JSON that is not a list of changes');
  return list.map((item) => {
    const o = (item ?? {}) as Record<string, unknown>;
    const id = String(o.id ?? '');
    const line = typeof o.sourceLine === 'number' && o.sourceLine > 0 ? `:${o.sourceLine}` : '';
    const source = typeof o.sourceFile === 'string' && o.sourceFile ? `${o.sourceFile}${line}` : typeof o.source === 'string' && o.source ? o.source : id.includes('removed') ? baseFile : revisionFile;
    return {
      id,
      level: mapLevel(o.level, id),
      operation: typeof o.operation === 'string' ? o.operation : '',
      path: typeof o.path === 'string' ? o.path : '',
      source,
      text: String(o.text ?? '').replace(/\u001b\[[0-9;]*m/g, ''),
    };
  });
}

export function diffWithOasdiff(baseFile: string, revisionFile: string, options: DiffOptions = {}, env: NodeJS.ProcessEnv = process.env): Change[] {
  const found = findOasdiff(env);
  if (!found) throw new OasdiffNotFoundError();
  const args = [...found.prefix, 'changelog', baseFile, revisionFile, '--format', 'json'];
  if (options.deprecationDaysBeta) args.push('--deprecation-days-beta', String(options.deprecationDaysBeta));
  if (options.deprecationDaysStable) args.push('--deprecation-days-stable', String(options.deprecationDaysStable));
  if (options.severityLevelsFile) args.push('--severity-levels', options.severityLevelsFile);
  if (options.flattenAllOf) args.push('--flatten-allof');
  let stdout: string;
  try {
    stdout = execFileSync(found.command, args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; status?: number; message: string };
    const why = (e.stderr ?? '').trim().split('\n')[0] || e.message.split('\n')[0];
    throw new OasdiffFailedError(`oasdiff failed (exit ${e.status ?? '?'}): ${why}`);
  }
  const text = stdout.trim();
  if (!text || text === 'null') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OasdiffFailedError('oasdiff did not print JSON');
  }
  return mapOasdiffJson(parsed, baseFile, revisionFile);
}
