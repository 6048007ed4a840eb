import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { rawExchange } from '../helpers/raw-http';
import { WebSocket, WebSocketServer } from 'ws';
import { routeConfig, testConfig, upstreamConfig } from '../helpers/config';
import { createTestPki, type TestPki } from '../helpers/pki';
import { startProxyHarness, type ProxyHarness } from '../helpers/proxy-harness';
import { startUpstream, type TestUpstream } from '../helpers/upstream';

/**
 * An https upstream on a private PKI that requires a client certificate (mutual TLS), behind the proxy:
 * `upstreams.X.tls` supplies the CA, the client certificate and the name to verify; every way the
 * handshake can fail is a 502 naming the TLS failure, counted as a connect error.
 */
let pki: TestPki;
let upstream: Server;
let legacy: TestUpstream;
let proxy: ProxyHarness;

interface Reply {
  status: number;
  body: string;
}

function get(path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    httpRequest(`${proxy.url}${path}`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  pki = createTestPki('orders.internal');
  upstream = createServer(
    { key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCert), ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      res.setHeader('content-type', 'application/json');
      // `/close` answers with Connection: close, so the proxy's next request needs a new TLS connection.
      if (req.url?.endsWith('/close')) res.setHeader('connection', 'close');
      res.end(JSON.stringify({ sni: socket.servername, client: socket.getPeerCertificate().subject?.CN, host: req.headers.host, resumed: socket.isSessionReused() }));
    },
  );
  upstream.on('tlsClientError', () => undefined);
  // WebSocket on the same upstream: each frame is answered with what the upstream saw of the connection.
  const sockets = new WebSocketServer({ server: upstream });
  sockets.on('connection', (ws, req) => {
    const socket = req.socket as TLSSocket;
    ws.on('message', () => ws.send(JSON.stringify({ sni: socket.servername, client: socket.getPeerCertificate().subject?.CN, host: req.headers.host })));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  legacy = await startUpstream('legacy');
  const client = { cert: pki.clientCert, key: pki.clientKey };
  proxy = await startProxyHarness(
    testConfig(
      [
        upstreamConfig('legacy', legacy.url),
        upstreamConfig('trusted', origin, { tls: { ca: pki.caCert, ...client, servername: 'orders.internal' } }),
        upstreamConfig('default-trust', origin, { tls: { ...client, servername: 'orders.internal' } }),
        upstreamConfig('other-name', origin, { tls: { ca: pki.caCert, ...client, servername: 'billing.internal' } }),
        upstreamConfig('no-client-cert', origin, { tls: { ca: pki.caCert, servername: 'orders.internal' } }),
        upstreamConfig('stranger-ca', origin, { tls: { ca: pki.strangerCert, ...client, servername: 'orders.internal' } }),
      ],
      ['trusted', 'default-trust', 'other-name', 'no-client-cert', 'stranger-ca'].map((name) =>
        routeConfig(name, `/${name}`, { stage: 'live', service: name }),
      ),
    ),
  );
});

afterAll(async () => {
  await proxy?.close();
  await legacy?.close();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  pki?.remove();
});

describe('https upstreams with a tls block', () => {
  test('trusting the private CA, verifying the configured name and presenting the client certificate', async () => {
    const reply = await get('/trusted/orders/7');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ sni: 'orders.internal', client: 'strangler-proxy', host: expect.stringMatching(/^127\.0\.0\.1:\d+$/), resumed: false });
  });

  test('a new connection to the upstream resumes the TLS session instead of a full handshake', async () => {
    const replies: Array<{ client: string; resumed: boolean }> = [];
    for (let i = 0; i < 3; i++) {
      const reply = await get('/trusted/orders/close');
      expect(reply.status).toBe(200);
      replies.push(JSON.parse(reply.body) as { client: string; resumed: boolean });
    }
    // Each answer closed its connection; the next one offered the session ticket and the upstream took it.
    expect(replies.slice(1).map((reply) => reply.resumed)).toEqual([true, true]);
    // The client certificate still identifies the proxy on a resumed session.
    expect(replies.map((reply) => reply.client)).toEqual(['strangler-proxy', 'strangler-proxy', 'strangler-proxy']);
  });

  test.each([
    ['Node\'s CA list does not know the private CA', '/default-trust', /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
    ['the certificate is not for the configured name', '/other-name', /ERR_TLS_CERT_ALTNAME_INVALID/],
    ['the upstream requires a client certificate', '/no-client-cert', /ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET/],
    ['only another CA is trusted', '/stranger-ca', /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
  ])('%s → 502 naming the TLS failure, counted as a connect error', async (_case, path, failure) => {
    const reply = await get(`${path}/1`);
    expect(reply.status).toBe(502);
    const body = JSON.parse(reply.body) as { error: string; upstream: string };
    expect(body.upstream).toBe(path.slice(1));
    expect(body.error).toMatch(new RegExp(`^upstream ${path.slice(1)} failed the TLS handshake \\(`));
    expect(body.error).toMatch(failure);
    expect(await proxy.registry.metrics()).toContain(`strangler_upstream_errors_total{route="${path.slice(1)}",target="new",reason="connect-error"} 1`);
  });
});

describe('WebSocket upgrades to an https upstream with a tls block', () => {
  test('wss with the private CA, the configured name and the client certificate (mutual TLS)', async () => {
    const client = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/trusted/socket`);
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        client.on('error', reject);
        client.once('open', () => client.send('who'));
        client.once('message', (data) => resolve(data.toString()));
      });
      expect(JSON.parse(reply)).toEqual({ sni: 'orders.internal', client: 'strangler-proxy', host: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    } finally {
      client.terminate();
    }
  });

  test.each([
    ['Node\'s CA list does not know the private CA', '/default-trust', /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
    ['the certificate is not for the configured name', '/other-name', /ERR_TLS_CERT_ALTNAME_INVALID/],
    ['only another CA is trusted', '/stranger-ca', /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
  ])('%s → 502 naming the TLS failure', async (_case, path, failure) => {
    const port = new URL(proxy.url).port;
    const answer = await rawExchange(
      Number(port),
      `GET ${path}/socket HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string; upstream: string };
    expect(body.upstream).toBe(path.slice(1));
    expect(body.error).toMatch(new RegExp(`^upstream ${path.slice(1)} failed the TLS handshake \\(`));
    expect(body.error).toMatch(failure);
  });
});
