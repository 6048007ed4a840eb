/**
 * Pact end to end: a real consumer test (PactV4) writes the pact for web → orders, then
 * `verifyPacts` checks it against real providers on 127.0.0.1: one that honours it, one that breaks it.
 */
process.env['PACT_DO_NOT_TRACK'] = 'true';

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MatchersV3, PactV4 } from '@pact-foundation/pact';
import yargs from 'yargs';
import { pactVerifyCommand } from '../../cli/commands/contracts/pact-verify';
import { CliError } from '../../cli/output';
import { formatPactVerification } from '../../contracts/pact/format';
import { PactInputError, PactVerifyError, verifyPacts, type VerifyPactsResult } from '../../contracts/pact/verify';
import { ordersClient, startOrdersProvider, type OrdersProvider } from '../helpers/pact-orders';

const { integer, like, string, eachLike } = MatchersV3;

let dir: string;
let pactDir: string;

/** The consumer test of `web`: each interaction runs the real client against Pact's mock server. */
async function webConsumerTests(): Promise<void> {
  const orders = new PactV4({ consumer: 'web', provider: 'orders', dir: pactDir, logLevel: 'error' });
  await orders
    .addInteraction()
    .given('order 7 exists', { id: 7 })
    .uponReceiving('a request for order 7')
    .withRequest('GET', '/orders/7', (req) => req.headers({ accept: 'application/json' }))
    .willRespondWith(200, (res) => res.jsonBody({ id: integer(7), status: string('open'), total: like(12.5) }))
    .executeTest(async (mock) => {
      const { status, body } = await ordersClient(mock.url).getOrder(7);
      expect(status).toBe(200);
      expect(body.status).toBe('open');
    });
  await orders
    .addInteraction()
    .uponReceiving('a request for all orders')
    .withRequest('GET', '/orders')
    .willRespondWith(200, (res) => res.jsonBody(eachLike({ id: integer(1), status: string('open') })))
    .executeTest(async (mock) => {
      const { body } = await ordersClient(mock.url).listOrders();
      expect(body[0]).toEqual({ id: 1, status: 'open' });
    });
  await orders
    .addInteraction()
    .uponReceiving('a new order')
    .withRequest('POST', '/orders', (req) => req.jsonBody({ total: like(3) }))
    .willRespondWith(201, (res) => res.jsonBody({ id: integer(8), status: string('open') }))
    .executeTest(async (mock) => {
      const { status, body } = await ordersClient(mock.url).createOrder(3);
      expect(status).toBe(201);
      expect(body.id).toBe(8);
    });

  // A pact for another provider in the same directory: verifying `orders` must leave it alone.
  const billing = new PactV4({ consumer: 'web', provider: 'billing', dir: pactDir, logLevel: 'error' });
  await billing
    .addInteraction()
    .uponReceiving('a request for invoice 1')
    .withRequest('GET', '/invoices/1')
    .willRespondWith(200, (res) => res.jsonBody({ id: integer(1) }))
    .executeTest(async (mock) => {
      expect((await fetch(`${mock.url}/invoices/1`)).status).toBe(200);
    });
}

/**
 * pact-js 12+ writes messages into V4 pacts as interactions of their own type: `warehouse` has an HTTP
 * interaction and two message ones in one file, `audit` only an asynchronous message.
 */
async function messageConsumerTests(out: string): Promise<void> {
  const warehouse = new PactV4({ consumer: 'warehouse', provider: 'orders', dir: out, logLevel: 'error' });
  await warehouse
    .addInteraction()
    .uponReceiving('the orders to pick')
    .withRequest('GET', '/orders')
    .willRespondWith(200, (res) => res.jsonBody(eachLike({ id: integer(1), status: string('open') })))
    .executeTest(async (mock) => {
      expect((await ordersClient(mock.url).listOrders()).status).toBe(200);
    });
  await warehouse
    .addAsynchronousInteraction()
    .expectsToReceive('an order placed event', (message) => message.withJSONContent({ id: integer(1) }))
    .executeTest(async (message) => {
      expect(message.contents.content).toEqual({ id: 1 });
    });
  await warehouse
    .addSynchronousInteraction('a stock reservation')
    .withRequest((request) => request.withJSONContent({ sku: string('a') }))
    .withResponse((response) => response.withJSONContent({ reserved: like(true) }))
    .executeTest(async (message) => {
      expect(message.Response).toHaveLength(1);
    });
  const audit = new PactV4({ consumer: 'audit', provider: 'orders', dir: out, logLevel: 'error' });
  await audit
    .addAsynchronousInteraction()
    .expectsToReceive('an order cancelled event', (message) => message.withJSONContent({ id: integer(1) }))
    .executeTest(async (message) => {
      expect(message.contents.content).toEqual({ id: 1 });
    });
}

let messageDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strangler-pact-'));
  pactDir = join(dir, 'pacts');
  messageDir = join(dir, 'v4-messages');
  await webConsumerTests();
  await messageConsumerTests(messageDir);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function line(result: VerifyPactsResult, description: string): string {
  return formatPactVerification(result, 'text').split('\n').find((l) => l.includes(description)) ?? '';
}

test('the consumer test wrote the pact file for web → orders', () => {
  const pact = JSON.parse(readFileSync(join(pactDir, 'web-orders.json'), 'utf8'));
  expect(pact.consumer.name).toBe('web');
  expect(pact.provider.name).toBe('orders');
  expect(pact.interactions.map((i: { description: string }) => i.description).sort()).toEqual([
    'a new order',
    'a request for all orders',
    'a request for order 7',
  ]);
});

describe('verifying against a real provider', () => {
  let provider: OrdersProvider | undefined;
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
  });

  test('a provider that honours the pact passes, with the provider state set up through the states URL', async () => {
    provider = await startOrdersProvider();
    const result = await verifyPacts({ provider: 'orders', providerUrl: provider.url, pacts: [pactDir], statesUrl: provider.statesUrl });

    expect(result.ok).toBe(true);
    expect(result.pacts).toEqual([join(pactDir, 'web-orders.json')]);
    expect(result.interactions).toHaveLength(3);
    for (const interaction of result.interactions) expect(interaction).toMatchObject({ consumer: 'web', ok: true, mismatches: [] });
    expect(result.interactions.find((i) => i.description === 'a request for order 7')?.providerState).toBe('order 7 exists');
    // Only real states reach the states URL (the native verifier would also post an empty one per stateless interaction).
    expect(provider.stateCalls).toEqual([
      { state: 'order 7 exists', params: { id: 7 }, action: 'setup' },
      { state: 'order 7 exists', params: { id: 7 }, action: 'teardown' },
    ]);
    const text = formatPactVerification(result, 'text');
    expect(text).toContain('✓ web: a request for order 7 (given order 7 exists)');
    expect(text.trimEnd().split('\n').pop()).toBe(`orders at ${provider.url}: verified, 3 of 3 interaction(s) from web`);
  });

  test('a provider that renamed a field fails that interaction, named, with the mismatch', async () => {
    provider = await startOrdersProvider({ renameStatus: true });
    const result = await verifyPacts({ provider: 'orders', providerUrl: provider.url, pacts: [join(pactDir, 'web-orders.json')], statesUrl: provider.statesUrl });

    expect(result.ok).toBe(false);
    const broken = result.interactions.find((i) => i.description === 'a request for order 7');
    expect(broken).toMatchObject({ consumer: 'web', providerState: 'order 7 exists', ok: false });
    expect(broken?.mismatches).toEqual(['$: Actual map is missing the following keys: status']);
    expect(result.interactions.filter((i) => i.ok).map((i) => i.description).sort()).toEqual(['a new order', 'a request for all orders']);
    expect(line(result, 'a request for order 7')).toBe('✗ web: a request for order 7 (given order 7 exists) — $: Actual map is missing the following keys: status');
    expect(line(result, 'a new order')).toBe('✓ web: a new order');
    expect(formatPactVerification(result, 'text')).toContain(': FAILED, 1 of 3 interaction(s) from web');
  });

  test('a states URL that fails fails the interactions that need the state (the Verifier alone would go on)', async () => {
    provider = await startOrdersProvider({ failStates: true });
    const result = await verifyPacts({ provider: 'orders', providerUrl: provider.url, pacts: [pactDir], statesUrl: provider.statesUrl });

    expect(result.ok).toBe(false);
    const needsState = result.interactions.find((i) => i.description === 'a request for order 7');
    expect(needsState?.ok).toBe(false);
    expect(needsState?.mismatches[0]).toBe('provider state "order 7 exists" was not set up: states URL answered 500: {"error":"state store unavailable"}');
    expect(result.interactions.filter((i) => i.ok)).toHaveLength(2);
  });

  test('without --states-url the state is not set up: said in a note, and the interaction fails', async () => {
    provider = await startOrdersProvider();
    const result = await verifyPacts({ provider: 'orders', providerUrl: provider.url, pacts: [pactDir] });

    expect(result.ok).toBe(false);
    expect(result.notes).toEqual(['1 interaction(s) need a provider state and no --states-url was given: states were not set up']);
    expect(result.interactions.find((i) => i.description === 'a request for order 7')?.mismatches).toContain('status: expected 200 but was 404');
  });

  test('message pacts beside the HTTP pacts are skipped: another provider\'s silently, the provider\'s own with a note', async () => {
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed, { recursive: true });
    writeFileSync(join(mixed, 'web-orders.json'), readFileSync(join(pactDir, 'web-orders.json')));
    writeFileSync(join(mixed, 'billing-order-events.json'), JSON.stringify(messagePact('billing', 'order-events')));
    provider = await startOrdersProvider();
    const withOthers = await verifyPacts({ provider: 'orders', providerUrl: provider.url, pacts: [mixed], statesUrl: provider.statesUrl });
    expect([withOthers.ok, withOthers.pacts, withOthers.notes]).toEqual([true, [join(mixed, 'web-orders.json')], []]);

    const own = join(mixed, 'audit-orders.json');
    writeFileSync(own, JSON.stringify(messagePact('audit', 'orders')));
    const { output, exitCode } = await runCli(['pact-verify', '--provider', 'orders', '--provider-url', provider.url, '--pacts', mixed, '--states-url', provider.statesUrl]);
    expect(exitCode).toBe(0);
    expect(output.split('\n').filter((l) => l.startsWith('note: '))).toEqual([`note: ${own}: a message pact (audit → orders, 1 message(s)), not verified over HTTP`]);
    expect(output).toContain(`orders at ${provider.url}: verified, 3 of 3 interaction(s) from web`);
  });

  test('V4 message interactions beside HTTP ones in a pact are skipped with a note; the HTTP ones are verified', async () => {
    const warehouse = join(messageDir, 'warehouse-orders.json');
    const written = readFileSync(warehouse, 'utf8');
    const types = (JSON.parse(written) as { interactions: { type: string }[] }).interactions.map((i) => i.type).sort();
    expect(types).toEqual(['Asynchronous/Messages', 'Synchronous/HTTP', 'Synchronous/Messages']);
    const mixed = join(dir, 'mixed-v4');
    mkdirSync(mixed, { recursive: true });
    const copy = join(mixed, 'warehouse-orders.json');
    writeFileSync(copy, written);
    writeFileSync(join(mixed, 'web-orders.json'), readFileSync(join(pactDir, 'web-orders.json')));
    provider = await startOrdersProvider();
    const result = await verifyPacts({ provider: 'orders', providerUrl: provider.url, pacts: [mixed], statesUrl: provider.statesUrl });

    expect(result.ok).toBe(true);
    expect(result.pacts).toEqual([copy, join(mixed, 'web-orders.json')]);
    expect(result.interactions.map((i) => `${i.consumer}: ${i.description} ${i.ok}`)).toContain('warehouse: the orders to pick true');
    expect(result.interactions.filter((i) => i.consumer === 'warehouse')).toHaveLength(1);
    expect(result.notes).toEqual([`${copy}: 2 message interaction(s) skipped (warehouse → orders, Asynchronous/Messages, Synchronous/Messages), not verified over HTTP`]);
    expect(readFileSync(copy, 'utf8')).toBe(written); // the verifier got a copy without the messages, not an edited file
  });

  test('a V4 pact of messages only is skipped with a note, and an empty pact beside real ones too (CLI exit 0)', async () => {
    const folder = join(dir, 'messages-beside-http');
    mkdirSync(folder, { recursive: true });
    const audit = join(folder, 'audit-orders.json');
    writeFileSync(audit, readFileSync(join(messageDir, 'audit-orders.json')));
    const empty = join(folder, 'kiosk-orders.json');
    writeFileSync(empty, JSON.stringify(emptyPact('kiosk', 'orders')));
    writeFileSync(join(folder, 'web-orders.json'), readFileSync(join(pactDir, 'web-orders.json')));
    provider = await startOrdersProvider();
    const { output, exitCode } = await runCli(['pact-verify', '--provider', 'orders', '--provider-url', provider.url, '--pacts', folder, '--states-url', provider.statesUrl]);
    expect(exitCode).toBe(0);
    expect(output.split('\n').filter((l) => l.startsWith('note: '))).toEqual([
      `note: ${audit}: 1 message interaction(s) skipped (audit → orders, Asynchronous/Messages), not verified over HTTP`,
      `note: ${empty}: no interactions (kiosk → orders), nothing verified`,
    ]);
    expect(output).toContain(`orders at ${provider.url}: verified, 3 of 3 interaction(s) from web`);
  });

  test('nothing left to verify (an empty pact, only messages) is exit 2 with one line naming the files, not "verified, 0 of 0"', async () => {
    provider = await startOrdersProvider();
    const emptyOnly = join(dir, 'empty-only');
    mkdirSync(emptyOnly, { recursive: true });
    const empty = join(emptyOnly, 'web-orders.json');
    writeFileSync(empty, JSON.stringify(emptyPact('web', 'orders')));
    const none = await runCli(['pact-verify', '--provider', 'orders', '--provider-url', provider.url, '--pacts', emptyOnly]).catch((err: unknown) => err);
    expect(none).toBeInstanceOf(CliError);
    expect(none).toMatchObject({ exitCode: 2, message: `provider "orders": nothing to verify over HTTP in ${empty} (no interactions)` });

    const messagesOnly = join(dir, 'messages-only-v4');
    mkdirSync(messagesOnly, { recursive: true });
    const audit = join(messagesOnly, 'audit-orders.json');
    writeFileSync(audit, readFileSync(join(messageDir, 'audit-orders.json')));
    const v3 = join(messagesOnly, 'billing-orders.json');
    writeFileSync(v3, JSON.stringify(messagePact('billing', 'orders')));
    const messages = await runCli(['pact-verify', '--provider', 'orders', '--provider-url', provider.url, '--pacts', messagesOnly]).catch((err: unknown) => err);
    expect(messages).toMatchObject({
      exitCode: 2,
      message: `provider "orders": nothing to verify over HTTP in ${audit} (only 1 message interaction(s): Asynchronous/Messages), ${v3} (a message pact, 1 message(s))`,
    });
    expect(provider.stateCalls).toEqual([]);
  });

  test('the CLI command prints JSON (--json, the same as --format json) and sets exit code 1 on a failed verification', async () => {
    provider = await startOrdersProvider({ renameStatus: true });
    const { output, exitCode } = await runCli(['pact-verify', '--provider', 'orders', '--provider-url', provider.url, '--pacts', pactDir, '--states-url', provider.statesUrl, '--json']);
    expect(exitCode).toBe(1);
    const json = JSON.parse(output) as VerifyPactsResult;
    expect(json.ok).toBe(false);
    expect(json.interactions.filter((i) => !i.ok).map((i) => i.description)).toEqual(['a request for order 7']);
  });
});

describe('bad input: one-line errors, before any verifier runs', () => {
  const expectInputError = async (options: Parameters<typeof verifyPacts>[0], message: string | RegExp): Promise<void> => {
    const error = await verifyPacts(options).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PactInputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  };
  const base = { provider: 'orders', providerUrl: 'http://127.0.0.1:1' };

  test('--pacts path missing, empty directory, not a pact', async () => {
    const missing = join(dir, 'nope');
    await expectInputError({ ...base, pacts: [missing] }, `${missing}: no such file or directory`);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expectInputError({ ...base, pacts: [empty] }, `${empty}: no pact files (*.json) in this directory`);
    const notPact = join(dir, 'package.json');
    writeFileSync(notPact, '{"name":"x","version":"1.0.0"}');
    await expectInputError({ ...base, pacts: [notPact] }, `${notPact}: not a pact file (expected consumer, provider, interactions)`);
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{"consumer": ');
    await expectInputError({ ...base, pacts: [notJson] }, new RegExp(`^${notJson}: not a pact file \\(not JSON: `));
  });

  test('--provider-url not an http(s) URL, provider not in any pact', async () => {
    await expectInputError({ ...base, providerUrl: 'ftp://127.0.0.1/', pacts: [pactDir] }, '--provider-url: not an http(s) URL: "ftp://127.0.0.1/"');
    await expectInputError({ ...base, providerUrl: '127.0.0.1:4000', pacts: [pactDir] }, '--provider-url: not an http(s) URL: "127.0.0.1:4000"');
    await expectInputError({ ...base, provider: 'payments', pacts: [pactDir] }, 'provider "payments" not found in any pact (the pacts are for: billing, orders)');
  });

  test('a provider named only by message pacts is an input error; another provider\'s pact is not checked beyond its names', async () => {
    const only = join(dir, 'only-messages');
    mkdirSync(only);
    const events = join(only, 'billing-order-events.json');
    writeFileSync(events, JSON.stringify(messagePact('billing', 'order-events')));
    await expectInputError({ ...base, provider: 'order-events', pacts: [only] }, `provider "order-events": nothing to verify over HTTP in ${events} (a message pact, 1 message(s))`);
    // A pact for someone else with an interaction this tool could not read does not stop verifying orders.
    writeFileSync(join(only, 'odd-payments.json'), JSON.stringify({ consumer: { name: 'odd' }, provider: { name: 'payments' }, interactions: [{ type: 'Synchronous/Plugin' }] }));
    writeFileSync(join(only, 'web-orders.json'), readFileSync(join(pactDir, 'web-orders.json')));
    const error = await verifyPacts({ ...base, pacts: [only] }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PactVerifyError); // got past loading: it is the provider that does not answer
  });

  test('a provider that is not listening fails fast with one line', async () => {
    const started = Date.now();
    const error = await verifyPacts({ ...base, pacts: [pactDir] }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PactVerifyError);
    expect((error as Error).message).toBe('--provider-url http://127.0.0.1:1/: cannot connect (ECONNREFUSED)');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('the CLI command turns bad input into CliError with exit code 2', async () => {
    const error = await runCli(['pact-verify', '--provider', 'orders', '--provider-url', 'nope', '--pacts', pactDir]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: 2, message: '--provider-url: not an http(s) URL: "nope"' });
  });

  test('a provider that does not answer is exit code 2 too: nothing was verified, no pact was broken', async () => {
    const error = await runCli(['pact-verify', '--provider', 'orders', '--provider-url', 'http://127.0.0.1:1', '--pacts', pactDir]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: 2, message: '--provider-url http://127.0.0.1:1/: cannot connect (ECONNREFUSED)' });
  });
});

/** A V3 message pact, as pact-js's MessageConsumerPact writes it. */
function messagePact(consumer: string, provider: string): Record<string, unknown> {
  return {
    consumer: { name: consumer },
    provider: { name: provider },
    messages: [{ description: 'an order placed event', providerStates: [{ name: 'an order exists' }], contents: { id: '1' }, metaData: { contentType: 'application/json' } }],
    metadata: { pactSpecification: { version: '3.0.0' } },
  };
}

/** A pact with no interactions, as a consumer build that recorded none writes it. */
function emptyPact(consumer: string, provider: string): Record<string, unknown> {
  return { consumer: { name: consumer }, provider: { name: provider }, interactions: [], metadata: { pactSpecification: { version: '4.0' } } };
}

/** Runs the command through yargs as `strangler contracts` would, capturing stdout and the exit code. */
async function runCli(argv: string[]): Promise<{ output: string; exitCode: number }> {
  const write = process.stdout.write.bind(process.stdout);
  let output = '';
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    output += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  const before = process.exitCode;
  try {
    await yargs(argv)
      .command(pactVerifyCommand)
      .strict()
      .fail((message, err) => {
        throw err ?? new Error(message);
      })
      .parseAsync();
    return { output, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.stdout.write = write;
    process.exitCode = before;
  }
}
