import type { Duplex } from 'node:stream';

/** How long a client answered without a tunnel has to close its connection once the answer is out; then the proxy cuts it. */
export const ANSWERED_GRACE_MS = 1000;

/**
 * The sockets node hands over for an Upgrade. node's server forgets them (closeAllConnections() does not
 * reach them), so each one is tracked here until it closes, for a stopping proxy to cut what is left.
 */
export class HandedOverSockets {
  private readonly sockets = new Set<Duplex>();

  get open(): number {
    return this.sockets.size;
  }

  track(socket: Duplex): void {
    this.sockets.add(socket);
    // node took its own listeners off this socket when it handed it over: without one, a reset would crash the process.
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.sockets.delete(socket));
  }

  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

/**
 * A connection answered without a tunnel, its answer ended (`socket.end()` called): what the client sends from
 * now on is read and dropped (a paused socket would never see the client's FIN, and would hold its bytes), and
 * the socket is destroyed once the answer is out and the client has had ANSWERED_GRACE_MS to close it.
 */
export function closeOnceAnswered(socket: Duplex): void {
  if (socket.destroyed) return;
  readAndDrop(socket);
  const cutAfterGrace = (): void => {
    const timer = setTimeout(() => socket.destroy(), ANSWERED_GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  if (socket.writableFinished) cutAfterGrace();
  else socket.once('finish', cutAfterGrace);
}

/** Answers a handed-over connection with `head` (a complete bodyless response) and closes it. */
export function answerAndClose(socket: Duplex, head: string): void {
  socket.end(head, 'latin1');
  closeOnceAnswered(socket);
}

/** Reads what the client sends and drops it: a paused socket would never see the client's FIN, and would hold its bytes. */
export function readAndDrop(socket: Duplex): void {
  socket.on('data', dropBytes);
  socket.resume();
}

function dropBytes(): void {}
