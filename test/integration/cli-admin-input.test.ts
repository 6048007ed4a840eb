import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminRequest } from '../../cli/admin-client';
import { CliError } from '../../cli/output';
import { ADMIN_API_HEADER } from '../../core/admin-api';
import { runCliAsync, tempDir, writeConfig, type CliResult } from '../helpers/proxy-process';

/**
 * What the CLI does with an admin token no HTTP client can send, and with a config whose admin.port is 0: it
 * says which flag, variable or field is wrong before anything is sent, and never prints the token. The admin
 * API is a stand-in on loopback that answers as one and records what reaches it.
 */

const RULE = 'must contain only visible ASCII characters, without spaces (it is sent in an HTTP header)';
const TOKEN = 'file-admin-token';

interface Received {
  url: string;
  authorization?: string;
}

function expectError(result: CliResult, stderr: string, status: number): void {
  expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status, stdout: '', stderr });
}

describe('strangler CLI: admin input that cannot work', () => {
  let server: Server;
  let adminUrl: string;
  const received: Received[] = [];
  const dir = tempDir('strangler-admin-input-');

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      received.push({ url: request.url ?? '', ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}) });
      response.setHeader(ADMIN_API_HEADER, '1');
      response.setHeader('content-type', 'application/json');
      response.end(request.url === '/flags/export' ? '{"version":2,"features":[],"segments":[]}' : '{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    adminUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    dir.remove();
  });

  beforeEach(() => {
    received.length = 0;
  });

  test('a --token or STRANGLER_ADMIN_TOKEN with a line break, a space or a non-ASCII letter: named, not printed, nothing sent, exit 2', async () => {
    const [newline, space, env] = await Promise.all([
      runCliAsync(['flags', 'export', '--admin', adminUrl, '--token', 'abcdefgh\nsecret-part'], {}, dir.path),
      runCliAsync(['flags', 'export', '--admin', adminUrl, '--token', 'abcdefgh secret-part'], {}, dir.path),
      runCliAsync(['flags', 'export', '--admin', adminUrl], { STRANGLER_ADMIN_TOKEN: 'токен-secret-part' }, dir.path),
    ]);
    expectError(newline, `strangler: --token: ${RULE}: character 9 is not\n`, 2);
    expectError(space, `strangler: --token: ${RULE}: character 9 is not\n`, 2);
    expectError(env, `strangler: STRANGLER_ADMIN_TOKEN: ${RULE}: character 1 is not\n`, 2);
    expect(received).toEqual([]);
  });

  test('a config file with such an admin.token: its first issue, naming the field', async () => {
    const file = writeConfig(dir.path, 'admin: { port: 9, token: "токен-секрет-12345" }\nupstreams: { legacy: { url: "http://127.0.0.1:3000" } }\n', 'token.yaml');
    expectError(await runCliAsync(['flags', 'export', '--config', file], {}, dir.path), `strangler: ${file}:1 admin.token: ${RULE}: character 1 is not\n`, 1);
    expect(received).toEqual([]);
  });

  test('admin.port 0 in the config file: the CLI asks for --admin instead of calling port 0; with --admin the file still gives the token', async () => {
    const file = writeConfig(dir.path, `admin: { port: 0, token: "${TOKEN}" }\nupstreams: { legacy: { url: "http://127.0.0.1:3000" } }\n`, 'port-zero.yaml');
    expectError(
      await runCliAsync(['flags', 'export', '--config', file], {}, dir.path),
      `strangler: ${file} admin.port is 0 (a port chosen at start, which the file cannot tell): pass --admin URL or set STRANGLER_ADMIN_URL\n`,
      2,
    );
    expect(received).toEqual([]);
    const exported = await runCliAsync(['flags', 'export', '--config', file, '--admin', adminUrl], {}, dir.path);
    expect(exported).toEqual({ status: 0, stdout: '{\n  "version": 2,\n  "features": [],\n  "segments": []\n}\n', stderr: '' });
    expect(received).toEqual([{ url: '/healthz' }, { url: '/flags/export', authorization: `Bearer ${TOKEN}` }]);
  });

  test('a header fetch refuses is reported without its value, and not as an unreachable proxy', async () => {
    let error: unknown;
    try {
      await adminRequest({ url: adminUrl, token: 'abcdefgh\nsecret-part', timeoutMs: 5000 }, 'GET', '/flags/export');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(`cannot send GET /flags/export to the admin API at ${adminUrl}: a header value cannot be sent (check the token's characters)`);
    // The open probe went; the request with the token could not be built.
    expect(received).toEqual([{ url: '/healthz' }]);
  });
});
