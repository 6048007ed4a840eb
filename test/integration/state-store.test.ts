import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../core/db/database';
import { EmbeddedDatabase } from '../../core/db/embedded';
import { PostgresDatabase } from '../../core/db/postgres';
import pino from 'pino';
import { EmbeddedFlagProvider } from '../../rollout/flags/embedded';
import { LiveRouteState } from '../../rollout/live-state';
import { MIGRATIONS } from '../../rollout/migrations';
import { SqlStateStore } from '../../rollout/sql-state-store';
import { createTestDatabase, postgresUrlFromEnv } from '../helpers/postgres';
import { routeConfig } from '../helpers/config';
import { eventually } from '../helpers/eventually';
import { capturedLogs } from '../helpers/log-capture';
import { TcpRelay } from '../helpers/tcp-relay';

const ROUTES = [
  { route: 'orders', stage: 'canary' as const, percent: 10 },
  { route: 'users', stage: 'legacy' as const, percent: 0 },
];

interface Backend {
  open(): Promise<Database>;
  /** A second, independent handle on the same database (another proxy replica); none for PGlite. */
  openAnother?(): Promise<Database>;
  cleanup(): Promise<void>;
}

async function postgresBackend(): Promise<Backend> {
  const database = await createTestDatabase();
  return {
    open: async () => new PostgresDatabase({ url: database.url }),
    openAnother: async () => new PostgresDatabase({ url: database.url }),
    cleanup: () => database.drop(),
  };
}

async function embeddedBackend(): Promise<Backend> {
  const folder = mkdtempSync(join(tmpdir(), 'strangler-state-'));
  return {
    open: () => EmbeddedDatabase.open(folder),
    cleanup: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

describe.each([
  ['PostgreSQL', postgresBackend],
  ['embedded PGlite', embeddedBackend],
])('route state store on %s', (_name, makeBackend) => {
  let backend: Backend;
  let db: Database;
  let store: SqlStateStore;

  // One database for the describe (PGlite takes seconds to open), emptied and seeded anew before each test.
  beforeAll(async () => {
    backend = await makeBackend();
    db = await backend.open();
    store = new SqlStateStore(db);
    await store.init([]);
  }, 60000);

  beforeEach(async () => {
    await db.exec('DELETE FROM strangler_route_history; DELETE FROM strangler_routes');
    await store.init(ROUTES);
  });

  afterAll(async () => {
    await store.close();
    await backend.cleanup();
  });

  test('init seeds the configured routes with a history entry, once', async () => {
    expect((await store.list()).map((s) => [s.route, s.stage, s.percent, s.version])).toEqual([
      ['orders', 'canary', 10, 1],
      ['users', 'legacy', 0, 1],
    ]);
    const history = await store.history('orders');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ actor: 'config', from: null, to: { stage: 'canary', percent: 10 } });
  });

  test('a change bumps the version and is recorded with time, actor, reason, from and to', async () => {
    const before = Date.now();
    const updated = await store.change('orders', { percent: 25, actor: 'cli:ops', reason: 'error rate flat' });
    expect(updated).toMatchObject({ changed: true, state: { route: 'orders', stage: 'canary', percent: 25, version: 2 } });
    const [latest] = await store.history('orders', 1);
    expect(latest).toMatchObject({
      route: 'orders',
      actor: 'cli:ops',
      reason: 'error rate flat',
      from: { stage: 'canary', percent: 10 },
      to: { stage: 'canary', percent: 25 },
    });
    expect(Date.parse(latest!.at)).toBeGreaterThanOrEqual(before - 5000);
    expect(await store.change('nope', { percent: 1, actor: 'a', reason: 'r' })).toBeUndefined();
  });

  test('a change to the state the route already has writes nothing: no version, no history, no notification', async () => {
    await store.change('orders', { percent: 25, actor: 'cli:ops', reason: 'error rate flat' });
    let heard = 0;
    const unwatch = await store.watch(() => heard++);
    const same = await store.change('orders', { stage: 'canary', percent: 25, actor: 'cli:ops', reason: 'again' });
    expect(same).toMatchObject({ changed: false, state: { stage: 'canary', percent: 25, version: 2 } });
    expect(await store.get('orders')).toMatchObject({ version: 2 });
    expect((await store.history('orders', 1))[0]).toMatchObject({ reason: 'error rate flat' });
    // A real change after it is heard, so the silence before it is not the watcher being slow.
    await store.change('orders', { percent: 26, actor: 'a', reason: 'then a change' });
    await eventually(() => heard > 0, 3000, 10);
    expect(heard).toBe(1);
    await unwatch();
  });

  test('a percent is checked against the stage the store holds, not the one the caller last read', async () => {
    // users is in legacy (another replica may have put it there a moment ago); a caller that last read it in canary sends a percent alone.
    await expect(store.change('users', { percent: 30, actor: 'b', reason: 'stale' })).rejects.toMatchObject({
      status: 409,
      message: 'route users would be in stage legacy, where 30% has no meaning: use stage canary to send 30% to the new service',
    });
    expect(await store.get('users')).toMatchObject({ stage: 'legacy', percent: 0 });
  });

  test('the configuration is only the initial state: a restart keeps what operators changed', async () => {
    await store.change('users', { stage: 'live', percent: 100, actor: 'cli:ops', reason: 'cut-over' });
    await store.init([...ROUTES, { route: 'reports', stage: 'legacy', percent: 0 }]);
    const states = new Map((await store.list()).map((s) => [s.route, s]));
    expect(states.get('users')).toMatchObject({ stage: 'live', percent: 100 });
    expect(states.get('reports')).toMatchObject({ stage: 'legacy', percent: 0, version: 1 });
  });

  test('the database refuses an impossible state even if a caller skips validation', async () => {
    await store.change('orders', { percent: 25, actor: 'a', reason: 'r' });
    await expect(store.change('orders', { percent: 101, actor: 'a', reason: 'r' })).rejects.toThrow();
    await expect(store.change('orders', { stage: 'beta' as never, actor: 'a', reason: 'r' })).rejects.toThrow();
    expect(await store.get('orders')).toMatchObject({ percent: 25, version: 2 });
  });

  test('watchers hear about changes', async () => {
    let heard = 0;
    const unwatch = await store.watch(() => heard++);
    await store.change('orders', { percent: 30, actor: 'a', reason: 'watch' });
    await eventually(() => heard > 0, 3000, 10);
    await unwatch();
  });
});

describe.each([
  ['PostgreSQL', postgresBackend],
  ['embedded PGlite', embeddedBackend],
])('route state upgrade on %s', (_name, makeBackend) => {
  test('percentages stored against their stage (from configurations that used to be taken) are set to what the stage implies, with history', async () => {
    const backend = await makeBackend();
    const db = await backend.open();
    try {
      await db.exec('CREATE TABLE strangler_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const migration of MIGRATIONS.filter((m) => m.id <= 8)) {
        await db.exec(migration.sql);
        await db.query('INSERT INTO strangler_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      }
      const stored: Array<[string, string, number]> = [
        ['gone', 'retired', 0],
        ['orders', 'shadow', 25],
        ['users', 'canary', 40],
        ['cart', 'live', 100],
        ['search', 'legacy', 30],
      ];
      for (const [route, stage, percent] of stored) {
        await db.query('INSERT INTO strangler_routes (route, stage, percent) VALUES ($1, $2, $3)', [route, stage, percent]);
      }

      const store = new SqlStateStore(db);
      await store.init([]);
      const states = new Map((await store.list()).map((state) => [state.route, state]));
      expect([...states.values()].map(({ route, stage, percent, version }) => ({ route, stage, percent, version }))).toEqual([
        { route: 'cart', stage: 'live', percent: 100, version: 1 },
        { route: 'gone', stage: 'retired', percent: 100, version: 2 },
        { route: 'orders', stage: 'shadow', percent: 0, version: 2 },
        { route: 'search', stage: 'legacy', percent: 0, version: 2 },
        { route: 'users', stage: 'canary', percent: 40, version: 1 },
      ]);
      expect((await store.history('gone', 10))[0]).toMatchObject({
        actor: 'upgrade',
        reason: 'outside canary the stage sets the percentage',
        from: { stage: 'retired', percent: 0 },
        to: { stage: 'retired', percent: 100 },
      });
      expect((await store.history('orders', 10))[0]).toMatchObject({ actor: 'upgrade', from: { stage: 'shadow', percent: 25 }, to: { stage: 'shadow', percent: 0 } });
      expect(await store.history('users', 10)).toEqual([]);
      expect(await store.history('cart', 10)).toEqual([]);
    } finally {
      await db.close();
      await backend.cleanup();
    }
  }, 60000);
});

describe('PostgreSQL: replicas sharing one database', () => {
  let backend: Backend;
  let stores: SqlStateStore[];

  // Each test gets a fresh database and three replicas on it that have not started yet.
  beforeEach(async () => {
    backend = await postgresBackend();
    stores = [];
    for (let i = 0; i < 3; i++) stores.push(new SqlStateStore(await backend.openAnother!()));
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
    await backend.cleanup();
  });

  test('replicas starting together migrate and seed exactly once', async () => {
    await Promise.all(stores.map((s) => s.init(ROUTES)));
    expect(await stores[0]!.history('orders')).toHaveLength(1);
    expect(await stores[0]!.list()).toHaveLength(2);
  });

  test('a change made through one replica reaches the live state of another within a second (NOTIFY)', async () => {
    for (const store of stores) await store.init(ROUTES);
    const views = stores.slice(1).map((store) => new LiveRouteState({ store, pollMs: 60000 }));
    await Promise.all(views.map((v) => v.start()));
    const started = Date.now();
    await stores[0]!.change('orders', { percent: 60, actor: 'a', reason: 'r' });
    await eventually(() => views.every((v) => v.get('orders')?.percent === 60), 1000, 10);
    expect(Date.now() - started).toBeLessThan(1000);
    await Promise.all(views.map((v) => v.stop()));
  });
});

describe('PostgreSQL: replicas as a role that only reads and writes rows', () => {
  test('a migrated database needs no DDL at start; an unmigrated one says which migration needs the right to create tables', async () => {
    const database = await createTestDatabase();
    const fresh = await createTestDatabase();
    const role = `app_${process.pid}_${Date.now() % 100000}`;
    const owner = new PostgresDatabase({ url: database.url });
    const asRole = (url: string): string => {
      const u = new URL(url);
      u.username = role;
      u.password = '';
      return u.toString();
    };
    const stores: SqlStateStore[] = [];
    try {
      await new SqlStateStore(owner).init(ROUTES);
      await owner.query(`CREATE ROLE ${role} LOGIN`);
      await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
      await owner.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      const replica = new SqlStateStore(new PostgresDatabase({ url: asRole(database.url) }));
      stores.push(replica);
      await replica.init(ROUTES);
      expect((await replica.change('orders', { percent: 30, actor: 'a', reason: 'rows only' }))?.state).toMatchObject({ percent: 30 });
      const unmigrated = new SqlStateStore(new PostgresDatabase({ url: asRole(fresh.url) }));
      stores.push(unmigrated);
      await expect(unmigrated.init(ROUTES)).rejects.toThrow(/permission denied for schema public: the table of applied migrations needs the right to create tables; start one proxy once as the database's owner/);
    } finally {
      for (const store of stores) await store.close().catch(() => undefined);
      await owner.close();
      await database.drop();
      await fresh.drop();
      const admin = new PostgresDatabase({ url: postgresUrlFromEnv() });
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await admin.close();
    }
  });
});

describe('PostgreSQL: the LISTEN connection dropped', () => {
  test('a change made while it reconnects is read once it is back, not a poll interval later; the drop and the return are reported', async () => {
    const database = await createTestDatabase();
    const events: string[] = [];
    const watched = new SqlStateStore(new PostgresDatabase({ url: database.url, onListenError: () => events.push('lost'), onListenRestored: () => events.push('back') }));
    const writer = new SqlStateStore(new PostgresDatabase({ url: database.url }));
    const admin = new PostgresDatabase({ url: database.url });
    const view = new LiveRouteState({ store: watched, pollMs: 60000 });
    try {
      await watched.init(ROUTES);
      await view.start();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()");
      await writer.change('orders', { percent: 77, actor: 'a', reason: 'while the listener was away' });
      await eventually(() => view.get('orders')?.percent === 77, 5000, 20);
      expect(events).toEqual(['lost', 'back']);
    } finally {
      await view.stop();
      await watched.close();
      await writer.close();
      await admin.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL: readiness while change notifications are lost', () => {
  test('ready, and degraded with why: changes from other replicas arrive by polling only', async () => {
    const database = await createTestDatabase();
    const store = new SqlStateStore(new PostgresDatabase({ url: database.url }));
    const notifications = { lost: false };
    const provider = new EmbeddedFlagProvider(store, [routeConfig('orders', '/api/orders'), routeConfig('users', '/api/users')], 500, pino({ level: 'silent' }), { notifications });
    try {
      await store.init(ROUTES);
      await provider.start();
      expect(provider.health()).toEqual({ ready: true });
      notifications.lost = true;
      expect(provider.health()).toEqual({ ready: true, reason: 'state store notifications lost: changes made through other replicas arrive by polling (every 500 ms) until they are back' });
      notifications.lost = false;
      expect(provider.health()).toEqual({ ready: true });
    } finally {
      await provider.stop();
      await store.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL: a refresh asked for while a read is under way', () => {
  test('reads again once that read is done: a change committed before the call is what the view shows when it resolves', async () => {
    const database = await createTestDatabase();
    const { relay, url } = await TcpRelay.inFront(database.url);
    const writer = new SqlStateStore(new PostgresDatabase({ url: database.url }));
    const watched = new SqlStateStore(new PostgresDatabase({ url }));
    const view = new LiveRouteState({ store: watched, pollMs: 60000 });
    try {
      await writer.init(ROUTES);
      await view.start();
      // A read under way (as one a change notification or the poll starts): the server answered it before the change.
      const held = relay.holdReplyTo('FROM strangler_routes');
      const underWay = view.refresh();
      const reply = await held;
      await writer.change('orders', { percent: 45, actor: 'a', reason: 'after that read' });
      const asked = view.refresh();
      reply.release();
      await underWay;
      await asked;
      expect(view.get('orders')).toMatchObject({ stage: 'canary', percent: 45, version: 2 });
    } finally {
      await view.stop();
      await watched.close();
      await writer.close();
      await relay.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL: a database restored from an older backup', () => {
  test('the live state applies what the store holds, says so, and later changes apply again', async () => {
    const database = await createTestDatabase();
    const db = new PostgresDatabase({ url: database.url });
    const store = new SqlStateStore(db);
    const wentBack: string[] = [];
    const view = new LiveRouteState({ store, pollMs: 60000, onVersionBack: (before, after) => wentBack.push(`${before.version} → ${after.version}`) });
    try {
      await store.init(ROUTES);
      await view.start();
      await store.change('orders', { stage: 'live', percent: 100, actor: 'a', reason: 'cut-over' });
      await store.change('orders', { stage: 'canary', percent: 50, actor: 'a', reason: 'half' });
      await view.refresh();
      expect(view.get('orders')).toMatchObject({ stage: 'canary', percent: 50, version: 3 });
      // What pg_restore of a backup taken at version 1 leaves behind.
      await db.query("UPDATE strangler_routes SET stage = 'canary', percent = 10, version = 1, updated_at = now() - interval '1 day' WHERE route = 'orders'");
      await view.refresh();
      expect(view.get('orders')).toMatchObject({ stage: 'canary', percent: 10, version: 1 });
      expect(wentBack).toEqual(['3 → 1']);
      // The emergency rollback made after the restore takes effect (before, the view kept version 3 and ignored it).
      await store.change('orders', { stage: 'legacy', percent: 0, actor: 'a', reason: 'emergency rollback' });
      await view.refresh();
      expect(view.get('orders')).toMatchObject({ stage: 'legacy', percent: 0, version: 2 });
    } finally {
      await view.stop();
      await store.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL: the store becoming unreachable', () => {
  test('the live state keeps the last state, reports not ready, and recovers', async () => {
    const database = await createTestDatabase();
    const { relay, url: relayedUrl } = await TcpRelay.inFront(database.url);
    const store = new SqlStateStore(new PostgresDatabase({ url: relayedUrl }));
    const errors: string[] = [];
    const view = new LiveRouteState({ store, pollMs: 100, onError: (err) => errors.push(err.message) });
    try {
      await store.init(ROUTES);
      await view.start();
      expect(view.ready).toBe(true);
      await relay.cut();
      await eventually(() => !view.ready, 5000, 10);
      expect(view.get('orders')).toMatchObject({ stage: 'canary', percent: 10 });
      expect(errors.length).toBeGreaterThan(0);
      await relay.restore();
      await eventually(() => view.ready, 5000, 10);
      await store.change('orders', { percent: 40, actor: 'a', reason: 'after outage' });
      await eventually(() => view.get('orders')?.percent === 40, 2000, 10);
    } finally {
      await view.stop();
      await store.close();
      await relay.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL: the connection lost inside a transaction', () => {
  test('the call fails, the process goes on (no unhandled error event), and the pool serves the next call', async () => {
    const database = await createTestDatabase();
    const { relay, url: relayedUrl } = await TcpRelay.inFront(database.url);
    const db = new PostgresDatabase({ url: relayedUrl });
    try {
      const inside = db.transaction((tx) => tx.query('SELECT pg_sleep(5)'));
      const failed = expect(inside).rejects.toThrow(/Connection terminated|ECONNRESET|terminated/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await relay.cut();
      await failed;
      await relay.restore();
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
      await relay.close();
      await database.drop();
    }
  });

  test('lost after COMMIT was sent: the change is not called undone (503 says it may have been applied), and it was', async () => {
    const database = await createTestDatabase();
    const { relay, url: relayedUrl } = await TcpRelay.inFront(database.url);
    const store = new SqlStateStore(new PostgresDatabase({ url: relayedUrl }));
    const direct = new SqlStateStore(new PostgresDatabase({ url: database.url }));
    const provider = new EmbeddedFlagProvider(store, [routeConfig('orders', '/api/orders'), routeConfig('users', '/api/users')], 60000, pino({ level: 'silent' }));
    try {
      await store.init(ROUTES);
      await provider.start();
      const dropped = relay.loseReplyTo('COMMIT');
      await expect(provider.change(routeConfig('orders', '/api/orders'), { percent: 35, actor: 'a', reason: 'answer lost' })).rejects.toMatchObject({
        status: 503,
        message: expect.stringMatching(/^state store unreachable: the connection was lost while committing \(.+\): the change may have been applied; check with "strangler rollout get"/) as unknown as string,
      });
      await dropped;
      expect(await direct.list()).toContainEqual(expect.objectContaining({ route: 'orders', percent: 35 }));
    } finally {
      await provider.stop();
      await store.close();
      await direct.close();
      await relay.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL: a store that stops answering (a partition, a frozen host)', () => {
  test('a read with no answer counts as an outage: not ready, said once per outage, and ready again with a line saying so', async () => {
    const database = await createTestDatabase();
    const { relay, url: relayedUrl } = await TcpRelay.inFront(database.url);
    const store = new SqlStateStore(new PostgresDatabase({ url: relayedUrl }));
    const { logger, lines } = capturedLogs('info');
    const provider = new EmbeddedFlagProvider(store, [routeConfig('orders', '/api/orders'), routeConfig('users', '/api/users')], 100, logger, { readTimeoutMs: 300 });
    const view = provider.view;
    try {
      await store.init(ROUTES);
      await provider.start();
      const said = () => lines.map((line) => line.msg);
      for (const outage of [1, 2]) {
        relay.freeze();
        await eventually(() => !view.ready, 5000, 10);
        expect(provider.health()).toEqual({ ready: true, reason: 'state store unreachable: serving the last known state; route changes are refused until it is back' });
        expect(view.get('orders')).toMatchObject({ stage: 'canary', percent: 10 });
        relay.thaw();
        await eventually(() => view.ready, 5000, 10);
        expect(said().filter((msg) => msg === 'state store unreachable; serving the last known state')).toHaveLength(outage);
        expect(said().filter((msg) => msg === 'state store reachable again: route state read')).toHaveLength(outage);
      }
      expect(lines.find((line) => line.msg === 'state store unreachable; serving the last known state')).toMatchObject({ err: 'no answer to the route state read within 0.3 s' });
    } finally {
      relay.thaw();
      await provider.stop();
      await store.close();
      await relay.close();
      await database.drop();
    }
  });
});
