import { Writable } from 'node:stream';
import pino from 'pino';

/** A pino logger whose lines (from `level` up) are kept, parsed, for a test to read. */
export function capturedLogs(level: pino.Level = 'warn'): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
