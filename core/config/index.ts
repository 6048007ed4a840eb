export * from './types';
export { loadConfig, parseConfig, validateConfigFile, validateConfigText } from './load';
export { redactConfig, redactUrl } from './redact';
export { interpolate, type Env, type Interpolated } from './env';
export type { ConfigResult } from './schema';
export { ConfigError, formatConfigIssue, type ConfigIssue } from '../errors';
