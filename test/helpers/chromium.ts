/**
 * Real headless Chromium for tests that need a browser (the HTML diff report).
 *
 * - chromiumPath(): Debian's /usr/bin/chromium, or a clear one-line error when it is not there.
 *   scripts/test-env.js (npm test) installs it when missing and run as root; it never skips silently.
 * - runChromium(args): runs it headless with a fresh profile and nothing that reaches the network on its
 *   own (no background networking, component updates, sync or QUIC); returns stdout. The whole process group
 *   is killed on timeout, and the profile is removed afterwards.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumPath(): string {
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
    return CHROMIUM;
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: run the tests with "npm test" as root (scripts/test-env.js installs it) ` +
        'or install Debian\'s chromium package (sudo apt-get install -y chromium)',
    );
  }
}

/** Flags for every run: headless, no sandbox (tests may run as root), nothing fetched behind our back. */
export const HEADLESS_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--hide-scrollbars',
  '--mute-audio',
];

export interface ChromiumResult {
  stdout: string;
  stderr: string;
}

/** Runs Chromium with HEADLESS_FLAGS, a fresh --user-data-dir and `args`; rejects on a non-zero exit or timeout. */
export async function runChromium(args: string[], timeoutMs = 60_000): Promise<ChromiumResult> {
  const executable = chromiumPath();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-chromium-'));
  try {
    return await new Promise<ChromiumResult>((resolve, reject) => {
      const child = spawn(executable, [...HEADLESS_FLAGS, `--user-data-dir=${profile}`, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so a timeout kills the renderer and GPU processes too
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }, timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const result = { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
        if (timedOut) reject(new Error(`chromium did not finish within ${timeoutMs} ms`));
        else if (code !== 0) {
          const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
          reject(new Error(`chromium exited with ${code ?? signal}:\n${tail}`));
        } else resolve(result);
      });
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
