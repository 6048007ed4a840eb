import { PostgresDatabase } from '../../core/db/postgres';
import { postgresUrlFromEnv } from '../helpers/postgres';
import { ADMIN_TOKEN, proxyYaml, runCli, startProxyProcess, tempDir, writeConfig } from '../helpers/proxy-process';
import { startTlsPostgres, tlsPostgresUnavailable, type TlsPostgres } from '../helpers/tls-postgres';
import { startUpstream, type TestUpstream } from '../helpers/upstream';

const unavailable = tlsPostgresUnavailable();
const describeWithTls = unavailable ? describe.skip : describe;

/** Whether the connection a query runs on is encrypted, as the server sees it. */
const OWN_CONNECTION_ENCRYPTED = 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
/** The shared test server also holds other suites' LISTEN connections: only this call's channel counts. */
const LISTEN_CONNECTION_ENCRYPTED = 'SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.query = $1';
let channelsOpened = 0;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describeWithTls(`sslmode in a postgres:// state.url means what it means to libpq${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let server: TlsPostgres;
  let legacy: TestUpstream;
  let dir: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    server = await startTlsPostgres();
    legacy = await startUpstream('legacy');
    dir = tempDir('strangler-pg-ssl-');
  }, 60000);

  afterAll(async () => {
    server?.stop();
    await legacy?.close();
    dir?.remove();
  });

  /** Opens the store as openDatabase does and tells whether its pooled and its LISTEN connection are encrypted. */
  async function encryption(url: string): Promise<boolean[]> {
    const db = await PostgresDatabase.open({ url });
    try {
      const channel = `strangler_ssl_test_${process.pid}_${++channelsOpened}`;
      const stop = await db.listen(channel, () => undefined);
      const own = (await db.query<{ ssl: boolean }>(OWN_CONNECTION_ENCRYPTED)).rows.map((row) => row.ssl);
      const listening = (await db.query<{ ssl: boolean }>(LISTEN_CONNECTION_ENCRYPTED, [`LISTEN "${channel}"`])).rows.map((row) => row.ssl);
      await stop();
      return [...own, ...listening];
    } finally {
      await db.close();
    }
  }

  test.each(['require', 'verify-ca&sslrootcert=CERT', 'prefer', 'allow'])('sslmode=%s against a self-signed server that insists on TLS: encrypted', async (mode) => {
    expect(await encryption(`${server.url}?sslmode=${mode.replace('CERT', server.certificateFile)}`)).toEqual([true, true]);
  });

  test.each(['prefer', 'allow'])('sslmode=%s against a server without TLS: plain, as libpq falls back', async (mode) => {
    expect(await encryption(`${postgresUrlFromEnv()}?sslmode=${mode}`)).toEqual([false, false]);
  });

  describe('PGSSLMODE and PGSSLROOTCERT in the environment, where the URL has no sslmode, mean what they mean to libpq', () => {
    const saved = { PGSSLMODE: process.env.PGSSLMODE, PGSSLROOTCERT: process.env.PGSSLROOTCERT };
    afterEach(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    test('PGSSLMODE=require encrypts without checking the self-signed certificate (pg alone would refuse it)', async () => {
      process.env.PGSSLMODE = 'require';
      expect(await encryption(server.url)).toEqual([true, true]);
    });

    test('PGSSLMODE=verify-ca checks against PGSSLROOTCERT', async () => {
      process.env.PGSSLMODE = 'verify-ca';
      process.env.PGSSLROOTCERT = server.certificateFile;
      expect(await encryption(server.url)).toEqual([true, true]);
    });

    test('PGSSLMODE=prefer falls back to plain against a server without TLS', async () => {
      process.env.PGSSLMODE = 'prefer';
      expect(await encryption(postgresUrlFromEnv())).toEqual([false, false]);
    });

    test("the URL's sslmode wins: sslmode=disable in the URL is plain even with PGSSLMODE=require", async () => {
      process.env.PGSSLMODE = 'require';
      expect(await encryption(`${postgresUrlFromEnv()}?sslmode=disable`)).toEqual([false, false]);
    });
  });

  test('sslmode=disable against a server that insists on TLS: refused by the server, not encrypted by the client', async () => {
    await expect(encryption(`${server.url}?sslmode=disable`)).rejects.toThrow('no encryption');
  });

  test('sslmode=verify-full checks the host name too: the certificate names another host', async () => {
    const db = new PostgresDatabase({ url: `${server.url}?sslmode=verify-full&sslrootcert=${server.certificateFile}` });
    try {
      await expect(db.query('SELECT 1')).rejects.toThrow(`Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: `);
    } finally {
      await db.close();
    }
  });

  test("sslrootcert=system trusts the authorities Node trusts (NODE_EXTRA_CA_CERTS included), with the host name checked, as libpq 16's does", () => {
    const stateUrl = `${server.url}?sslrootcert=system`;
    const config = writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl }), 'system-roots.yaml');
    const cannotOpen = `strangler: cannot open the state store ${stateUrl}: `;
    // Not trusted: the self-signed certificate is no authority Node knows.
    expect(runCli(['proxy', '--config', config], { TEST_ADMIN_TOKEN: ADMIN_TOKEN })).toMatchObject({ status: 1, stderr: `${cannotOpen}self-signed certificate\n` });
    // Trusted through Node's store, so the next check is reached: the host name, which verify-full implies.
    const trusted = runCli(['proxy', '--config', config], { TEST_ADMIN_TOKEN: ADMIN_TOKEN, NODE_EXTRA_CA_CERTS: server.certificateFile });
    expect(trusted.status).toBe(1);
    expect(trusted.stderr).toMatch(new RegExp(`^${escapeRegExp(cannotOpen)}Hostname/IP does not match certificate's altnames: IP: 127\\.0\\.0\\.1 is not in the cert's list: \\n$`));
    const weaker = writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl: `${stateUrl}&sslmode=require` }), 'system-roots-require.yaml');
    expect(runCli(['config', 'validate', weaker])).toMatchObject({ status: 1, stderr: expect.stringContaining('state.url: sslrootcert=system needs sslmode=verify-full (or no sslmode), not sslmode=require') });
  }, 60000);

  test('a proxy on sslmode=require starts and logs only JSON on stderr; sslmode=verify-full refuses the self-signed certificate in one line', async () => {
    const stateUrl = `${server.url.replace('postgres@', 'postgres:s3cret@')}?sslmode=require`;
    const proxy = await startProxyProcess(writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl }), 'require.yaml'));
    expect(await proxy.stop()).toBe(0);
    expect(proxy.logs.length).toBeGreaterThan(0);
    for (const line of proxy.logs) expect(() => JSON.parse(line)).not.toThrow();

    const verifyFull = stateUrl.replace('sslmode=require', 'sslmode=verify-full');
    const refused = runCli(['proxy', '--config', writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl: verifyFull }), 'verify-full.yaml')], { TEST_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(refused.status).toBe(1);
    const port = new URL(server.url).port;
    expect(refused.stderr).toBe(`strangler: cannot open the state store postgres://postgres:***@127.0.0.1:${port}/postgres?sslmode=verify-full: self-signed certificate\n`);
  }, 60000);
});
