import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StranglerError } from '../../core/errors';
import { isObject } from '../../core/is-object';

/** Bad input to `pact-verify` (a path, a URL, a provider name): the message is one line, the CLI exits 2. */
export class PactInputError extends StranglerError {
  constructor(message: string) {
    super('STRANGLER_ERR_PACT_INPUT', message);
    this.name = 'PactInputError';
  }
}

/** One interaction as the pact file states it: what the verifier's results are matched against. */
export interface PactInteraction {
  consumer: string;
  description: string;
  /** Provider state names, in order (`given(…)` in the consumer test). */
  states: string[];
  /** V4 `pending: true`: a failure is reported but does not fail the verification. */
  pending: boolean;
}

export interface PactFile {
  file: string;
  consumer: string;
  provider: string;
  /** The HTTP interactions: those `pact-verify` replays. */
  interactions: PactInteraction[];
  /** The `type` of each V4 interaction that is not HTTP (`Asynchronous/Messages`, `Synchronous/Messages`, …): not replayed. */
  skipped: string[];
}

/** A message pact (V3 `messages`): events, not HTTP; `pact-verify` does not replay them. */
export interface MessagePactFile {
  file: string;
  consumer: string;
  provider: string;
  messages: number;
}

export interface LoadedPacts {
  /** The HTTP pacts for the provider. */
  pacts: PactFile[];
  /** One line per pact for the provider with something not verified: message pacts, message interactions, no interactions. */
  notes: string[];
}

const NOT_A_PACT = 'not a pact file (expected consumer, provider, interactions)';

/** Reads and checks one pact file; throws `file: not a pact file (…)` for anything else. */
export function readPactFile(file: string): PactFile {
  const pact = readAnyPactFile(file);
  if ('messages' in pact) throw new PactInputError(`${file}: a message pact (messages, no interactions): not verifiable over HTTP`);
  return pact;
}

/**
 * Like `readPactFile`, but a V3 message pact is returned as such instead of refused. With `forProvider`, a
 * pact naming another provider is only checked for its consumer and provider (its interactions are not ours).
 */
export function readAnyPactFile(file: string, forProvider?: string): PactFile | MessagePactFile {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? `not JSON: ${err.message}` : (err as Error).message;
    throw new PactInputError(`${file}: not a pact file (${why.split('\n')[0]})`);
  }
  if (!isObject(doc)) throw new PactInputError(`${file}: ${NOT_A_PACT}`);
  const consumer = nameOf(doc['consumer']);
  const provider = nameOf(doc['provider']);
  const interactions = doc['interactions'];
  if (consumer !== undefined && provider !== undefined && forProvider !== undefined && provider !== forProvider) {
    return { file, consumer, provider, interactions: [], skipped: [] };
  }
  if (consumer !== undefined && provider !== undefined && interactions === undefined && Array.isArray(doc['messages'])) {
    return { file, consumer, provider, messages: doc['messages'].length };
  }
  if (consumer === undefined || provider === undefined || !Array.isArray(interactions)) {
    throw new PactInputError(`${file}: ${NOT_A_PACT}`);
  }
  const http: PactInteraction[] = [];
  const skipped: string[] = [];
  interactions.forEach((interaction, i) => {
    if (!isObject(interaction) || typeof interaction['description'] !== 'string') {
      throw new PactInputError(`${file}: ${NOT_A_PACT}: interactions[${i}] has no description`);
    }
    if (!isHttpInteraction(interaction)) {
      skipped.push(String(interaction['type']));
      return;
    }
    http.push({ consumer, description: interaction['description'], states: statesOf(interaction), pending: interaction['pending'] === true });
  });
  return { file, consumer, provider, interactions: http, skipped };
}

/** V1–V3 interactions are all HTTP; a V4 one is when its `type` says `Synchronous/HTTP`. */
function isHttpInteraction(interaction: Record<string, unknown>): boolean {
  return interaction['type'] === undefined || interaction['type'] === 'Synchronous/HTTP';
}

/**
 * The pact the verifier is given: the file itself, or, when it has interactions that are not HTTP, a copy in
 * `dir` without them (the verifier would replay them over HTTP and fail).
 */
export function verifiablePactFile(pact: PactFile, dir: string, index: number): string {
  if (pact.skipped.length === 0) return pact.file;
  const doc = JSON.parse(readFileSync(pact.file, 'utf8')) as Record<string, unknown>;
  const interactions = (doc['interactions'] as unknown[]).filter((interaction) => isObject(interaction) && isHttpInteraction(interaction));
  const copy = join(dir, `${index}-${basename(pact.file)}`);
  writeFileSync(copy, JSON.stringify({ ...doc, interactions }));
  return copy;
}

/**
 * Expands `--pacts` (files and directories; a directory gives its `*.json`, not recursing), reads every
 * one as a pact, and keeps those for `provider`. Messages (V3 `messages`, V4 interactions that are not
 * `Synchronous/HTTP`) are not verified over HTTP: skipped, with a note when they are for `provider`; so is a
 * pact with no interactions. Nothing left to verify, and every other problem, is a one-line `PactInputError`.
 */
export function loadPacts(paths: string[], provider: string): LoadedPacts {
  if (paths.length === 0) throw new PactInputError('--pacts: give a pact file or a directory of pact files');
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new PactInputError(`${path}: no such file or directory`);
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map((entry) => join(path, entry.name))
      .sort();
    if (found.length === 0) throw new PactInputError(`${path}: no pact files (*.json) in this directory`);
    files.push(...found);
  }
  const all = [...new Set(files)].map((file) => readAnyPactFile(file, provider));
  const mine = all.filter((pact) => pact.provider === provider);
  if (mine.length === 0) {
    const others = [...new Set(all.map((pact) => pact.provider))].join(', ');
    throw new PactInputError(`provider "${provider}" not found in any pact (the pacts are for: ${others})`);
  }
  const http = mine.filter((pact): pact is PactFile => !('messages' in pact) && pact.interactions.length > 0);
  if (http.length === 0) {
    const why = mine.map((pact) => `${pact.file} (${unverifiable(pact)})`).join(', ');
    throw new PactInputError(`provider "${provider}": nothing to verify over HTTP in ${why}`);
  }
  return { pacts: http, notes: mine.flatMap(skipNote) };
}

/** Why a pact gives the verifier nothing. */
function unverifiable(pact: PactFile | MessagePactFile): string {
  if ('messages' in pact) return `a message pact, ${pact.messages} message(s)`;
  return pact.skipped.length > 0 ? `only ${pact.skipped.length} message interaction(s): ${kinds(pact.skipped)}` : 'no interactions';
}

/** The note for what in one pact is not verified; none when all of it is. */
function skipNote(pact: PactFile | MessagePactFile): string[] {
  const parties = `${pact.consumer} → ${pact.provider}`;
  if ('messages' in pact) return [`${pact.file}: a message pact (${parties}, ${pact.messages} message(s)), not verified over HTTP`];
  if (pact.interactions.length === 0 && pact.skipped.length === 0) return [`${pact.file}: no interactions (${parties}), nothing verified`];
  if (pact.skipped.length === 0) return [];
  return [`${pact.file}: ${pact.skipped.length} message interaction(s) skipped (${parties}, ${kinds(pact.skipped)}), not verified over HTTP`];
}

/** `Asynchronous/Messages ×2, Synchronous/Messages`. */
function kinds(types: string[]): string {
  const counts = new Map<string, number>();
  for (const type of [...types].sort()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return [...counts].map(([type, n]) => (n > 1 ? `${type} ×${n}` : type)).join(', ');
}

/** `--provider-url` and `--states-url` must be absolute http(s) URLs. */
export function checkHttpUrl(flag: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PactInputError(`${flag}: not an http(s) URL: ${JSON.stringify(value)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new PactInputError(`${flag}: not an http(s) URL: ${JSON.stringify(value)}`);
  }
  return url;
}

function nameOf(party: unknown): string | undefined {
  return isObject(party) && typeof party['name'] === 'string' && party['name'] !== '' ? party['name'] : undefined;
}

/** V3/V4 `providerStates: [{name}]`; V1/V2 `providerState` / `provider_state: "…"`. */
function statesOf(interaction: Record<string, unknown>): string[] {
  const list = interaction['providerStates'];
  if (Array.isArray(list)) return list.flatMap((state) => (isObject(state) && typeof state['name'] === 'string' ? [state['name']] : []));
  const single = interaction['providerState'] ?? interaction['provider_state'];
  return typeof single === 'string' && single !== '' ? [single] : [];
}
