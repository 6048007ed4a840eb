import type { Argv } from 'yargs';

export interface AdminArgs {
  admin?: string;
  token?: string;
  config?: string;
  json: boolean;
}

/** The flags every command that talks to a running proxy shares. */
export function withAdminFlags<T>(yargs: Argv<T>): Argv<T & AdminArgs> {
  return yargs
    .option('admin', { type: 'string', describe: 'Admin API URL (default: STRANGLER_ADMIN_URL or the config file)' })
    .option('token', { type: 'string', describe: 'Admin token (default: STRANGLER_ADMIN_TOKEN or the config file)' })
    .option('config', { type: 'string', describe: 'strangler.yaml to read the admin address and token from' })
    .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }) as Argv<T & AdminArgs>;
}
