import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

/**
 * A loopback port where a connect hangs, the one way to make a connect time out on loopback (refused
 * connections fail at once, and this network has no address that drops packets).
 *
 * A worker thread listens with a backlog of 1 and then blocks its own event loop, so nothing is ever
 * accepted: connections pile up in the kernel's accept queue, and once it is full Linux drops further
 * SYNs, leaving the connecting side in SYN-SENT. `fill()` opens connections until one hangs.
 */
export interface UnacceptingListener {
  port: number;
  /** Opens connections until one does not complete within `settleMs`; afterwards every new connect hangs. */
  fill(settleMs?: number): Promise<void>;
  close(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const server = require('node:net').createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(new Int32Array(workerData), 0, 0);
  server.close();
});
`;

const MAX_FILLERS = 16;

export async function unacceptingListener(): Promise<UnacceptingListener> {
  const wake = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: wake });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (value: number) => resolve(value));
    worker.once('error', reject);
  });
  const fillers: Socket[] = [];

  const connectsWithin = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      fillers.push(socket);
      socket.on('error', () => undefined);
      const timer = setTimeout(() => resolve(false), ms);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  return {
    port,
    async fill(settleMs = 200) {
      while (fillers.length < MAX_FILLERS) {
        if (!(await connectsWithin(settleMs))) return;
      }
      throw new Error(`unaccepting listener: ${MAX_FILLERS} connections completed; the accept queue never filled`);
    },
    async close() {
      for (const socket of fillers) socket.destroy();
      const view = new Int32Array(wake);
      Atomics.store(view, 0, 1);
      Atomics.notify(view, 0);
      await worker.terminate();
    },
  };
}
