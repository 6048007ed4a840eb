import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { EmbeddedDatabase } from '../../core/db/embedded';
import { lockFolder } from '../../core/db/folder-lock';

const COMPILED = resolve(__dirname, '../../dist/core/db/embedded.js');

describe('embedded database (PGlite in a worker thread)', () => {
  let folder: string;
  let db: EmbeddedDatabase;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'strangler-embedded-'));
    db = await EmbeddedDatabase.open(folder);
    await db.exec('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, at timestamptz, tags text[])');
  }, 60000);

  afterAll(async () => {
    await db.close();
    rmSync(folder, { recursive: true, force: true });
  });

  test('parameters and rows keep their types across the thread boundary', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    await db.query('INSERT INTO items VALUES ($1, $2, $3, $4)', [1, 'one', at, ['a', 'b']]);
    const { rows } = await db.query<{ id: number; name: string; at: Date; tags: string[] }>('SELECT * FROM items WHERE id = $1', [1]);
    expect(rows).toEqual([{ id: 1, name: 'one', at, tags: ['a', 'b'] }]);
    expect(Object.prototype.toString.call(rows[0]!.at)).toBe('[object Date]');
  });

  test('a failed statement rejects with PostgreSQL error fields (code, constraint)', async () => {
    await db.query('INSERT INTO items (id, name) VALUES (2, $1)', ['two']);
    const error = await db.query('INSERT INTO items (id, name) VALUES (2, $1)', ['again']).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '23505', constraint: 'items_pkey', message: expect.stringContaining('duplicate key') });
  });

  test('a transaction commits what fn did and returns its value', async () => {
    const value = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO items (id, name) VALUES (10, $1)', ['ten']);
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE id = 10')).rows[0]!.n;
    });
    expect(value).toBe(1);
    expect((await db.query('SELECT name FROM items WHERE id = 10')).rows).toEqual([{ name: 'ten' }]);
  });

  test('a transaction whose fn throws is rolled back and the error reaches the caller', async () => {
    const thrown = new Error('changed my mind');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO items (id, name) VALUES (11, $1)', ['eleven']);
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect((await db.query('SELECT * FROM items WHERE id = 11')).rows).toEqual([]);
  });

  test('a statement outside a transaction waits for it instead of joining it', async () => {
    let committed = false;
    let outside: Promise<number> | undefined;
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO items (id, name) VALUES (12, $1)', ['twelve']);
      outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE id = 12').then((result) => {
        expect(committed).toBe(true);
        return result.rows[0]!.n;
      });
      await tx.query('SELECT 1');
    });
    committed = true;
    // Queued behind the session's transaction, the outer statement sees the committed row.
    await expect(outside).resolves.toBe(1);
  });

  test('NOTIFY reaches listeners; after unsubscribing it does not', async () => {
    const payloads: string[] = [];
    const unsubscribe = await db.listen('items_changed', (payload) => payloads.push(payload));
    await db.query("SELECT pg_notify('items_changed', 'first')");
    expect(payloads).toEqual(['first']);
    await unsubscribe();
    await db.query("SELECT pg_notify('items_changed', 'second')");
    await db.query('SELECT 1');
    expect(payloads).toEqual(['first']);
  });

  test('a long statement does not hold the caller’s event loop', async () => {
    const gaps: number[] = [];
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 1);
    const started = performance.now();
    await db.query('SELECT count(*) FROM generate_series(1, 2000000)');
    const elapsed = performance.now() - started;
    clearInterval(ticker);
    // In-process, the whole statement would be one gap as long as the statement.
    expect(gaps.length).toBeGreaterThan(5);
    expect(Math.max(...gaps)).toBeLessThan(elapsed / 2);
  });
});

describe('embedded database folder lock', () => {
  test('a second open of one folder in the same process is refused; a pid file left with our own pid (a container restarted as pid 1) is taken over', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'strangler-embedded-'));
    try {
      const db = await EmbeddedDatabase.open(folder);
      await expect(EmbeddedDatabase.open(folder)).rejects.toMatchObject({ code: 'STRANGLER_ERR_STATE_LOCKED', message: `embedded state ${folder} is already open in this process: one embedded store per folder` });
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await db.close();
      writeFileSync(join(folder, 'strangler.pid'), String(process.pid));
      const again = await EmbeddedDatabase.open(folder);
      await again.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60000);
});

describe('embedded folder lock: who holds the pid file', () => {
  const children: ChildProcess[] = [];
  const startedAt = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!;
  const sleeper = async (): Promise<number> => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child.pid!;
  };
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'strangler-lock-'));
  });
  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  test('the file records our pid and start time; a live owner with that start time is refused with the file to delete', async () => {
    const release = lockFolder(folder);
    expect(readFileSync(join(folder, 'strangler.pid'), 'utf8')).toBe(`${process.pid} ${startedAt(process.pid)}`);
    release();
    const pid = await sleeper();
    writeFileSync(join(folder, 'strangler.pid'), `${pid} ${startedAt(pid)}`);
    expect(() => lockFolder(folder)).toThrow(
      `embedded state ${folder} is in use by process ${pid}: one process owns an embedded store (use a postgres:// state.url for several proxies); ` +
        `if no strangler runs as process ${pid}, delete ${join(folder, 'strangler.pid')}`,
    );
    // A file from before start times were recorded: a live pid still holds the folder.
    writeFileSync(join(folder, 'strangler.pid'), String(pid));
    expect(() => lockFolder(folder)).toThrow(/is in use by process/);
  });

  test('a pid now given to an unrelated process (another start time) is stale and taken over', async () => {
    const pid = await sleeper();
    writeFileSync(join(folder, 'strangler.pid'), `${pid} 1`);
    const release = lockFolder(folder);
    expect(readFileSync(join(folder, 'strangler.pid'), 'utf8')).toBe(`${process.pid} ${startedAt(process.pid)}`);
    release();
  });

  test('a killed proxy its parent has not reaped yet (a zombie) holds nothing', async () => {
    // sh starts a child, then becomes `sleep`, which never reaps it: the child stays a zombie while sleep runs.
    // The child outlives sh's exec by far: one that ended before it could still be reaped by sh itself.
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(parent);
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
    for (let i = 0; i < 100 && readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]![0] !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]![0]).toBe('Z');
    writeFileSync(join(folder, 'strangler.pid'), `${zombie} ${startedAt(zombie)}`);
    lockFolder(folder)();
  });
});

describe('embedded database failures', () => {
  test('when the worker thread dies, waiting and later statements fail with one clear error and close still frees the folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'strangler-embedded-'));
    const db = await EmbeddedDatabase.open(folder);
    try {
      // The only fault injected here: nothing a caller does can kill the thread otherwise.
      const worker = (db as unknown as { worker: Worker }).worker;
      const waiting = db.query('SELECT count(*) FROM generate_series(1, 2000000)');
      await worker.terminate();
      const expected = { code: 'STRANGLER_ERR_STATE_FAILED', message: expect.stringContaining(`embedded state ${folder} failed`) };
      await expect(waiting).rejects.toMatchObject(expected);
      await expect(db.query('SELECT 1')).rejects.toMatchObject(expected);
      await db.close();
      expect(existsSync(join(folder, 'strangler.pid'))).toBe(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60000);

  test('a new folder is created whole and nothing is left beside it, not even an interrupted start; reopened, it is the same database', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'strangler-embedded-'));
    const folder = join(parent, 'state');
    // What an earlier first start, killed while creating, leaves beside the folder.
    mkdirSync(join(parent, 'state.creating-4242', 'base'), { recursive: true });
    try {
      const db = await EmbeddedDatabase.open(folder);
      await db.query('CREATE TABLE t (n int)');
      await db.close();
      expect(readdirSync(folder)).toEqual(expect.arrayContaining(['PG_VERSION', 'base', 'global', 'pg_wal']));
      expect(readdirSync(parent)).toEqual(['state']);
      const again = await EmbeddedDatabase.open(folder);
      expect((await again.query("SELECT to_regclass('t') IS NOT NULL AS here")).rows).toEqual([{ here: true }]);
      await again.close();
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 60000);

  test('a new store stopped while it is created leaves nothing of it, beside the folder or in it, and no lock: the folder opens afterwards', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'strangler-embedded-'));
    const folder = join(parent, 'state');
    try {
      const stop = new AbortController();
      // By the time open() returns its promise the folder is locked and the child creating the store runs.
      const opening = EmbeddedDatabase.open(folder, 'state.url', stop.signal);
      expect(readdirSync(folder)).toEqual(['strangler.pid']);
      stop.abort();
      await expect(opening).rejects.toMatchObject({ name: 'AbortError' });
      expect(readdirSync(parent)).toEqual(['state']);
      expect(readdirSync(folder)).toEqual([]);
      const db = await EmbeddedDatabase.open(folder);
      expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await db.close();
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 60000);

  test('when the child process cannot start, the worker creates the folder itself', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'strangler-embedded-'));
    const folder = join(parent, 'state');
    const nodeOptions = process.env.NODE_OPTIONS;
    // A real fault for the child only: node refuses to start with a --require it cannot find.
    process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --require ${join(parent, 'missing.js')}`;
    try {
      const db = await EmbeddedDatabase.open(folder);
      expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await db.close();
      expect(existsSync(join(folder, 'PG_VERSION'))).toBe(true);
      expect(readdirSync(parent)).toEqual(['state']);
    } finally {
      if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = nodeOptions;
      rmSync(parent, { recursive: true, force: true });
    }
  }, 60000);

  test('an open database does not keep the process alive once nothing is awaited', () => {
    const folder = mkdtempSync(join(tmpdir(), 'strangler-embedded-'));
    try {
      const script = `
        const { EmbeddedDatabase } = require(${JSON.stringify(COMPILED)});
        EmbeddedDatabase.open(${JSON.stringify(folder)})
          .then((db) => db.query('SELECT 41 + 1 AS answer'))
          .then(({ rows }) => console.log(JSON.stringify(rows)));
      `;
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('[{"answer":42}]');
      expect(child.status).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60000);
});
