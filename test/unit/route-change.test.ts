import type { Stage } from '../../core/config/types';
import type { RouteState } from '../../core/state';
import { validateRouteChange } from '../../proxy/route-change';
import { routeConfig } from '../helpers/config';

const route = routeConfig('orders', '/api/orders'); // service: 'orders', config stage legacy
const deprecatedOnly = routeConfig('old-reports', '/reports', { service: undefined });

function current(stage: Stage, percent: number): RouteState {
  return { route: 'orders', stage, percent, version: 3, updatedAt: '2024-01-01T00:00:00.000Z' };
}

const STAGE_ERROR = (got: string) => `stage: must be one of legacy, shadow, canary, live, retired, got ${got}`;
const PERCENT_ERROR = (got: string) => `percent: must be an integer from 0 to 100, got ${got}`;
const REASON_ERROR = 'reason: required, a non-empty string saying why';
const ACTOR_ERROR = 'actor: must be a non-empty string of at most 200 characters, without control characters';
const REASON_LINE_ERROR = 'reason: must be one line of at most 1000 characters, without control characters such as line breaks or bidirectional overrides';
const BODY_ERROR = 'body must be a JSON object {stage?, percent?, reason}';

describe('validateRouteChange: 400s', () => {
  test.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'stage=live'],
    ['a number', 42],
    ['a boolean', true],
    ['an array', [{ stage: 'live', reason: 'x' }]],
    ['an empty array', []],
  ])('body that is %s', (_label, body) => {
    expect(validateRouteChange(body, route, current('legacy', 0))).toEqual({ ok: false, status: 400, field: 'body', error: BODY_ERROR });
  });

  test('unknown field, named in field and error', () => {
    expect(validateRouteChange({ stage: 'live', reason: 'go', percentage: 100 }, route, undefined)).toEqual({
      ok: false,
      status: 400,
      field: 'percentage',
      error: 'percentage: unknown field (expected stage, percent, reason, actor, create)',
    });
  });

  test('unknown field is reported before any other problem', () => {
    const result = validateRouteChange({ stage: 'nope', percent: 500, Reason: 'x' }, route, undefined);
    expect(result).toEqual({ ok: false, status: 400, field: 'Reason', error: 'Reason: unknown field (expected stage, percent, reason, actor, create)' });
  });

  test('a JSON "__proto__" key is an unknown field', () => {
    const body = JSON.parse('{"stage":"live","reason":"x","__proto__":{"admin":true}}');
    expect(validateRouteChange(body, route, undefined)).toMatchObject({ ok: false, status: 400, field: '__proto__' });
  });

  test.each<[unknown, string]>([
    [5, '5'],
    [null, 'null'],
    [true, 'true'],
    [['live'], '["live"]'],
    [{ name: 'live' }, '{"name":"live"}'],
    ['bogus', '"bogus"'],
    ['LIVE', '"LIVE"'],
    [' live', '" live"'],
    ['', '""'],
  ])('stage %j', (stage, shown) => {
    expect(validateRouteChange({ stage, reason: 'because' }, route, undefined)).toEqual({ ok: false, status: 400, field: 'stage', error: STAGE_ERROR(shown) });
  });

  test.each<[unknown, string]>([
    [101, '101'],
    [-1, '-1'],
    [12.5, '12.5'],
    ['25', '"25"'],
    [null, 'null'],
    [true, 'true'],
    [[50], '[50]'],
    [1000, '1000'],
  ])('percent %j', (percent, shown) => {
    expect(validateRouteChange({ stage: 'canary', percent, reason: 'because' }, route, undefined)).toEqual({
      ok: false,
      status: 400,
      field: 'percent',
      error: PERCENT_ERROR(shown),
    });
  });

  test('stage is checked before percent', () => {
    expect(validateRouteChange({ stage: 'x', percent: 101, reason: 'r' }, route, undefined)).toMatchObject({ field: 'stage' });
  });

  test('percent is checked before reason', () => {
    expect(validateRouteChange({ percent: 101 }, route, undefined)).toMatchObject({ status: 400, field: 'percent' });
  });

  test.each<[string, Record<string, unknown>]>([
    ['missing', { stage: 'live' }],
    ['empty', { stage: 'live', reason: '' }],
    ['blank', { stage: 'live', reason: '   \t\n' }],
    ['a number', { stage: 'live', reason: 5 }],
    ['null', { stage: 'live', reason: null }],
    ['an array', { stage: 'live', reason: ['why'] }],
  ])('reason %s', (_label, body) => {
    expect(validateRouteChange(body, route, undefined)).toEqual({ ok: false, status: 400, field: 'reason', error: REASON_ERROR });
  });

  test.each<[string, unknown]>([
    ['a number', 7],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
    ['201 characters', 'a'.repeat(201)],
    ['an object', { name: 'alice' }],
    ['with a line break', 'alice\nbob'],
  ])('actor %s', (_label, actor) => {
    expect(validateRouteChange({ stage: 'live', reason: 'go', actor }, route, undefined)).toEqual({ ok: false, status: 400, field: 'actor', error: ACTOR_ERROR });
  });

  test.each<[string, string]>([
    ['a line break', 'line1\nline2'],
    ['a carriage return', 'line1\rline2'],
    ['a tab', 'a\tb'],
    ['an escape sequence', 'red \u001b[31m'],
    ['a Unicode line separator', 'a\u2028b'],
    ['a right-to-left override (the line would read otherwise than stored)', 'rollback \u202egnp.exe'],
    ['a directional isolate', 'a\u2067b\u2069'],
    ['1001 characters', 'a'.repeat(1001)],
  ])('reason with %s: the history prints one change per line', (_label, reason) => {
    expect(validateRouteChange({ stage: 'live', reason }, route, undefined)).toEqual({ ok: false, status: 400, field: 'reason', error: REASON_LINE_ERROR });
  });

  test('a long reason of one line, with non-ASCII text, is fine', () => {
    expect(validateRouteChange({ stage: 'live', reason: `déploiement — ${'x'.repeat(980)}` }, route, undefined)).toMatchObject({ ok: true });
  });

  test('reason is checked before actor', () => {
    expect(validateRouteChange({ stage: 'live', actor: 7 }, route, undefined)).toMatchObject({ field: 'reason' });
  });

  test.each<[string, Record<string, unknown>]>([
    ['only a reason', { reason: 'nothing really' }],
    ['reason and actor', { reason: 'nothing', actor: 'alice' }],
    ['explicitly undefined stage and percent', { stage: undefined, percent: undefined, reason: 'x' }],
  ])('nothing to change: %s', (_label, body) => {
    expect(validateRouteChange(body, route, current('canary', 20))).toEqual({
      ok: false,
      status: 400,
      field: 'body',
      error: 'nothing to change: give stage, percent or both',
    });
  });

  test('an empty object reports the missing reason first', () => {
    expect(validateRouteChange({}, route, undefined)).toMatchObject({ status: 400, field: 'reason' });
  });
});

describe('validateRouteChange: 409s', () => {
  test.each<[Stage]>([['legacy'], ['shadow'], ['live'], ['retired']])('percent 30 with stage %s in the body', (stage) => {
    expect(validateRouteChange({ stage, percent: 30, reason: 'x' }, route, current('canary', 10))).toEqual({
      ok: false,
      status: 409,
      field: 'percent',
      error: `route orders would be in stage ${stage}, where 30% has no meaning: use stage canary to send 30% to the new service`,
    });
  });

  test.each<[Stage]>([['legacy'], ['live']])('percent 30 alone while the current stage is %s', (stage) => {
    expect(validateRouteChange({ percent: 30, reason: 'x' }, route, current(stage, stage === 'live' ? 100 : 0))).toEqual({
      ok: false,
      status: 409,
      field: 'percent',
      error: `route orders would be in stage ${stage}, where 30% has no meaning: use stage canary to send 30% to the new service`,
    });
  });

  test('a route without a new service is not pointed at canary: the stage\'s own percent is named', () => {
    const reports = routeConfig('reports-v0', '/v0/reports', { service: undefined, stage: 'legacy', percent: 0 });
    expect(validateRouteChange({ stage: 'retired', percent: 0, reason: 'x' }, reports, undefined)).toEqual({
      ok: false,
      status: 409,
      field: 'percent',
      error: 'route reports-v0 would be in stage retired, where 0% has no meaning: stage retired is 100% (the route has no new service: its stages are legacy at 0% and retired at 100%)',
    });
    expect(validateRouteChange({ stage: 'legacy', percent: 100, reason: 'x' }, reports, undefined)).toMatchObject({ error: expect.stringMatching(/: stage legacy is 0% \(the route has no new service/) });
    expect(validateRouteChange({ stage: 'retired', percent: 100, reason: 'x' }, reports, undefined)).toMatchObject({ ok: true });
  });

  test('without a stored state the configured stage decides', () => {
    const liveRoute = routeConfig('orders', '/api/orders', { stage: 'live', percent: 100 });
    expect(validateRouteChange({ percent: 30, reason: 'x' }, liveRoute, undefined)).toMatchObject({ ok: false, status: 409, field: 'percent' });
    const canaryRoute = routeConfig('orders', '/api/orders', { stage: 'canary', percent: 5 });
    expect(validateRouteChange({ percent: 30, reason: 'x' }, canaryRoute, undefined)).toEqual({ ok: true, create: false,
      change: { stage: undefined, percent: 30, reason: 'x', actor: 'admin-api' },
    });
  });

  test('the stored state wins over the configured stage', () => {
    const liveRoute = routeConfig('orders', '/api/orders', { stage: 'live', percent: 100 });
    expect(validateRouteChange({ percent: 30, reason: 'x' }, liveRoute, current('canary', 10))).toMatchObject({ ok: true });
  });

  test('a provider that reads the state as it writes (Unleash) checks a percent alone itself: neither the last poll nor the configuration refuses it', () => {
    const liveRoute = routeConfig('orders', '/api/orders', { stage: 'live', percent: 100 });
    expect(validateRouteChange({ percent: 30, reason: 'x' }, liveRoute, 'read-by-provider')).toEqual({ ok: true, create: false,
      change: { stage: undefined, percent: 30, reason: 'x', actor: 'admin-api' },
    });
    // A stage in the body is still checked here: the body alone says it.
    expect(validateRouteChange({ stage: 'legacy', percent: 30, reason: 'x' }, route, 'read-by-provider')).toMatchObject({ ok: false, status: 409, field: 'percent' });
    expect(validateRouteChange({ stage: 'canary', reason: 'x' }, deprecatedOnly, 'read-by-provider')).toMatchObject({ ok: false, status: 409, field: 'stage' });
  });

  test('the implied percent of the target stage is accepted', () => {
    expect(validateRouteChange({ stage: 'live', percent: 100, reason: 'x' }, route, undefined)).toMatchObject({ ok: true, change: { percent: 100 } });
    expect(validateRouteChange({ stage: 'retired', percent: 100, reason: 'x' }, route, undefined)).toMatchObject({ ok: true, change: { percent: 100 } });
    expect(validateRouteChange({ stage: 'legacy', percent: 0, reason: 'x' }, route, undefined)).toMatchObject({ ok: true, change: { percent: 0 } });
    expect(validateRouteChange({ stage: 'shadow', percent: 0, reason: 'x' }, route, undefined)).toMatchObject({ ok: true, change: { percent: 0 } });
    expect(validateRouteChange({ stage: 'live', percent: 0, reason: 'x' }, route, undefined)).toMatchObject({ ok: false, status: 409 });
    expect(validateRouteChange({ stage: 'legacy', percent: 100, reason: 'x' }, route, undefined)).toMatchObject({ ok: false, status: 409 });
  });

  test.each<[Stage]>([['shadow'], ['canary'], ['live']])('a route without service cannot move to %s', (stage) => {
    expect(validateRouteChange({ stage, reason: 'x' }, deprecatedOnly, undefined)).toEqual({
      ok: false,
      status: 409,
      field: 'stage',
      error: 'route old-reports has no new service (no "service" in the configuration): its stage can only be legacy or retired',
    });
  });

  test('a route without service can be retired (the proxy answers 410 for it)', () => {
    expect(validateRouteChange({ stage: 'retired', reason: 'sunset passed' }, deprecatedOnly, undefined)).toEqual({
      ok: true,
      create: false,
      change: { stage: 'retired', percent: 100, reason: 'sunset passed', actor: 'admin-api' },
    });
  });

  test('a route without service can be set to legacy (or percent 0 while legacy)', () => {
    expect(validateRouteChange({ stage: 'legacy', reason: 'x' }, deprecatedOnly, undefined)).toEqual({ ok: true, create: false,
      change: { stage: 'legacy', percent: 0, reason: 'x', actor: 'admin-api' },
    });
    expect(validateRouteChange({ percent: 0, reason: 'x' }, deprecatedOnly, undefined)).toEqual({ ok: true, create: false,
      change: { stage: undefined, percent: 0, reason: 'x', actor: 'admin-api' },
    });
  });

  test('a route without service: the percent conflict is reported before the service one', () => {
    expect(validateRouteChange({ stage: 'live', percent: 30, reason: 'x' }, deprecatedOnly, undefined)).toMatchObject({ status: 409, field: 'percent' });
  });

  test('a 400 wins over a 409', () => {
    expect(validateRouteChange({ stage: 'live', percent: 30 }, route, undefined)).toMatchObject({ status: 400, field: 'reason' });
  });
});

describe('validateRouteChange: accepted changes', () => {
  test.each<[Stage, number | undefined]>([
    ['legacy', 0],
    ['shadow', 0],
    ['live', 100],
    ['retired', 100],
    ['canary', undefined],
  ])('stage %s alone implies percent %s', (stage, percent) => {
    const result = validateRouteChange({ stage, reason: 'moving' }, route, current('canary', 25));
    expect(result).toEqual({ ok: true, create: false, change: { stage, percent, reason: 'moving', actor: 'admin-api' } });
  });

  test('canary keeps the given percent', () => {
    for (const percent of [0, 1, 25, 99, 100]) {
      expect(validateRouteChange({ stage: 'canary', percent, reason: 'ramp' }, route, current('legacy', 0))).toEqual({ ok: true, create: false,
        change: { stage: 'canary', percent, reason: 'ramp', actor: 'admin-api' },
      });
    }
  });

  test('percent alone while canary leaves the stage unset', () => {
    expect(validateRouteChange({ percent: 40, reason: 'ramp' }, route, current('canary', 10))).toEqual({ ok: true, create: false,
      change: { stage: undefined, percent: 40, reason: 'ramp', actor: 'admin-api' },
    });
  });

  test('reason and actor are trimmed; default actor is admin-api', () => {
    expect(validateRouteChange({ stage: 'live', reason: '  all green \n', actor: '  alice ' }, route, undefined)).toEqual({ ok: true, create: false,
      change: { stage: 'live', percent: 100, reason: 'all green', actor: 'alice' },
    });
    const noActor = validateRouteChange({ stage: 'live', reason: 'x' }, route, undefined);
    expect(noActor.ok && noActor.change.actor).toBe('admin-api');
  });

  test('an actor of exactly 200 characters is accepted', () => {
    const actor = 'b'.repeat(200);
    expect(validateRouteChange({ stage: 'canary', percent: 5, reason: 'x', actor }, route, undefined)).toMatchObject({ ok: true, change: { actor } });
  });

  test('rolling back from live to legacy', () => {
    expect(validateRouteChange({ stage: 'legacy', reason: 'errors up' }, route, current('live', 100))).toEqual({ ok: true, create: false,
      change: { stage: 'legacy', percent: 0, reason: 'errors up', actor: 'admin-api' },
    });
  });

  test('does not mutate the body', () => {
    const body = { stage: 'live', reason: '  x  ', actor: ' a ' };
    const copy = { ...body };
    validateRouteChange(body, route, undefined);
    expect(body).toEqual(copy);
  });
});

describe('validateRouteChange: create', () => {
  const route = routeConfig('orders', '/api/orders', { stage: 'canary', percent: 5 });

  test('create: true is passed on; anything but a boolean is refused', () => {
    expect(validateRouteChange({ percent: 30, reason: 'x', create: true }, route, undefined)).toMatchObject({ ok: true, create: true });
    expect(validateRouteChange({ percent: 30, reason: 'x', create: 'yes' }, route, undefined)).toEqual({
      ok: false,
      status: 400,
      field: 'create',
      error: 'create: must be true or false',
    });
  });
});
