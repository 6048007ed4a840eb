/**
 * The program a child `node` runs to verify: `@pact-foundation/pact`'s Verifier, in a process of its own.
 *
 * Why a child: the native verifier prints its long report straight to file descriptor 1 (not through
 * `process.stdout`, so it cannot be caught in-process), and the Verifier's own proxy throws an uncaught
 * exception when the provider refuses a connection. In a child both are contained: stdout is piped and
 * kept, connection errors are recorded, and the structured result comes back over IPC.
 *
 * The result is the native verifier's JSON (`pactffi_verifier_json`): the Verifier resolves with it when
 * every interaction passed and rejects with `new Error(json)` when one failed. It holds
 * `interactionResults: [{description, result: "OK"|"Error"}]` and `errors: [{interaction, mismatch}]`.
 *
 * Plain JavaScript, passed with `node -e`, so it runs the same under ts-jest and from `dist/`.
 */

/** What the parent sends. */
export interface ChildJob {
  pactPath: string;
  options: {
    provider: string;
    providerBaseUrl: string;
    pactUrls: string[];
    logLevel: string;
    timeout: number;
  };
  statesUrl?: string;
  states: string[];
  timeoutMs: number;
}

/** What the child answers. */
export interface ChildAnswer {
  /** The verifier's JSON text, or the message of the error it rejected with. */
  text: string;
  rejected: boolean;
  /** Errors the Verifier's proxy hit talking to the provider (ECONNREFUSED, ECONNRESET, …). */
  proxyErrors: string[];
  /** Provider states whose set-up call failed, with why. */
  stateErrors: Record<string, string>;
}

export const CHILD_PROGRAM = String.raw`
'use strict';
const proxyErrors = [];
const stateErrors = {};
process.on('uncaughtException', (err) => {
  // The Verifier's proxy (http-proxy without an error listener) throws these when the provider is down.
  if (err && typeof err.syscall === 'string') { proxyErrors.push(String(err.message)); return; }
  process.send({ text: String((err && err.stack) || err), rejected: true, proxyErrors, stateErrors, fatal: true }, () => process.exit(1));
});
process.on('disconnect', () => process.exit(1));
process.once('message', (job) => {
  const { Verifier } = require(job.pactPath);
  const options = Object.assign({}, job.options);
  if (job.statesUrl) {
    const call = async (state, params, action) => {
      try {
        const res = await fetch(job.statesUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ state, params: params || {}, action }),
          signal: AbortSignal.timeout(job.timeoutMs),
        });
        const body = (await res.text()).replace(/\s+/g, ' ').trim().slice(0, 200);
        if (!res.ok) throw new Error('states URL answered ' + res.status + (body ? ': ' + body : ''));
      } catch (err) {
        const why = err && err.cause && err.cause.code ? err.cause.code : String((err && err.message) || err);
        if (action === 'setup') stateErrors[state] = why;
        throw err;
      }
    };
    options.stateHandlers = {};
    for (const state of job.states) {
      options.stateHandlers[state] = {
        setup: (params) => call(state, params, 'setup'),
        teardown: (params) => call(state, params, 'teardown'),
      };
    }
  }
  new Verifier(options).verifyProvider().then(
    (json) => done(String(json), false),
    (err) => done(String((err && err.message) || err), true),
  );
});
function done(text, rejected) {
  process.send({ text, rejected, proxyErrors, stateErrors }, () => process.exit(0));
}
`;
