import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StranglerError } from '../../core/errors';
import { checkHttpUrl, loadPacts, PactInputError, verifiablePactFile, type PactFile, type PactInteraction } from './pact-files';
import { CHILD_PROGRAM, type ChildAnswer, type ChildJob } from './verifier-child';

export { PactInputError } from './pact-files';

// The native core reports usage unless told not to; the child inherits this.
process.env['PACT_DO_NOT_TRACK'] = 'true';

export type PactLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export const PACT_LOG_LEVELS: readonly PactLogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export interface VerifyPactsOptions {
  /** The provider name the pacts were written for (`provider.name` in the pact file). */
  provider: string;
  /** Where the provider (or the strangler proxy in front of it) listens. */
  providerUrl: string;
  /** Pact files and directories of pact files (`*.json`); pacts for other providers are skipped. */
  pacts: string[];
  /** Receives `POST {state, params, action: "setup"|"teardown"}` before and after each interaction with a provider state. */
  statesUrl?: string;
  /** The Verifier's log level. At info, debug and trace its report and logs are copied to stderr. Default error. */
  logLevel?: PactLogLevel;
  /** Per request to the provider and the states URL. Default 10 s. */
  timeoutMs?: number;
}

export interface InteractionResult {
  consumer: string;
  description: string;
  /** The provider states, joined with " and ". */
  providerState?: string;
  ok: boolean;
  /** V4 pending interaction: a failure is shown but does not fail the verification. */
  pending?: boolean;
  /** One readable line per mismatch, e.g. `$: Actual map is missing the following keys: status`. */
  mismatches: string[];
}

export interface VerifyPactsResult {
  ok: boolean;
  provider: string;
  providerUrl: string;
  /** The pact files verified. */
  pacts: string[];
  interactions: InteractionResult[];
  /** Things worth knowing that belong to no one interaction (verifier notices, unplaced errors). */
  notes: string[];
}

/** The provider could not be reached, or the verifier itself failed: not a contract failure (the CLI exits 2). */
export class PactVerifyError extends StranglerError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'PactVerifyError';
  }
}

/** Validates the inputs (throws `PactInputError`), then the checks that need no verifier. */
export function preparePactVerification(options: VerifyPactsOptions): { pacts: PactFile[]; notes: string[]; providerUrl: URL; statesUrl?: URL } {
  if (!options.provider) throw new PactInputError('--provider: give the provider name the pacts were written for');
  const providerUrl = checkHttpUrl('--provider-url', options.providerUrl);
  const statesUrl = options.statesUrl === undefined ? undefined : checkHttpUrl('--states-url', options.statesUrl);
  const { pacts, notes } = loadPacts(options.pacts, options.provider);
  return { pacts, notes, providerUrl, statesUrl };
}

/**
 * Verifies the consumer pacts for `provider` against the running provider at `providerUrl` with
 * `@pact-foundation/pact`'s Verifier and returns one result per interaction.
 */
export async function verifyPacts(options: VerifyPactsOptions): Promise<VerifyPactsResult> {
  const { pacts, notes: skipped, providerUrl, statesUrl } = preparePactVerification(options);
  const timeoutMs = options.timeoutMs ?? 10_000;
  await checkReachable('--provider-url', providerUrl, timeoutMs);
  if (statesUrl) await checkReachable('--states-url', statesUrl, timeoutMs);

  const expected = pacts.flatMap((pact) => pact.interactions);
  const states = [...new Set(expected.flatMap((interaction) => interaction.states))];
  // Copies without the message interactions, where a pact has some, live here while the verifier runs.
  const copies = mkdtempSync(join(tmpdir(), 'strangler-pacts-'));
  let answer: ChildAnswer;
  try {
    const job: ChildJob = {
      pactPath: require.resolve('@pact-foundation/pact'),
      options: {
        provider: options.provider,
        providerBaseUrl: options.providerUrl,
        pactUrls: pacts.map((pact, i) => verifiablePactFile(pact, copies, i)),
        logLevel: options.logLevel ?? 'error',
        timeout: timeoutMs,
      },
      statesUrl: statesUrl?.href,
      states,
      timeoutMs,
    };
    // Generous: three state set-up tries and one request per interaction, plus start-up.
    const overallMs = 30_000 + expected.length * (timeoutMs * 4 + 1_000);
    answer = await runChild(job, overallMs, options.logLevel ?? 'error');
  } finally {
    rmSync(copies, { recursive: true, force: true });
  }

  const result = interpret(answer, expected, options.providerUrl);
  const notes = [...skipped, ...result.notes];
  const stateless = statesUrl === undefined ? expected.filter((interaction) => interaction.states.length > 0).length : 0;
  if (stateless > 0) notes.push(`${stateless} interaction(s) need a provider state and no --states-url was given: states were not set up`);
  return {
    ok: result.ok,
    provider: options.provider,
    providerUrl: options.providerUrl,
    pacts: pacts.map((pact) => pact.file),
    interactions: result.interactions,
    notes,
  };
}

/** The verifier's JSON, as far as it is used here. */
interface VerifierJson {
  result: boolean;
  interactionResults?: { description: string; result: string; duration?: string }[];
  errors?: VerifierError[];
  pendingErrors?: VerifierError[];
  notices?: { text?: string }[];
}

interface VerifierError {
  interaction: string;
  mismatch: { type: string; message?: string; mismatches?: VerifierMismatch[] };
}

interface VerifierMismatch {
  type: string;
  mismatch?: string;
  path?: string;
  key?: string;
}

/** Turns the child's answer into per-interaction results, matched to the interactions of the pact files. */
export function interpret(answer: ChildAnswer, expected: PactInteraction[], providerUrl: string): { ok: boolean; interactions: InteractionResult[]; notes: string[] } {
  let json: VerifierJson;
  try {
    json = JSON.parse(answer.text) as VerifierJson;
    if (typeof json.result !== 'boolean' || !Array.isArray(json.interactionResults)) throw new Error('no results');
  } catch {
    throw new PactVerifyError('STRANGLER_ERR_PACT_VERIFIER', `the pact verifier failed: ${firstLine(answer.text)}`);
  }
  const notes: string[] = [];
  const results: InteractionResult[] = expected.map((interaction) => ({
    consumer: interaction.consumer,
    description: interaction.description,
    ...(interaction.states.length > 0 ? { providerState: interaction.states.join(' and ') } : {}),
    ok: false,
    ...(interaction.pending ? { pending: true } : {}),
    mismatches: [],
  }));

  // interactionResults come in pact order and name only the description: take the first unclaimed match.
  const seen = new Set<number>();
  for (const reported of json.interactionResults ?? []) {
    const index = expected.findIndex((interaction, i) => !seen.has(i) && interaction.description === reported.description);
    if (index < 0) {
      notes.push(`the verifier reported an interaction not in the pacts: ${reported.description} (${reported.result})`);
      continue;
    }
    seen.add(index);
    results[index]!.ok = reported.result === 'OK';
  }
  for (let i = 0; i < results.length; i++) {
    if (!seen.has(i)) results[i]!.mismatches.push('not verified: the verifier reported no result for it');
  }

  // errors name the interaction as "Verifying a pact between C and P[ Given S1[ And S2]] - D".
  const provider = (json.errors ?? [])[0]?.interaction.match(/^Verifying a pact between .+? and (.+?)(?: Given | - )/)?.[1];
  const keyOf = (interaction: PactInteraction, providerName: string): string =>
    `Verifying a pact between ${interaction.consumer} and ${providerName}` +
    (interaction.states.length > 0 ? ` Given ${interaction.states.join(' And ')}` : '') +
    ` - ${interaction.description}`;
  let unplaced = 0;
  for (const error of [...(json.errors ?? []), ...(json.pendingErrors ?? [])]) {
    const lines = describeMismatch(error.mismatch, providerUrl, answer.proxyErrors);
    let index = provider === undefined ? -1 : expected.findIndex((interaction) => keyOf(interaction, provider) === error.interaction);
    if (index < 0) index = expected.findIndex((interaction) => error.interaction.endsWith(` - ${interaction.description}`));
    if (index < 0) {
      notes.push(`${error.interaction}: ${lines.join('; ')}`);
      unplaced++;
      continue;
    }
    results[index]!.ok = false;
    results[index]!.mismatches.push(...lines);
  }

  // The Verifier answers 200 to the native verifier even when a state handler threw: fail those here.
  for (const [state, why] of Object.entries(answer.stateErrors)) {
    expected.forEach((interaction, i) => {
      if (!interaction.states.includes(state)) return;
      results[i]!.ok = false;
      results[i]!.mismatches.unshift(`provider state "${state}" was not set up: ${why}`);
    });
  }
  for (const result of results) {
    if (!result.ok && result.mismatches.length === 0) result.mismatches.push('failed (the verifier gave no reason)');
  }
  for (const notice of json.notices ?? []) if (notice.text) notes.push(notice.text);

  const ok = json.result && unplaced === 0 && results.every((result) => result.ok || result.pending === true);
  return { ok, interactions: results, notes };
}

function describeMismatch(mismatch: VerifierError['mismatch'], providerUrl: string, proxyErrors: string[]): string[] {
  if (mismatch.type !== 'mismatches' || !Array.isArray(mismatch.mismatches)) {
    let message = mismatch.message ?? mismatch.type;
    // Requests go through the Verifier's local proxy: name the provider instead, and say what the proxy saw.
    message = message.replace(/for url \(https?:\/\/127\.0\.0\.1:\d+(\/[^)]*)?\)/, (_all, path: string | undefined) => `to ${joinUrl(providerUrl, path ?? '/')}`);
    if (proxyErrors.length > 0 && /error sending request/.test(message)) message += ` (${proxyErrors[proxyErrors.length - 1]})`;
    return [message];
  }
  return mismatch.mismatches.map((m) => {
    const text = m.mismatch ?? m.type;
    switch (m.type) {
      case 'StatusMismatch':
        return `status: ${text}`;
      case 'HeaderMismatch':
        return `header ${m.key ?? ''}: ${text}`;
      case 'BodyTypeMismatch':
        return `body: ${text}`;
      case 'BodyMismatch':
        return `${m.path ?? 'body'}: ${text}`;
      default:
        return m.path ? `${m.path}: ${text}` : text;
    }
  });
}

function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? 'no output').trim().slice(0, 300);
}

/** A TCP connect to the URL's host and port, so a dead provider fails in milliseconds, not after every timeout. */
async function checkReachable(flag: string, url: URL, timeoutMs: number): Promise<void> {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (why: string): void => {
      socket.destroy();
      reject(new PactVerifyError('STRANGLER_ERR_PACT_UNREACHABLE', `${flag} ${url.href}: cannot connect (${why})`));
    };
    socket.setTimeout(Math.min(timeoutMs, 5_000), () => fail('timed out'));
    socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}

function runChild(job: ChildJob, overallMs: number, logLevel: PactLogLevel): Promise<ChildAnswer> {
  const echo = logLevel === 'info' || logLevel === 'debug' || logLevel === 'trace';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD_PROGRAM], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, PACT_DO_NOT_TRACK: 'true', LOG_LEVEL: job.options.logLevel },
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      if (echo) process.stderr.write(chunk);
      if (output.length < 1_000_000) output += chunk.toString('utf8');
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let answer: ChildAnswer | undefined;
    child.on('message', (message) => {
      answer = message as ChildAnswer;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new PactVerifyError('STRANGLER_ERR_PACT_TIMEOUT', `the pact verifier did not finish in ${Math.round(overallMs / 1000)} s`));
    }, overallMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new PactVerifyError('STRANGLER_ERR_PACT_VERIFIER', `cannot start the pact verifier: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (answer) return resolve(answer);
      const tail = stripAnsi(output).trim().split('\n').slice(-3).join(' ').trim();
      reject(new PactVerifyError('STRANGLER_ERR_PACT_VERIFIER', `the pact verifier exited (${signal ?? `code ${code}`}) without a result${tail ? `: ${tail}` : ''}`));
    });
    child.send(job);
  });
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
