import { dirname } from 'node:path';
import type { Registry } from 'prom-client';
import type { StranglerConfig } from '../../core/config/types';
import type { FlagProvider } from '../../core/flags';
import type { Logger } from '../../core/logging';
import type { StateStore } from '../../core/state';
import type { StoreNotifications } from '../open-store';
import { EmbeddedFlagProvider } from './embedded';

/** The configured flag provider over an opened state store (which holds the audit history either way). */
export function createFlagProvider(config: StranglerConfig, store: StateStore, registry: Registry, logger: Logger, notifications?: StoreNotifications): FlagProvider {
  if (config.flags.provider === 'unleash') {
    // unleash-client (and its HTTP stack) only in processes that use it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { UnleashFlagProvider } = require('./unleash') as typeof import('./unleash');
    return new UnleashFlagProvider({ flags: config.flags, routes: config.routes, store, registry, logger, baseDir: dirname(config.file) });
  }
  return new EmbeddedFlagProvider(store, config.routes, config.state.pollMs, logger, { registry, notifications });
}
