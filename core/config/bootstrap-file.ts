import { readFileSync } from 'node:fs';

/** A flag as an Unleash bootstrap file holds it: what every reader needs; the rest is Unleash's. */
export interface BootstrapFeature {
  name: string;
  enabled: boolean;
}

const FORMAT = `Unleash's client features format {"version": 2, "features": [{"name", "enabled", "strategies"}]}`;

/**
 * The flags of an Unleash bootstrap file (`{"version": 2, "features": [...]}`, or the bare list), read once by
 * `config validate` and once by the provider at start. Throws an Error saying what is wrong, without the path.
 */
export function readBootstrapFeatures(path: string): BootstrapFeature[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error('no such file');
    if (code === 'EISDIR') throw new Error(`is a folder, expected a file in ${FORMAT}`);
    if (code) throw new Error(`cannot be read (${code})`);
    throw new Error(`not JSON (${(err as Error).message})`);
  }
  const features = Array.isArray(parsed) ? parsed : (parsed as { features?: unknown } | null)?.features;
  if (!Array.isArray(features) || !features.every(isFeature)) throw new Error(`expected ${FORMAT}`);
  return features;
}

function isFeature(value: unknown): value is BootstrapFeature {
  const f = value as BootstrapFeature | null;
  return typeof f === 'object' && f !== null && typeof f.name === 'string' && typeof f.enabled === 'boolean';
}
