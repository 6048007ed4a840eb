/**
 * The Unleash test harness (test/helpers/unleash.ts) against a real unleash-server 8, over real HTTP, and
 * the facts about Unleash that the rollout design builds on (what the client API returns, token deletion,
 * unleash-client parity with core/bucketing).
 */
import { once } from 'node:events';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { inRollout } from '../../core/bucketing';
import { fetchClientFeatures, startUnleash, type ClientFeature, type UnleashAdmin, type UnleashHandle } from '../helpers/unleash';

const FILE_STARTED = Date.now();
const timings: Record<string, number> = {};

let unleash: UnleashHandle;
let admin: UnleashAdmin;
let sdk: Unleash | undefined;

/** Polls the client API until the flag is there and `accept` holds; returns it. */
async function waitForClientFeature(
  name: string,
  accept: (feature: ClientFeature) => boolean,
  timeoutMs = 5000,
): Promise<{ feature: ClientFeature; ms: number }> {
  const started = Date.now();
  let last: ClientFeature | undefined;
  while (Date.now() - started < timeoutMs) {
    const { status, features, body } = await fetchClientFeatures(unleash.url, unleash.clientToken);
    if (status !== 200) throw new Error(`client API answered ${status}: ${body}`);
    last = features?.find((feature) => feature.name === name);
    if (last && accept(last)) return { feature: last, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`client API did not show ${name} as expected in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

const rolloutOf = (feature: ClientFeature) => feature.strategies[0]?.parameters?.rollout;

async function clientStatus(token: string): Promise<number> {
  return (await fetchClientFeatures(unleash.url, token)).status;
}

beforeAll(async () => {
  const started = Date.now();
  unleash = await startUnleash();
  timings.coldStartMs = Date.now() - started;
  admin = unleash.admin;
}, 60_000);

afterAll(async () => {
  // The SDK first: destroy() during an in-flight poll to a dead server crashes the process.
  sdk?.destroy();
  const stopping = Date.now();
  await unleash?.stop();
  timings.stopMs = Date.now() - stopping;
  timings.fileMs = Date.now() - FILE_STARTED;
  process.stderr.write(`unleash-harness timings: ${JSON.stringify(timings)}\n`);
}, 20_000);

describe('Unleash harness', () => {
  const FLAG = 'harness-rollout';
  let strategyId: string;

  it('starts with tokens in Unleash format', () => {
    expect(unleash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(unleash.adminToken).toMatch(/^\*:\*\.[0-9a-f]{32}$/);
    expect(unleash.clientToken).toMatch(/^default:development\.[0-9a-f]{32}$/);
  });

  it('a flexibleRollout made through the admin API is served by the client API', async () => {
    await admin.createFlag(FLAG);
    strategyId = await admin.addFlexibleRollout(FLAG, { rollout: 25, stickiness: 'userId', groupId: FLAG });
    expect(strategyId).toEqual(expect.any(String));
    await admin.enable(FLAG);

    const { feature } = await waitForClientFeature(FLAG, (f) => f.enabled);
    expect(feature.strategies).toEqual([
      {
        name: 'flexibleRollout',
        constraints: [],
        parameters: { rollout: '25', stickiness: 'userId', groupId: FLAG },
        variants: [],
      },
    ]);

    const adminView = await admin.getFlag(FLAG);
    const development = adminView.environments.find((environment) => environment.name === 'development');
    expect(development?.enabled).toBe(true);
    expect(development?.strategies.map((s) => s.id)).toEqual([strategyId]);
  });

  it('setRollout changes the percentage the client API serves', async () => {
    await admin.setRollout(FLAG, strategyId, 60);
    const { feature, ms } = await waitForClientFeature(FLAG, (f) => rolloutOf(f) === '60');
    timings.rolloutToClientApiMs = ms;
    expect(feature.strategies[0]?.parameters).toEqual({ rollout: '60', stickiness: 'userId', groupId: FLAG });
  });

  it('disable and enable show in the client API', async () => {
    await admin.disable(FLAG);
    await waitForClientFeature(FLAG, (f) => !f.enabled);
    await admin.enable(FLAG);
    await waitForClientFeature(FLAG, (f) => f.enabled);
  });

  it('keeps custom strategy parameters and variants in the client API, drops the title', async () => {
    const flag = 'harness-custom';
    await admin.createFlag(flag);
    const variants = [
      {
        name: 'shadow',
        weight: 1000,
        weightType: 'variable' as const,
        stickiness: 'default',
        payload: { type: 'string' as const, value: 'orders-v2' },
      },
    ];
    const id = await admin.addFlexibleRollout(flag, {
      rollout: 25,
      stickiness: 'userId',
      groupId: flag,
      extraParameters: { stranglerStage: 'shadow' },
      title: 'strangler: orders',
      variants,
    });
    await admin.enable(flag);

    // Admin view: everything stored.
    const stored = (await admin.getFlag(flag)).environments.find((e) => e.name === 'development')?.strategies;
    expect(stored).toHaveLength(1);
    expect(stored?.[0]).toMatchObject({
      id,
      name: 'flexibleRollout',
      title: 'strangler: orders',
      parameters: { rollout: '25', stickiness: 'userId', groupId: flag, stranglerStage: 'shadow' },
      variants,
    });

    // Client API: the extra parameter and the variants are served, the title (and the id) are not.
    const { feature } = await waitForClientFeature(flag, (f) => f.enabled);
    expect(feature.strategies).toEqual([
      {
        name: 'flexibleRollout',
        constraints: [],
        parameters: { rollout: '25', stickiness: 'userId', groupId: flag, stranglerStage: 'shadow' },
        variants,
      },
    ]);
    expect(feature.strategies[0]).not.toHaveProperty('title');
    expect(feature.strategies[0]).not.toHaveProperty('id');

    // A patch of the rollout keeps the extra parameter.
    await admin.setRollout(flag, id, 40);
    const patched = await waitForClientFeature(flag, (f) => rolloutOf(f) === '40');
    expect(patched.feature.strategies[0]?.parameters).toEqual({
      rollout: '40',
      stickiness: 'userId',
      groupId: flag,
      stranglerStage: 'shadow',
    });
  });

  it('answers 401 to a wrong or missing client token', async () => {
    expect(await clientStatus('default:development.0123456789abcdef0123456789abcdef')).toBe(401);
    expect(await clientStatus('nonsense')).toBe(401);
    expect((await fetch(`${unleash.url}/api/client/features`)).status).toBe(401);
    // A client token is no admin token.
    const response = await fetch(`${unleash.url}/api/admin/projects/default/features`, {
      headers: { Authorization: unleash.clientToken },
    });
    expect(response.status).toBe(403);
  });

  it('a deleted client token works until the token cache refreshes, then gets 401', async () => {
    const token = await admin.createClientToken('harness-temporary');
    expect(token).toMatch(/^default:development\.[0-9a-f]+$/);
    expect(await clientStatus(token)).toBe(200);

    await admin.deleteToken(token);
    const listed = await admin.request<{ tokens: Array<{ secret: string }> }>('GET', '/api/admin/api-tokens');
    expect(listed.tokens.map((t) => t.secret)).not.toContain(token);
    // Unleash serves API tokens from an in-memory cache it re-reads once a minute: still accepted.
    expect(await clientStatus(token)).toBe(200);

    await unleash.refreshTokenCache();
    expect(await clientStatus(token)).toBe(401);
    expect(await clientStatus(unleash.clientToken)).toBe(200); // the others are unaffected
  });

  it('unleash-client agrees with core/bucketing and sees a rollout change within a second', async () => {
    sdk = new Unleash({
      url: `${unleash.url}/api`,
      appName: 'strangler-unleash-harness',
      customHeaders: { Authorization: unleash.clientToken },
      refreshInterval: 200,
      disableMetrics: true,
      storageProvider: new InMemStorageProvider(),
    });
    const errors: unknown[] = [];
    sdk.on('error', (error: unknown) => errors.push(error));
    await once(sdk, 'synchronized');

    const ids = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? `${i * 7919}` : `jörg-${i}`));
    const disagreements = (percent: number) =>
      ids.filter((userId) => sdk!.isEnabled(FLAG, { userId }) !== inRollout(userId, FLAG, percent));
    const enabledCount = ids.filter((userId) => sdk!.isEnabled(FLAG, { userId })).length;
    expect(disagreements(60)).toEqual([]);
    expect(enabledCount).toBeGreaterThan(80); // ~60 % of 200
    expect(enabledCount).toBeLessThan(160);

    const changed = Date.now();
    await admin.setRollout(FLAG, strategyId, 90);
    while (sdk.getFeatureToggleDefinition(FLAG)?.strategies?.[0]?.parameters?.rollout !== '90') {
      if (Date.now() - changed > 3000) throw new Error('the rollout change did not reach unleash-client in 3 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    timings.rolloutToSdkMs = Date.now() - changed;
    expect(timings.rolloutToSdkMs).toBeLessThan(1500);
    expect(disagreements(90)).toEqual([]);
    expect(errors).toEqual([]);

    sdk.destroy();
    sdk = undefined;
  });
});
