import type { Argv } from 'yargs';
import { CliError } from '../output';

export interface AdminArgs {
  admin?: string;
  token?: string;
  config?: string;
  timeout: number;
  json: boolean;
}

/** The flags every command that talks to a running proxy shares. */
export function withAdminFlags<T>(yargs: Argv<T>): Argv<T & AdminArgs> {
  return yargs
    .option('admin', { type: 'string', requiresArg: true, describe: 'Admin API URL (default: STRANGLER_ADMIN_URL or the config file)' })
    .option('token', { type: 'string', requiresArg: true, describe: 'Admin token (default: STRANGLER_ADMIN_TOKEN or the config file)' })
    .option('config', { type: 'string', requiresArg: true, describe: 'strangler.yaml with the admin address and token (default: ./strangler.yaml when it exists)' })
    .option('timeout', numberFlag('--timeout', 'Seconds to wait for each answer of the admin API', 10, { what: 'a number of seconds', min: 0.1, max: 3600 }))
    .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }) as Argv<T & AdminArgs>;
}

/** What a number flag takes: `what` reads "must be <what> from <min> to <max>". */
export interface NumberRule {
  what: string;
  min: number;
  max?: number;
  integer?: boolean;
}

/**
 * yargs settings for a number flag read as typed, so that a bad value is echoed as given (with type
 * number, yargs turns "abc" into NaN) and refused with exit 2.
 */
export function numberFlag(flag: string, describe: string, defaultValue: number, rule: NumberRule) {
  return { type: 'string' as const, requiresArg: true, default: defaultValue, describe, coerce: (text: unknown): number => readNumberFlag(flag, text, rule) };
}

export function readNumberFlag(flag: string, text: unknown, rule: NumberRule): number {
  const raw = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.trim() : JSON.stringify(text);
  const value = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isFinite(value) && (!rule.integer || Number.isInteger(value)) && value >= rule.min && (rule.max === undefined || value <= rule.max)) return value;
  const range = rule.max === undefined ? `, ${rule.min} or more` : ` from ${rule.min} to ${rule.max}`;
  throw new CliError(`${flag}: must be ${rule.what}${range}, got ${typeof text === 'string' ? JSON.stringify(text) : raw}`, 2);
}
