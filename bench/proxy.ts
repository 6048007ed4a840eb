/**
 * Data-path benchmark: CPU per request, throughput, latency and RSS of strangler's proxy beside nginx and
 * the two Node peers it was chosen over, all in ONE run so machine noise hits every contender alike.
 *
 *   npm run bench:proxy                      # build, then: node dist/bench/proxy.js
 *   node dist/bench/proxy.js --seconds 5 --rounds 3 --connections 50 --only strangler,nginx
 *   node dist/bench/proxy.js --only strangler --rounds 1 --cpu-prof /tmp/prof   # + top self-time functions
 *   node dist/bench/proxy.js --only strangler-legacy,strangler-shadow,nginx      # what shadow traffic costs
 *   node dist/bench/proxy.js --only strangler --plain-node                       # without bin/strangler's settings
 *   node dist/bench/proxy.js --only strangler-legacy,strangler-shadow --shadow-sample 0.25   # cost at a lower sample
 *   node dist/bench/proxy.js --only strangler-legacy,strangler-copy,strangler-shadow  # the copy vs the comparison
 *   node dist/bench/proxy.js --only strangler-legacy,strangler-shadow --shadow-store embedded   # comparisons into PGlite
 *   node dist/bench/proxy.js --only strangler-legacy,strangler-copy,strangler-shadow --shadow-pipelining 16   # copies pipelined
 *
 * Contenders (each proxy in its own process, so its CPU is read from /proc/PID/stat):
 *   direct            wrk straight to the upstream (the ceiling; no proxy)
 *   strangler         proxy/ ProxyServer: 5 routes, `/api/orders` canary 50 % sticky on x-user-id, metrics on,
 *                     legacy and new on two upstream ports (bench/proxy-worker.ts)
 *   strangler-legacy  the same, `/api/orders` in stage legacy (shadow block present, shadow off): all to legacy
 *   strangler-shadow  the same, `/api/orders` in stage shadow: all to legacy, and every GET copied to the new
 *                     service and compared by the real diff engine in-process (startShadowComparisons, as in
 *                     production; the comparison store is an in-memory no-op standing in for the database,
 *                     unless --shadow-store names a real one: `embedded` (PGlite in the temp dir) or a
 *                     postgres:// URL, written through the same SqlComparisonStore as `strangler proxy`)
 *   strangler-copy    the same as strangler-shadow, but each finished exchange is dropped uncompared: what the
 *                     second HTTP exchange alone costs (send, read, capture), without the diff
 *   http-proxy        node:http + http-proxy, keep-alive agent, an 'error' listener
 *   reply-from        fastify + @fastify/reply-from (undici), pass-through content-type parser
 *   nginx             1 worker, split_clients on $http_x_user_id 50/50 over two keep-alive upstreams
 *
 * Node contenders (peers too, for a fair comparison) start with the memory settings of bin/strangler, the
 * launcher behind the `strangler` command (--max-semi-space-size, MALLOC_ARENA_MAX), read from that script;
 * --plain-node starts them as plain `node` instead.
 *
 * Upstream: ONE nginx process, 1 worker, listening on two ports and answering with `return 200` a fixed
 * ~310-byte order document (application/json). Both ports send the SAME JSON document (same members and
 * values) serialised differently — other member order, `129.90` for `129.9` — and a different
 * `x-upstream` header (not compared), so a shadow comparison is a "match" that does the full work: the bytes
 * differ, so both bodies are parsed and walked (byte-identical bodies would stop at Buffer.equals).
 * `return` is the cheapest answer available (~10–20 µs CPU per request against ~60+ µs for a node:http
 * server), so on 2 cores most of the CPU is left for wrk and the contender being measured.
 *
 * Load: wrk -t1 -c<connections> --latency with a Lua script that cycles 1,000 prebuilt requests
 * `GET /api/orders/<n>` carrying different `x-user-id` values (same script for every contender). Every round
 * runs each contender for --seconds, forward order in even rounds and reverse order in odd rounds, after one
 * --warmup run each. CPU µs/request = Δ(utime+stime) of the proxy's process(es) (nginx: master + worker)
 * over the wrk window ÷ requests wrk completed in it. Figures reported are medians across rounds.
 *
 * Shadow cost, when strangler-legacy and strangler-shadow both run: shadow CPU ratio = CPU µs/request of
 * strangler-shadow ÷ strangler-legacy (goal ≤ 1.5×). Client p99 is compared twice: at full load (wrk's
 * closed loop saturates the proxy, so there p99 follows throughput and any extra CPU shows up in it) and,
 * each round, at a paced load (--paced req/s in total, default 2000, via wrk's delay(): each connection
 * waits a random, exponentially distributed time, mean connections÷rate, between requests, so arrivals
 * are close to Poisson; the wait is not part of the latency), where "unchanged within noise" means:
 * Δ of the median p99s ≤ the round-to-round spread (max − min) of the shadow-off p99s.
 * The shadow worker's stats prove the copies happened: exchanges compared, results, drops, records stored.
 * With strangler-copy in the run, the copy's CPU is split into kernel (stime: its extra send and receive)
 * and user time, and the bench prints the floor: the ratio left if the copy's own JS cost nothing,
 * (off + the copy's extra kernel time + the comparison) ÷ off.
 *
 * Needs `nginx` and `wrk` (Debian packages); installs them with apt-get when missing and running as root.
 * Every child process exits with the bench (stdin EOF, or a guard process that kills nginx); everything
 * listens on 127.0.0.1 only; the temp dir is removed. Bad usage: one-line error, exit 2.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { connect, createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { nodeLaunch, type NodeLaunch } from './node-launch';
import { TEMP_PREFIX } from './proxy-worker';
import { redactUrl } from '../core/config/redact';

const CONTENDERS = ['direct', 'strangler', 'strangler-legacy', 'strangler-copy', 'strangler-shadow', 'http-proxy', 'reply-from', 'nginx'] as const;
type Name = (typeof CONTENDERS)[number];
/** Contenders everything else is compared with. */
const ANCHORS = ['nginx', 'http-proxy', 'reply-from'] as const;
const HOST = '127.0.0.1';
const GOALS = { cpuUsPerRequest: 100, rpsVsNginx: 0.5, rssMb: 80, shadowCpuRatio: 1.5 };
/** Shadow off, copies only, and shadow on (the same route, stage legacy vs stage shadow); these also run paced. */
const SHADOW_SET = ['strangler-legacy', 'strangler-copy', 'strangler-shadow'] as const;
/** Strangler workers: profiled with --cpu-prof. */
const STRANGLERS: readonly Name[] = ['strangler', 'strangler-legacy', 'strangler-copy', 'strangler-shadow'];
const USAGE =
  'usage: node dist/bench/proxy.js [--seconds N] [--rounds N] [--connections N] [--warmup N] [--paced RPS] ' +
  `[--only ${CONTENDERS.join(',')}] [--cpu-prof DIR] [--plain-node] [--shadow-sample S] [--shadow-store none|embedded|postgres://…] [--shadow-pipelining N]`;

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  seconds: number;
  rounds: number;
  connections: number;
  warmup: number;
  /** Total req/s of the paced runs of strangler-legacy and strangler-shadow; 0: none. */
  paced: number;
  only: Name[];
  cpuProf: string | undefined;
  /** Node contenders run as `node worker.js`, without bin/strangler's memory settings. */
  plainNode: boolean;
  /** strangler-shadow's shadow.sample (the goal is stated for 1: every GET copied). */
  shadowSample: number;
  /** Where strangler-shadow writes its comparisons: `none` (discarded), `embedded` (PGlite) or a postgres:// URL. */
  shadowStore: string;
  /** The upstreams' shadowPipelining in strangler-copy and strangler-shadow (1: copies one at a time per connection). */
  shadowPipelining: number;
}

class UsageError extends Error {}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`${flag} expects an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

function contenderList(text: string): Name[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(CONTENDERS as readonly string[]).includes(name)) {
      throw new UsageError(`--only: unknown contender ${JSON.stringify(name)} (known: ${CONTENDERS.join(', ')})`);
    }
  }
  if (names.length === 0) throw new UsageError('--only needs at least one contender');
  return CONTENDERS.filter((c) => names.includes(c));
}

function parseArgs(argv: string[]): Options | 'help' {
  const options: Options = { seconds: 5, rounds: 3, connections: 50, warmup: 2, paced: 2000, only: [...CONTENDERS], cpuProf: undefined, plainNode: false, shadowSample: 1, shadowStore: 'none', shadowPipelining: 1 };
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i]!;
    let inline: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq !== -1) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--seconds':
        options.seconds = integer(flag, value(), 1, 300);
        break;
      case '--rounds':
        options.rounds = integer(flag, value(), 1, 20);
        break;
      case '--connections':
        options.connections = integer(flag, value(), 1, 1000);
        break;
      case '--warmup':
        options.warmup = integer(flag, value(), 0, 60);
        break;
      case '--paced':
        options.paced = integer(flag, value(), 0, 1000000);
        break;
      case '--only':
        options.only = contenderList(value());
        break;
      case '--shadow-sample': {
        const text = value();
        const sample = /^(0(\.\d+)?|1(\.0+)?)$/.test(text) ? Number(text) : NaN;
        if (!(sample > 0 && sample <= 1)) throw new UsageError(`--shadow-sample expects a number above 0 and at most 1, got ${JSON.stringify(text)}`);
        options.shadowSample = sample;
        break;
      }
      case '--shadow-pipelining':
        options.shadowPipelining = integer(flag, value(), 1, 128);
        break;
      case '--shadow-store': {
        const store = value();
        if (store !== 'none' && store !== 'embedded' && !/^postgres(ql)?:\/\/./.test(store)) {
          throw new UsageError(`--shadow-store expects none, embedded or a postgres:// URL, got ${JSON.stringify(store)}`);
        }
        options.shadowStore = store;
        break;
      }
      case '--plain-node':
        if (inline !== undefined) throw new UsageError('--plain-node takes no value');
        options.plainNode = true;
        break;
      case '--cpu-prof': {
        const dir = value();
        if (!dir || dir.startsWith('-')) throw new UsageError(`--cpu-prof expects a directory, got ${JSON.stringify(dir)}`);
        options.cpuProf = dir;
        break;
      }
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(flag)}; ${USAGE}`);
    }
  }
  return options;
}

// ---------------------------------------------------------------------------------------------------------
// Tools

function which(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return undefined;
}

/** nginx and wrk are Debian packages; install them (as root) the first time. */
function ensureTools(): { nginx: string; wrk: string } {
  const missing = ['nginx', 'wrk'].filter((c) => !which(c));
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) throw new Error(`${missing.join(' and ')} not found; install them: sudo apt-get install -y nginx wrk`);
    process.stderr.write(`bench/proxy: installing ${missing.join(' and ')} (apt-get install -y nginx wrk) …\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = (): number | null =>
      spawnSync('apt-get', ['install', '-y', 'nginx', 'wrk'], { stdio: ['ignore', 2, 2], env }).status;
    if (install() !== 0) {
      spawnSync('apt-get', ['update'], { stdio: ['ignore', 2, 2], env });
      if (install() !== 0) throw new Error('apt-get install -y nginx wrk failed');
    }
  }
  const nginx = which('nginx');
  const wrk = which('wrk');
  if (!nginx || !wrk) throw new Error('nginx or wrk still not found after apt-get install');
  return { nginx, wrk };
}

function versionOf(command: string, args: string[], pattern: RegExp): string {
  const out = spawnSync(command, args, { encoding: 'utf8' });
  return pattern.exec(`${out.stdout ?? ''}${out.stderr ?? ''}`)?.[1] ?? 'unknown';
}

// ---------------------------------------------------------------------------------------------------------
// /proc

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** utime and stime (+ cutime, cstime when `children`) in clock ticks; zeros for a process that is gone. */
function cpuTimes(pid: number, children = false): { user: number; sys: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return children ? { user: f[11]! + f[13]!, sys: f[12]! + f[14]! } : { user: f[11]!, sys: f[12]! };
  } catch {
    return { user: 0, sys: 0 };
  }
}

function cpuTicks(pid: number, children = false): number {
  const t = cpuTimes(pid, children);
  return t.user + t.sys;
}

interface Counters {
  user: number;
  sys: number;
  /** read-type and write-type system calls (/proc/PID/io syscr, syscw). */
  reads: number;
  writes: number;
}

function counters(pids: number[]): Counters {
  const out: Counters = { user: 0, sys: 0, reads: 0, writes: 0 };
  for (const pid of pids) {
    const t = cpuTimes(pid);
    out.user += t.user;
    out.sys += t.sys;
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      out.reads += Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0);
      out.writes += Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) kb += Number(m[1]);
  }
  return kb / 1024;
}

/**
 * Busy ticks of the whole machine (all cores): `proc` = user+nice+system (what processes are charged with),
 * `irq` = irq+softirq (loopback TCP work the kernel charges to no process). Steal excluded.
 */
function machineTicks(): { proc: number; irq: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = f;
  return { proc: user + nice + system, irq: irq + softirq };
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
      } catch {
        // gone
      }
    }
    return found;
  }
}

/** Processes (other than ours) using more than 5 % of a core over one second: the noise we start with. */
async function busyOthers(ours: Set<number>): Promise<{ machinePct: number; top: string[] }> {
  const sample = (): Map<number, { ticks: number; name: string }> => {
    const out = new Map<number, { ticks: number; name: string }>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        out.set(Number(entry), { ticks: cpuTicks(Number(entry)), name });
      } catch {
        // gone
      }
    }
    return out;
  };
  const busy0 = machineTicks();
  const a = sample();
  await sleep(1000);
  const b = sample();
  const busy1 = machineTicks();
  const machinePct = ((busy1.proc + busy1.irq - busy0.proc - busy0.irq) / CLK_TCK) * 100;
  const top = [...b]
    .filter(([pid]) => !ours.has(pid) && a.has(pid))
    .map(([pid, v]) => ({ pid, name: v.name, pct: ((v.ticks - a.get(pid)!.ticks) / CLK_TCK) * 100 }))
    .filter((p) => p.pct > 5)
    .sort((x, y) => y.pct - x.pct)
    .slice(0, 4)
    .map((p) => `${p.name}[${p.pid}] ${p.pct.toFixed(0)}%`);
  return { machinePct, top };
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * CPU pinning, used only with --cpu-prof: the profiled proxy gets core 0 to itself, everything else (wrk,
 * the upstream, other contenders) the remaining cores. V8's profiler measures wall time, so without it the
 * time the proxy waits for a core — typically right after a socket write woke wrk or the upstream — is
 * booked to `writev` and inflates it several-fold.
 */
interface Pin {
  proxy: string;
  rest: string;
}

type Role = 'proxy' | 'rest';

/** `[command, args]`, under `taskset -c <cores>` when pinning. */
function pinned(pin: Pin | undefined, role: Role, command: string, args: string[]): [string, string[]] {
  return pin ? ['taskset', ['-c', pin[role], command, ...args]] : [command, args];
}

function pinning(): Pin | undefined {
  const n = cpus().length;
  if (n < 2 || !which('taskset')) return undefined;
  return { proxy: '0', rest: n === 2 ? '1' : `1-${n - 1}` };
}

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up (${child.exitCode ?? child.signalCode})`);
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, HOST);
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${HOST}:${port} within 15 s`);
    await sleep(50);
  }
}

interface Proc {
  name: string;
  child: ChildProcess;
  /** PIDs whose CPU and RSS count as this process's (nginx: master + worker). */
  pids: number[];
  port: number;
  lines?: Interface;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

async function stopWithin(child: ChildProcess, ms: number, first: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  first();
  const gone = await Promise.race([exited(child).then(() => true), sleep(ms).then(() => false)]);
  if (!gone) {
    child.kill('SIGKILL');
    await exited(child);
  }
}

/** A worker's `stats` answer (bench/proxy-worker.ts); `shadow` only from strangler-legacy and strangler-shadow. */
interface WorkerStats {
  byTarget?: Record<string, number>;
  byCode?: Record<string, number>;
  memory?: Record<string, number>;
  shadow?: ShadowStats;
  error?: string;
}

interface ShadowStats {
  /** Copies whose two answers were both in, handed to the comparator. */
  exchanges: number;
  /** Comparisons made (strangler_shadow_comparisons_total), and by result: match, mismatch, noise, error. */
  comparisons: number;
  byResult: Record<string, number>;
  /** Copies or comparisons given up (strangler_shadow_dropped_total), by reason. */
  dropped: Record<string, number>;
  /** Comparisons that threw (logged at warn). */
  failed: number;
  lastFailure?: string;
  /** What reached the comparison store (`kind`: no-op unless --shadow-store named a real one). */
  stored: { kind?: string; records: number; batches: number; prunes: number; counted?: number; countWrites?: number };
}

class Bench {
  private readonly dir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  private readonly procs: Proc[] = [];
  private readonly guard: ChildProcess;
  private readonly workerJs = join(__dirname, 'proxy-worker.js');
  private cleaned = false;

  /** A --shadow-store value as the worker takes it: `embedded` becomes a PGlite folder in the temp dir. */
  stateUrl(store: string): string {
    return store === 'embedded' ? `embedded:${join(this.dir, 'pglite')}` : store;
  }

  constructor(
    private readonly tools: { nginx: string; wrk: string },
    private readonly pin: Pin | undefined,
    private readonly launch: NodeLaunch,
  ) {
    this.guard = spawn(process.execPath, [this.workerJs, 'guard', this.dir], { stdio: ['pipe', 'ignore', 'inherit'] });
  }

  get tempDir(): string {
    return this.dir;
  }

  get ourPids(): Set<number> {
    return new Set([process.pid, this.guard.pid ?? 0, ...this.procs.flatMap((p) => p.pids)]);
  }

  private guardPids(pids: number[]): void {
    for (const pid of pids) this.guard.stdin?.write(`${pid}\n`);
  }

  /** A proxy from bench/proxy-worker.ts; resolves once it printed its port. */
  async startWorker(name: string, args: string[], nodeArgs: string[] = [], role: Role = 'rest'): Promise<Proc> {
    const [command, argv] = pinned(this.pin, role, process.execPath, [...this.launch.nodeArgs, ...nodeArgs, this.workerJs, name, ...args]);
    const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'inherit'], env: this.launch.env });
    const lines = createInterface({ input: child.stdout! });
    const proc: Proc = {
      name,
      child,
      pids: [child.pid!],
      port: 0,
      lines,
      stop: () => stopWithin(child, 5000, () => child.stdin?.end()),
    };
    this.procs.push(proc);
    this.guardPids([child.pid!]);
    const first = await Promise.race([
      new Promise<string>((done) => lines.once('line', done)),
      exited(child).then(() => ''),
      sleep(20000).then(() => ''),
    ]);
    if (!first) throw new Error(`${name} worker did not start (exit ${child.exitCode ?? child.signalCode ?? 'timeout'})`);
    proc.port = (JSON.parse(first) as { port: number }).port;
    return proc;
  }

  /** `nginx -c <file> -g 'daemon off;'` with every path inside the temp dir. */
  async startNginx(name: string, config: (dir: string) => string, port: number): Promise<Proc> {
    const dir = join(this.dir, name);
    for (const sub of ['', 'tmp', 'logs']) mkdirSync(join(dir, sub), { recursive: true });
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, config(dir));
    const [command, argv] = pinned(this.pin, 'rest', this.tools.nginx, ['-p', `${dir}/`, '-e', join(dir, 'logs', 'error.log'), '-c', file, '-g', 'daemon off;']);
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
    const proc: Proc = {
      name,
      child,
      pids: [child.pid!],
      port,
      stop: () => stopWithin(child, 3000, () => child.kill('SIGTERM')),
    };
    this.procs.push(proc);
    this.guardPids([child.pid!]);
    try {
      await waitForPort(port, child, name);
    } catch (err) {
      const log = join(dir, 'logs', 'error.log');
      const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      throw new Error(`${(err as Error).message}${tail ? `: ${tail}` : ''}`);
    }
    for (let i = 0; i < 100 && childPids(child.pid!).length === 0; i++) await sleep(20);
    const workers = childPids(child.pid!);
    if (workers.length === 0) throw new Error(`${name}: no nginx worker process found`);
    proc.pids.push(...workers);
    this.guardPids(workers);
    return proc;
  }

  async stats(proc: Proc): Promise<WorkerStats | undefined> {
    if (!proc.lines || !proc.child.stdin) return undefined;
    const line = new Promise<string>((done) => proc.lines!.once('line', done));
    proc.child.stdin.write('stats\n');
    const text = await Promise.race([line, sleep(3000).then(() => '')]);
    return text ? (JSON.parse(text) as WorkerStats) : undefined;
  }

  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    await Promise.all(this.procs.map((p) => p.stop().catch(() => undefined)));
    this.guard.stdin?.end();
    await Promise.race([exited(this.guard), sleep(3000)]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last resort on process exit (synchronous). */
  killAll(): void {
    for (const p of this.procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    this.guard.stdin?.end();
    if (!this.cleaned) rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// nginx configurations

function nginxCommon(dir: string): string {
  return [
    'worker_processes 1;',
    process.getuid?.() === 0 ? 'user root;' : '',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/logs/error.log warn;`,
    'worker_rlimit_nofile 8192;',
    'events { worker_connections 4096; }',
  ].join('\n');
}

function nginxHttpCommon(dir: string): string {
  return [
    'access_log off;',
    'keepalive_requests 1000000;',
    'keepalive_timeout 75s;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/tmp/${t};`),
  ].join('\n  ');
}

/**
 * The order document both upstream ports answer: the same JSON value (JSON.parse gives deep-equal results),
 * serialised differently — member order, `129.90`, `59.50` — as two implementations of one API would. The
 * shadow diff therefore parses and walks both and finds a match. No `'`, `$`, `\` or `;` (nginx `return`).
 */
const LEGACY_BODY =
  '{"id":4711,"status":"shipped","customer":{"id":"c-1029","name":"Ada Lovelace","tier":"gold"},"currency":"EUR",' +
  '"total":129.9,"items":[{"sku":"A-100","qty":2,"price":19.95},{"sku":"B-220","qty":1,"price":59.5},' +
  '{"sku":"C-310","qty":3,"price":10.15}],"createdAt":"2024-05-01T10:00:00Z","tags":["priority","gift"]}';
const NEW_BODY =
  '{"id":4711,"customer":{"tier":"gold","id":"c-1029","name":"Ada Lovelace"},"status":"shipped",' +
  '"items":[{"price":19.95,"qty":2,"sku":"A-100"},{"price":59.50,"qty":1,"sku":"B-220"},{"price":10.15,"qty":3,"sku":"C-310"}],' +
  '"total":129.90,"currency":"EUR","tags":["priority","gift"],"createdAt":"2024-05-01T10:00:00Z"}';

/** The shared upstream: one worker, two ports (legacy, new), each a fixed JSON answer (LEGACY_BODY, NEW_BODY). */
function upstreamConfig(legacyPort: number, newPort: number): (dir: string) => string {
  const server = (port: number, side: string, body: string): string => `
  server {
    listen ${HOST}:${port};
    default_type application/json;
    add_header x-upstream ${side};
    location / { return 200 '${body}'; }
  }`;
  return (dir) => `${nginxCommon(dir)}
http {
  ${nginxHttpCommon(dir)}
${server(legacyPort, 'legacy', LEGACY_BODY)}
${server(newPort, 'new', NEW_BODY)}
}
`;
}

/** The nginx contender: a sticky 50/50 split on x-user-id over two keep-alive upstream pools. */
function nginxProxyConfig(port: number, legacyPort: number, newPort: number): (dir: string) => string {
  const pool = (name: string, upstreamPort: number): string =>
    `  upstream ${name} { server ${HOST}:${upstreamPort}; keepalive 128; keepalive_requests 1000000; }`;
  return (dir) => `${nginxCommon(dir)}
http {
  ${nginxHttpCommon(dir)}
  split_clients "$http_x_user_id" $bench_side {
    50% legacy_side;
    *   new_side;
  }
${pool('legacy_side', legacyPort)}
${pool('new_side', newPort)}
  server {
    listen ${HOST}:${port};
    location / {
      proxy_pass http://$bench_side;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

// ---------------------------------------------------------------------------------------------------------
// wrk

/** 1,000 prebuilt requests cycled per connection thread: `/api/orders/<n>` with varying x-user-id. */
const WRK_SCRIPT = `-- bench/proxy.ts: rotate x-user-id so the sticky split sees many users
local requests = {}
local count = 1000
local i = 0
function init(args)
  for k = 1, count do
    local headers = {}
    headers["Host"] = wrk.headers["Host"]
    headers["x-user-id"] = "user-" .. ((k * 7919) % 100003)
    requests[k] = wrk.format("GET", "/api/orders/" .. (k % 97), headers)
  end
end
function request()
  i = i % count + 1
  return requests[i]
end
`;

/**
 * The same requests, each connection waiting a random time — exponential, mean `ms`, rounded to whole ms as
 * wrk's delay() takes them — before sending the next (wrk times from the send, so the wait is not latency).
 * Random waits keep the connections out of step: arrivals are close to Poisson. A fixed wait would keep
 * them in a burst of `connections` requests every `ms`, and p99 would measure how fast a burst drains.
 */
function pacedScript(ms: number): string {
  return `${WRK_SCRIPT}math.randomseed(4711)
function delay()
  return math.floor(-${ms} * math.log(1 - math.random()) + 0.5)
end
`;
}

/** Mean per-connection wait for a paced total rate, in whole ms, and the rate it gives. */
function pacing(connections: number, rps: number): { delayMs: number; targetRps: number } {
  const delayMs = Math.max(1, Math.round((connections * 1000) / rps));
  return { delayMs, targetRps: (connections * 1000) / delayMs };
}

interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  switch (unit) {
    case 'us':
      return n / 1000;
    case 'ms':
      return n;
    case 's':
      return n * 1000;
    case 'm':
      return n * 60000;
    default:
      return NaN;
  }
}

function parseWrk(out: string): WrkResult {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
  if (!done || !rps || !p50 || !p99) throw new Error(`cannot read wrk output:\n${out}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (socket ? socket.slice(1, 5).reduce((s, n) => s + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return {
    requests: Number(done[1]),
    seconds: toMs(done[2]!, done[3]!) / 1000,
    rps: Number(rps[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    errors,
  };
}

function runWrk(wrk: string, port: number, seconds: number, connections: number, script: string, pin?: Pin): Promise<WrkResult> {
  return new Promise((done, reject) => {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '--latency', '-s', script, `http://${HOST}:${port}/`];
    const [command, argv] = pinned(pin, 'rest', wrk, args);
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}:\n${out}`));
      try {
        done(parseWrk(out));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Measurement

interface Sample extends WrkResult {
  /** Proxy CPU per completed request (null for `direct`). */
  cpuUs: number | null;
  /** Share of that CPU spent in the kernel (stime), %. */
  sysPct: number | null;
  sysUs: number | null;
  /** read- and write-type system calls of the proxy per request. */
  readsPerRequest: number | null;
  writesPerRequest: number | null;
  /** The shared upstream's CPU per request (context: what the answer itself costs). */
  upstreamCpuUs: number;
  /** wrk's own CPU per request. */
  wrkCpuUs: number;
  rssMb: number | null;
  /** CPU of every other process in the window, in % of one core: noise from other work. */
  otherPct: number;
  /** irq + softirq time in the window, % of one core: kernel (loopback TCP) work charged to no process. */
  softirqPct: number;
}

interface Contender {
  name: Name;
  port: number;
  pids: number[];
  proc?: Proc;
}

async function measure(
  tools: { wrk: string },
  c: Contender,
  upstreamPids: number[],
  seconds: number,
  connections: number,
  script: string,
  pin: Pin | undefined,
): Promise<Sample> {
  const t0 = process.hrtime.bigint();
  const busy0 = machineTicks();
  const proxy0 = counters(c.pids);
  const up0 = counters(upstreamPids);
  const self0 = cpuTicks(process.pid, true);
  const result = await runWrk(tools.wrk, c.port, seconds, connections, script, pin);
  await sleep(150); // let the proxy finish the requests in flight when wrk stopped
  const proxy1 = counters(c.pids);
  const up1 = counters(upstreamPids);
  const self1 = cpuTicks(process.pid, true); // includes wrk, reaped by now
  const busy1 = machineTicks();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const n = Math.max(1, result.requests);
  const usPer = (ticks: number): number => ((ticks / CLK_TCK) * 1e6) / n;
  const proxyTicks = proxy1.user + proxy1.sys - proxy0.user - proxy0.sys;
  const upTicks = up1.user + up1.sys - up0.user - up0.sys;
  const accounted = proxyTicks + upTicks + (self1 - self0);
  const direct = c.name === 'direct';
  return {
    ...result,
    cpuUs: direct ? null : usPer(proxyTicks),
    sysPct: direct ? null : ((proxy1.sys - proxy0.sys) / Math.max(1, proxyTicks)) * 100,
    sysUs: direct ? null : usPer(proxy1.sys - proxy0.sys),
    readsPerRequest: direct ? null : (proxy1.reads - proxy0.reads) / n,
    writesPerRequest: direct ? null : (proxy1.writes - proxy0.writes) / n,
    upstreamCpuUs: usPer(upTicks),
    wrkCpuUs: usPer(self1 - self0),
    rssMb: c.name === 'direct' ? null : rssMb(c.pids),
    otherPct: Math.max(0, ((busy1.proc - busy0.proc - accounted) / CLK_TCK / wall) * 100),
    softirqPct: ((busy1.irq - busy0.irq) / CLK_TCK / wall) * 100,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Summary {
  rps: number;
  cpuUsPerRequest: number | null;
  sysPct: number | null;
  /** Kernel CPU µs per request (median of the rounds'). */
  sysUsPerRequest: number | null;
  readsPerRequest: number | null;
  writesPerRequest: number | null;
  p50Ms: number;
  p99Ms: number;
  rssMb: number | null;
  upstreamCpuUsPerRequest: number;
  wrkCpuUsPerRequest: number;
  otherCpuPct: number;
  softirqPct: number;
  errors: number;
  rpsByRound: number[];
  cpuUsByRound: Array<number | null>;
  p99MsByRound: number[];
}

function summarise(samples: Sample[]): Summary {
  const pick = (f: (s: Sample) => number): number => median(samples.map(f));
  const nullable = (f: (s: Sample) => number | null): number | null => (samples.some((s) => f(s) === null) ? null : pick((s) => f(s)!));
  return {
    rps: pick((s) => s.rps),
    cpuUsPerRequest: nullable((s) => s.cpuUs),
    sysPct: nullable((s) => s.sysPct),
    sysUsPerRequest: nullable((s) => s.sysUs),
    readsPerRequest: nullable((s) => s.readsPerRequest),
    writesPerRequest: nullable((s) => s.writesPerRequest),
    p50Ms: pick((s) => s.p50Ms),
    p99Ms: pick((s) => s.p99Ms),
    rssMb: nullable((s) => s.rssMb),
    upstreamCpuUsPerRequest: pick((s) => s.upstreamCpuUs),
    wrkCpuUsPerRequest: pick((s) => s.wrkCpuUs),
    otherCpuPct: pick((s) => s.otherPct),
    softirqPct: pick((s) => s.softirqPct),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    rpsByRound: samples.map((s) => round(s.rps, 0)),
    cpuUsByRound: samples.map((s) => (s.cpuUs === null ? null : round(s.cpuUs, 1))),
    p99MsByRound: samples.map((s) => round(s.p99Ms, 3)),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

// ---------------------------------------------------------------------------------------------------------
// Checks before measuring: every contender answers 200 with the upstream's body, and a split reaches both sides.

async function check(c: Contender): Promise<{ legacy: number; new: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sides = { legacy: 0, new: 0 };
  try {
    for (let k = 1; k <= 100; k++) {
      const { status, body, side } = await new Promise<{ status: number; body: string; side: string }>((done, reject) => {
        const req = get({ host: HOST, port: c.port, path: `/api/orders/${k}`, agent, headers: { 'x-user-id': `check-user-${k}` } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => done({ status: res.statusCode ?? 0, body: text, side: String(res.headers['x-upstream'] ?? '') }));
        });
        req.setTimeout(5000, () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
      const expected = side === 'new' ? NEW_BODY : LEGACY_BODY;
      if (status !== 200 || body !== expected || (side !== 'legacy' && side !== 'new')) {
        throw new Error(`${c.name}: GET /api/orders/${k} answered ${status} x-upstream ${JSON.stringify(side)} ${JSON.stringify(body.slice(0, 200))}`);
      }
      sides[side]++;
    }
  } finally {
    agent.destroy();
  }
  return sides;
}

// ---------------------------------------------------------------------------------------------------------
// Output

const pad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const padEnd = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const fmt = (n: number | null, digits = 1): string => (n === null || !Number.isFinite(n) ? '–' : n.toFixed(digits));

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : round(a / b, 2);
}

type Verdict = { goal: string; value: string; met: boolean | null };

function goals(s: Record<string, Summary>): Record<string, Verdict> {
  const ours = s.strangler;
  const out: Record<string, Verdict> = {};
  const cpu = ours?.cpuUsPerRequest ?? null;
  out.cpuPerRequest = { goal: `≤ ${GOALS.cpuUsPerRequest} µs CPU per request`, value: cpu === null ? 'n/a' : `${fmt(cpu)} µs`, met: cpu === null ? null : cpu <= GOALS.cpuUsPerRequest };
  const vsNginx = ratio(ours?.rps, s.nginx?.rps);
  out.throughputVsNginx = {
    goal: `≥ ${GOALS.rpsVsNginx}× nginx's req/s`,
    value: vsNginx === null ? 'n/a (needs strangler and nginx)' : `${vsNginx}×`,
    met: vsNginx === null ? null : vsNginx >= GOALS.rpsVsNginx,
  };
  const peers = (['http-proxy', 'reply-from'] as const).filter((p) => s[p]);
  const ahead = peers.map((p) => ({ p, rps: ours!.rps > s[p]!.rps, cpu: (ours!.cpuUsPerRequest ?? Infinity) < (s[p]!.cpuUsPerRequest ?? Infinity) }));
  out.aheadOfNodePeers = {
    goal: 'ahead of both Node peers (more req/s and less CPU per request than each)',
    value:
      !ours || peers.length < 2
        ? 'n/a (needs strangler, http-proxy and reply-from)'
        : ahead.map((a) => `${a.p}: req/s ${a.rps ? 'ahead' : 'behind'}, CPU ${a.cpu ? 'ahead' : 'behind'}`).join('; '),
    met: !ours || peers.length < 2 ? null : ahead.every((a) => a.rps && a.cpu),
  };
  const rss = ours?.rssMb ?? null;
  out.rss = { goal: `RSS ≤ ${GOALS.rssMb} MB after load`, value: rss === null ? 'n/a' : `${fmt(rss)} MB`, met: rss === null ? null : rss <= GOALS.rssMb };
  return out;
}

function printTable(names: Name[], s: Record<string, Summary>): void {
  const head = ['contender', 'req/s', 'CPU µs/req', 'p50 ms', 'p99 ms', 'RSS MB', 'req/s÷nginx', 'CPU÷nginx', 'sys %', 'rd+wr/req', 'upstr µs/req', 'wrk µs/req', 'sirq %', 'other %', 'errors'];
  const widths = [Math.max(11, ...names.map((n) => n.length)), 9, 11, 8, 8, 7, 12, 10, 6, 10, 13, 11, 7, 8, 7];
  const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? padEnd(c, widths[i]!) : pad(c, widths[i]!))).join(' ');
  console.log(row(head));
  console.log(row(widths.map((w) => '-'.repeat(w))));
  for (const n of names) {
    const x = s[n]!;
    console.log(
      row([
        n,
        fmt(x.rps, 0),
        fmt(x.cpuUsPerRequest),
        fmt(x.p50Ms, 2),
        fmt(x.p99Ms, 2),
        fmt(x.rssMb),
        fmt(ratio(x.rps, s.nginx?.rps), 2),
        fmt(ratio(x.cpuUsPerRequest, s.nginx?.cpuUsPerRequest), 2),
        fmt(x.sysPct, 0),
        x.readsPerRequest === null ? '–' : `${fmt(x.readsPerRequest, 2)}+${fmt(x.writesPerRequest, 2)}`,
        fmt(x.upstreamCpuUsPerRequest),
        fmt(x.wrkCpuUsPerRequest),
        fmt(x.softirqPct, 0),
        fmt(x.otherCpuPct, 0),
        String(x.errors),
      ]),
    );
  }
}

function allRatios(names: Name[], s: Record<string, Summary>): Record<string, { rps: number | null; cpu: number | null }> {
  const out: Record<string, { rps: number | null; cpu: number | null }> = {};
  for (const a of names) {
    if (a === 'direct') continue;
    for (const b of ANCHORS) {
      if (a === b || !s[b]) continue;
      out[`${a}/${b}`] = { rps: ratio(s[a]!.rps, s[b]!.rps), cpu: ratio(s[a]!.cpuUsPerRequest, s[b]!.cpuUsPerRequest) };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Shadow cost: strangler-shadow against strangler-legacy (same route, stage shadow vs legacy).

interface ShadowCost {
  /** shadow.sample of strangler-shadow; the goal is judged only at 1. */
  sample: number;
  /** The upstreams' shadowPipelining (1: one copy at a time per connection). */
  pipelining: number;
  cpuRatio: number | null;
  cpuRatioGoal: number;
  met: boolean | null;
  cpuUsPerRequest: { off: number | null; shadow: number | null };
  rps: { off: number; shadow: number };
  paced: null | {
    targetRps: number;
    rps: { off: number; shadow: number };
    cpuRatio: number | null;
    cpuUsPerRequest: { off: number | null; shadow: number | null };
    p99Ms: { off: number; shadow: number; deltaMs: number; offByRound: number[]; shadowByRound: number[]; offSpreadMs: number | null; withinNoise: boolean | null };
  };
  p99FullLoadMs: { off: number; shadow: number; deltaMs: number };
  /** Requests the shadow worker served over the whole run (warm-up, checks and paced runs included). */
  requests: number | null;
  worker: ShadowStats | null;
  /** comparisons ÷ requests of the shadow worker: ≈ 1 when every GET was copied and compared. */
  comparedShare: number | null;
  /** strangler-copy, when it ran: the same copies, not compared. */
  copyOnly: CopyOnlyCost | null;
}

/** The copy's own cost (strangler-copy vs strangler-legacy) and the comparison's (strangler-shadow − strangler-copy). */
interface CopyOnlyCost {
  cpuUsPerRequest: number | null;
  cpuRatio: number | null;
  comparisonUsPerRequest: number | null;
  paced: null | { cpuUsPerRequest: number | null; cpuRatio: number | null; comparisonUsPerRequest: number | null };
  /**
   * Where the copy's CPU goes at full load: kernel (the extra send and receive) and user time, off vs copy,
   * and the read/write syscalls per request. `floorRatio` is the shadow ratio that would remain if the copy's
   * own user-space work cost nothing: (off + the copy's extra kernel time + the comparison) ÷ off.
   */
  split: null | {
    kernelUsPerRequest: { off: number; copy: number };
    userUsPerRequest: { off: number; copy: number };
    syscallsPerRequest: { off: number; copy: number } | null;
    floorRatio: number | null;
  };
  /** Exchanges the copy worker finished (both answers in) over the whole run, and requests it served. */
  exchanges: number | null;
  requests: number | null;
}

const signed = (n: number, digits: number): string => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(digits)}`;
const count = (n: number): string => n.toLocaleString('en-US');
const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : round(a - b, 1));
/** CPU µs/request, one decimal (null when it could not be read). */
const cpu = (x: Summary | undefined): number | null => (x?.cpuUsPerRequest == null ? null : round(x.cpuUsPerRequest, 1));

function shadowCost(s: Record<string, Summary>, paced: Record<string, Summary>, stats: Record<string, WorkerStats>, targetRps: number, sample: number, pipelining: number): ShadowCost | undefined {
  const off = s['strangler-legacy'];
  const on = s['strangler-shadow'];
  if (!off || !on) return undefined;
  const cpuRatio = ratio(on.cpuUsPerRequest, off.cpuUsPerRequest);
  const pOff = paced['strangler-legacy'];
  const pOn = paced['strangler-shadow'];
  let pacedCost: ShadowCost['paced'] = null;
  if (pOff && pOn) {
    const spread = pOff.p99MsByRound.length >= 2 ? Math.max(...pOff.p99MsByRound) - Math.min(...pOff.p99MsByRound) : null;
    const delta = pOn.p99Ms - pOff.p99Ms;
    pacedCost = {
      targetRps: round(targetRps, 0),
      rps: { off: round(pOff.rps, 0), shadow: round(pOn.rps, 0) },
      cpuRatio: ratio(pOn.cpuUsPerRequest, pOff.cpuUsPerRequest),
      cpuUsPerRequest: { off: cpu(pOff), shadow: cpu(pOn) },
      p99Ms: {
        off: round(pOff.p99Ms, 3),
        shadow: round(pOn.p99Ms, 3),
        deltaMs: round(delta, 3),
        offByRound: pOff.p99MsByRound,
        shadowByRound: pOn.p99MsByRound,
        offSpreadMs: spread === null ? null : round(spread, 3),
        withinNoise: spread === null ? null : delta <= spread,
      },
    };
  }
  const worker = stats['strangler-shadow']?.shadow ?? null;
  const requests = servedBy(stats['strangler-shadow']);
  return {
    sample,
    pipelining,
    cpuRatio,
    cpuRatioGoal: GOALS.shadowCpuRatio,
    met: cpuRatio === null || sample !== 1 ? null : cpuRatio <= GOALS.shadowCpuRatio,
    cpuUsPerRequest: { off: cpu(off), shadow: cpu(on) },
    rps: { off: round(off.rps, 0), shadow: round(on.rps, 0) },
    paced: pacedCost,
    p99FullLoadMs: { off: round(off.p99Ms, 3), shadow: round(on.p99Ms, 3), deltaMs: round(on.p99Ms - off.p99Ms, 3) },
    requests,
    worker,
    comparedShare: worker && requests ? round(worker.comparisons / requests, 4) : null,
    copyOnly: copyOnlyCost(off, on, s['strangler-copy'], pOff, pOn, paced['strangler-copy'], stats['strangler-copy']),
  };
}

function servedBy(stats: WorkerStats | undefined): number | null {
  return stats?.byTarget ? Object.values(stats.byTarget).reduce((a, b) => a + b, 0) : null;
}

function copyOnlyCost(
  off: Summary,
  on: Summary,
  copy: Summary | undefined,
  pOff: Summary | undefined,
  pOn: Summary | undefined,
  pCopy: Summary | undefined,
  stats: WorkerStats | undefined,
): CopyOnlyCost | null {
  if (!copy) return null;
  const comparison = minus(cpu(on), cpu(copy));
  return {
    cpuUsPerRequest: cpu(copy),
    cpuRatio: ratio(copy.cpuUsPerRequest, off.cpuUsPerRequest),
    comparisonUsPerRequest: comparison,
    split: copySplit(off, copy, comparison),
    paced: pCopy && pOff ? { cpuUsPerRequest: cpu(pCopy), cpuRatio: ratio(pCopy.cpuUsPerRequest, pOff.cpuUsPerRequest), comparisonUsPerRequest: minus(cpu(pOn), cpu(pCopy)) } : null,
    exchanges: stats?.shadow?.exchanges ?? null,
    requests: servedBy(stats),
  };
}

function copySplit(off: Summary, copy: Summary, comparisonUs: number | null): CopyOnlyCost['split'] {
  const [offCpu, copyCpu, offSys, copySys] = [off.cpuUsPerRequest, copy.cpuUsPerRequest, off.sysUsPerRequest, copy.sysUsPerRequest];
  if (offCpu === null || copyCpu === null || offSys === null || copySys === null) return null;
  const syscalls = (x: Summary): number | null => (x.readsPerRequest === null || x.writesPerRequest === null ? null : round(x.readsPerRequest + x.writesPerRequest, 2));
  const [offCalls, copyCalls] = [syscalls(off), syscalls(copy)];
  return {
    kernelUsPerRequest: { off: round(offSys, 1), copy: round(copySys, 1) },
    userUsPerRequest: { off: round(offCpu - offSys, 1), copy: round(copyCpu - copySys, 1) },
    syscallsPerRequest: offCalls === null || copyCalls === null ? null : { off: offCalls, copy: copyCalls },
    floorRatio: comparisonUs === null ? null : ratio(offCpu + (copySys - offSys) + comparisonUs, offCpu),
  };
}

function printShadowCost(c: ShadowCost, offStats: WorkerStats | undefined): void {
  const verdict = (met: boolean | null): string => padEnd(met === null ? 'n/a' : met ? 'MET' : 'NOT MET', 8);
  const pct = (a: number, b: number): string => (b === 0 ? '' : `, ${signed(((a - b) / b) * 100, 0)} %`);
  console.log(
    `\nshadow cost (strangler-shadow vs strangler-legacy: /api/orders in stage shadow vs legacy, legacy serves every request; shadow.sample ${c.sample}${c.sample === 1 ? ', every GET copied' : ''}; shadowPipelining ${c.pipelining}):`,
  );
  const goal = c.sample === 1 ? `goal ≤ ${c.cpuRatioGoal}×` : `the goal of ≤ ${c.cpuRatioGoal}× is stated for sample 1`;
  console.log(
    `  ${c.sample === 1 ? verdict(c.met) : padEnd('info', 8)} shadow CPU ratio: ${fmt(c.cpuRatio, 2)}× (${goal}) — ${fmt(c.cpuUsPerRequest.shadow)} vs ${fmt(c.cpuUsPerRequest.off)} µs/req at full load` +
      (c.paced ? `; paced at ${fmt(c.paced.targetRps, 0)} req/s: ${fmt(c.paced.cpuRatio, 2)}× (${fmt(c.paced.cpuUsPerRequest.shadow)} vs ${fmt(c.paced.cpuUsPerRequest.off)} µs/req)` : ''),
  );
  if (c.paced) {
    const p = c.paced.p99Ms;
    const noise = p.withinNoise === null ? 'n/a (needs ≥ 2 rounds to judge noise)' : p.withinNoise ? 'within noise' : 'NOT within noise';
    console.log(
      `  ${verdict(p.withinNoise)} client p99 shadow vs off, paced ${fmt(c.paced.rps.shadow, 0)}/${fmt(c.paced.rps.off, 0)} req/s: ${fmt(p.shadow, 2)} ms vs ${fmt(p.off, 2)} ms ` +
        `(Δ ${signed(p.deltaMs, 2)} ms${pct(p.shadow, p.off)}; off's round-to-round spread ${fmt(p.offSpreadMs, 2)} ms; by round ${p.shadowByRound.map((x) => fmt(x, 2)).join('/')} vs ${p.offByRound.map((x) => fmt(x, 2)).join('/')}) — ${noise}`,
    );
  }
  const f = c.p99FullLoadMs;
  console.log(
    `  ${padEnd('info', 8)} client p99 shadow vs off, full load: ${fmt(f.shadow, 2)} ms vs ${fmt(f.off, 2)} ms (Δ ${signed(f.deltaMs, 2)} ms${pct(f.shadow, f.off)}) — ` +
      `wrk's closed loop saturates the proxy, so p99 there tracks throughput (req/s ${fmt(ratio(c.rps.shadow, c.rps.off), 2)}×)`,
  );
  const w = c.worker;
  if (!w) {
    console.log('  WARNING: no shadow stats from the strangler-shadow worker: cannot show that comparisons happened');
    return;
  }
  const results = ['match', 'mismatch', 'noise', 'error'].map((k) => `${k} ${count(w.byResult[k] ?? 0)}`).join(', ');
  const extra = Object.entries(w.byResult).filter(([k]) => !['match', 'mismatch', 'noise', 'error'].includes(k));
  const dropped = Object.entries(w.dropped).filter(([, v]) => v > 0);
  console.log(
    `  strangler-shadow compared ${count(w.comparisons)} of ${c.requests === null ? '?' : count(c.requests)} requests (${c.comparedShare === null ? '–' : (c.comparedShare * 100).toFixed(2)} %; whole run incl. warm-up, checks, paced): ` +
      `${results}${extra.map(([k, v]) => `, ${k} ${count(v)}`).join('')}; exchanges handed over ${count(w.exchanges)}; ` +
      `dropped ${dropped.length ? dropped.map(([k, v]) => `${k} ${count(v)}`).join(', ') : 'none'}; comparisons failed ${w.failed}; ` +
      `store (${w.stored.kind ?? 'no-op'}) got ${count(w.stored.records)} records in ${count(w.stored.batches)} batches and counts of ${count(w.stored.counted ?? 0)} comparisons in ${count(w.stored.countWrites ?? 0)} writes (plain matches are counted, not stored)`,
  );
  if (w.lastFailure) console.log(`  last comparison failure: ${w.lastFailure.trim()}`);
  if (offStats?.shadow) console.log(`  strangler-legacy (shadow off) compared ${count(offStats.shadow.comparisons)} (expected 0)`);
  const k = c.copyOnly;
  if (k) {
    console.log(
      `  ${padEnd('info', 8)} the copy alone (strangler-copy: the same copies sent and read, not compared): ${fmt(k.cpuRatio, 2)}× (${fmt(k.cpuUsPerRequest)} µs/req) at full load` +
        (k.paced ? `, ${fmt(k.paced.cpuRatio, 2)}× (${fmt(k.paced.cpuUsPerRequest)} µs/req) paced` : '') +
        `; the comparison adds ${fmt(k.comparisonUsPerRequest)} µs/req at full load${k.paced ? `, ${fmt(k.paced.comparisonUsPerRequest)} paced` : ''}` +
        `; exchanges finished ${k.exchanges === null ? '?' : count(k.exchanges)} of ${k.requests === null ? '?' : count(k.requests)} requests`,
    );
    const x = k.split;
    if (x) {
      const calls = x.syscallsPerRequest ? `, read+write syscalls ${fmt(x.syscallsPerRequest.copy, 2)} vs ${fmt(x.syscallsPerRequest.off, 2)} per request` : '';
      console.log(
        `  ${padEnd('info', 8)} where the copy's CPU goes, full load: kernel ${fmt(x.kernelUsPerRequest.copy)} vs ${fmt(x.kernelUsPerRequest.off)} µs/req, ` +
          `user ${fmt(x.userUsPerRequest.copy)} vs ${fmt(x.userUsPerRequest.off)} µs/req (copy vs off)${calls}; ` +
          `the copy's extra kernel time plus the comparison alone make ${fmt(x.floorRatio, 2)}×, the floor if the copy's own JS cost nothing`,
      );
    }
  }
  const mismatched = w.comparisons - (w.byResult.match ?? 0);
  if (mismatched > 0) console.log(`  WARNING: ${count(mismatched)} comparisons were not "match": the upstreams' answers are meant to be equal JSON`);
  if (c.comparedShare !== null && c.comparedShare < c.sample * 0.99 - 0.01) {
    console.log(`  WARNING: fewer requests were compared than shadow.sample ${c.sample} asks for: the shadow figures understate the cost`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// --cpu-prof: top self-time functions of the strangler worker's .cpuprofile

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Where a sampled frame's self time belongs, for the by-area summary. */
function area(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith('(')) return functionName;
    if (/^(writev|writeLatin1String|writeUtf8String|writeBuffer|readFileUtf8)$/.test(functionName)) return 'native socket/file writes (syscalls, kernel time)';
    return 'native / VM builtins';
  }
  if (url.startsWith('wasm:')) return 'undici (llhttp wasm)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) {
    const mod = url.slice(5);
    if (/_http_|\bhttp\b/.test(mod)) return 'node http';
    if (/streams?\b|stream_base/.test(mod)) return 'node streams';
    if (/\bnet\b/.test(mod)) return 'node net';
    if (/events|task_queues|timers/.test(mod)) return 'node events, ticks, timers';
    return `node ${mod}`;
  }
  const ours = /dist\/([^/]+\/[^/.]+)/.exec(url);
  return ours ? `strangler ${ours[1]}` : url;
}

/** Node names profiles `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`; `names` maps worker PIDs to contenders. */
function summariseProfile(dir: string, names: Map<number, string> = new Map(), top = 15): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) {
    console.log(`no .cpuprofile in ${dir}`);
    return;
  }
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, { us: number; frame: ProfileNode['callFrame'] }>();
    const areas = new Map<string, number>();
    let total = 0;
    let idle = 0;
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(idle)') {
        idle += us;
        return;
      }
      total += us;
      const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`;
      const entry = self.get(key) ?? { us: 0, frame };
      entry.us += us;
      self.set(key, entry);
      const a = area(frame);
      areas.set(a, (areas.get(a) ?? 0) + us);
    });
    const where = (f: ProfileNode['callFrame']): string => {
      if (!f.url) return '';
      const path = f.url.replace(/^file:\/\//, '');
      const short = path.includes('node_modules/') ? path.slice(path.lastIndexOf('node_modules/') + 13) : path.startsWith('/') ? relative(process.cwd(), path) : path;
      return `${short}:${f.lineNumber + 1}`;
    };
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1]);
    const label = names.get(pid);
    console.log(`\nCPU profile${label ? ` of ${label}` : ''} ${join(dir, file)}: ${(total / 1000).toFixed(0)} ms busy (idle ${(idle / 1000).toFixed(0)} ms excluded)`);
    console.log(`top ${top} self time:`);
    [...self.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .forEach((e, i) =>
        console.log(`  ${pad(String(i + 1), 2)}. ${pad(((e.us / total) * 100).toFixed(1), 5)}%  ${pad((e.us / 1000).toFixed(0), 6)} ms  ${padEnd(e.frame.functionName || '(anonymous)', 32)} ${where(e.frame)}`),
      );
    console.log('self time by area:');
    [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 16)
      .forEach(([a, us]) => console.log(`  ${pad(((us / total) * 100).toFixed(1), 5)}%  ${a}`));
  }
}

// ---------------------------------------------------------------------------------------------------------

function contender(name: Name, proc: Proc): Contender {
  return { name, port: proc.port, pids: proc.pids, proc };
}

async function run(bench: Bench, tools: { nginx: string; wrk: string }, options: Options, pin: Pin | undefined, launch: NodeLaunch): Promise<void> {
  const names = options.only;
  const started = Date.now();
  const script = join(bench.tempDir, 'users.lua');
  writeFileSync(script, WRK_SCRIPT);
  // Paced runs: the shadow pair again, at a fixed load well below saturation, for the client p99 comparison.
  const pacedNames = options.paced > 0 ? SHADOW_SET.filter((n) => names.includes(n)) : [];
  const pace = pacing(options.connections, options.paced || 1);
  const pacedLua = join(bench.tempDir, 'paced.lua');
  writeFileSync(pacedLua, pacedScript(pace.delayMs));

  const noise = await busyOthers(bench.ourPids);
  const estimate = names.length * (options.warmup + options.rounds * (options.seconds + 0.4)) + pacedNames.length * options.rounds * (options.seconds + 0.4) + 5;
  console.log(
    `bench/proxy — node ${process.version}, nginx ${versionOf(tools.nginx, ['-v'], /nginx\/([\d.]+)/)}, ` +
      `wrk ${versionOf(tools.wrk, ['-v'], /wrk (\S+)/)}, ${cpus().length} cores; ` +
      `wrk -t1 -c${options.connections} --latency, ${options.seconds} s × ${options.rounds} rounds, warm-up ${options.warmup} s` +
      (pacedNames.length ? `; paced ${pacedNames.join(', ')} at ${fmt(pace.targetRps, 0)} req/s (random wait, mean ${pace.delayMs} ms per connection)` : '') +
      `; ~${Math.round(estimate)} s; Node contenders: ${launch.label}`,
  );
  console.log(
    `machine before start: ${noise.machinePct.toFixed(0)}% of one core busy${noise.top.length ? ` (${noise.top.join(', ')})` : ''}` +
      (noise.machinePct > 30 ? ' — WARNING: other work is running, figures will be noisy' : ''),
  );

  // The shared upstream, then every contender (in parallel: they are independent).
  const [legacyPort, newPort, nginxPort] = [await freePort(), await freePort(), await freePort()];
  const upstream = await bench.startNginx('upstream', upstreamConfig(legacyPort, newPort), legacyPort);
  await waitForPort(newPort, upstream.child, 'upstream');
  const legacyOrigin = `http://${HOST}:${legacyPort}`;
  const newOrigin = `http://${HOST}:${newPort}`;
  const profileArgs = options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProf] : [];
  if (options.cpuProf) mkdirSync(options.cpuProf, { recursive: true });
  const contenders = await Promise.all(
    names.map(async (name): Promise<Contender> => {
      switch (name) {
        case 'direct':
          return { name, port: legacyPort, pids: [] };
        case 'strangler':
        case 'strangler-legacy':
        case 'strangler-copy':
        case 'strangler-shadow':
          // Profiled workers take turns on the pinned proxy core: only one is under load at a time.
          return contender(name, await bench.startWorker(name, [legacyOrigin, newOrigin, String(options.shadowSample), bench.stateUrl(options.shadowStore), String(options.shadowPipelining)], profileArgs, 'proxy'));
        case 'http-proxy':
        case 'reply-from':
          return contender(name, await bench.startWorker(name, [legacyOrigin]));
        case 'nginx':
          return contender(name, await bench.startNginx('nginx', nginxProxyConfig(nginxPort, legacyPort, newPort), nginxPort));
      }
    }),
  );

  const splits: Record<string, { legacy: number; new: number }> = {};
  for (const c of contenders) splits[c.name] = await check(c);
  console.log(
    `checked: every contender answers 200 with its side's order JSON; upstream side of 100 users (legacy/new): ` +
      contenders.map((c) => `${c.name} ${splits[c.name]!.legacy}/${splits[c.name]!.new}`).join(', '),
  );

  if (options.warmup > 0) {
    for (const c of contenders) {
      const w = await runWrk(tools.wrk, c.port, options.warmup, options.connections, script, pin);
      if (w.errors > 0) console.log(`warm-up ${c.name}: ${w.errors} errors`);
    }
  }

  const samples = new Map<Name, Sample[]>(names.map((n) => [n, []]));
  const pacedSamples = new Map<Name, Sample[]>(pacedNames.map((n) => [n, []]));
  const nameWidth = Math.max(...names.map((n) => n.length));
  const report = (label: string, c: Contender, s: Sample): void =>
    console.log(
      `${label} ${padEnd(c.name, nameWidth)} ${pad(fmt(s.rps, 0), 7)} req/s  CPU ${pad(fmt(s.cpuUs), 6)} µs/req  ` +
        `p50 ${fmt(s.p50Ms, 2)} ms  p99 ${fmt(s.p99Ms, 2)} ms  RSS ${fmt(s.rssMb)} MB  sirq ${fmt(s.softirqPct, 0)}%  other ${fmt(s.otherPct, 0)}%` +
        (s.errors ? `  ERRORS ${s.errors}` : ''),
    );
  for (let r = 0; r < options.rounds; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const s = await measure(tools, c, upstream.pids, options.seconds, options.connections, script, pin);
      samples.get(c.name)!.push(s);
      report(`round ${r + 1}/${options.rounds}`, c, s);
      await sleep(250);
    }
    for (const c of order.filter((x) => pacedSamples.has(x.name))) {
      const s = await measure(tools, c, upstream.pids, options.seconds, options.connections, pacedLua, pin);
      pacedSamples.get(c.name)!.push(s);
      report(`paced ${r + 1}/${options.rounds}`, c, s);
      await sleep(250);
    }
  }

  const summary: Record<string, Summary> = {};
  for (const n of names) summary[n] = summarise(samples.get(n)!);
  const pacedSummary: Record<string, Summary> = {};
  for (const [n, list] of pacedSamples) pacedSummary[n] = summarise(list);

  // Node workers report their status counts and process.memoryUsage() after the load.
  const workerStats: Record<string, WorkerStats> = {};
  for (const c of contenders) {
    const stats = c.proc ? await bench.stats(c.proc) : undefined;
    if (stats) workerStats[c.name] = stats;
  }
  const stranglerStats = workerStats.strangler;

  console.log(`\nmedians of ${options.rounds} round(s); CPU = proxy process utime+stime ÷ requests (nginx: master + worker); ` +
    `sys % = kernel share of that CPU; rd+wr/req = read- and write-type syscalls per request (/proc/PID/io syscr/syscw: read/readv and write/writev; ` +
    `recv/send are not counted, so nginx, which reads with recv, shows 0 reads); ` +
    `sirq % = kernel irq+softirq time (loopback TCP, charged to no process) and other % = CPU of every other process ` +
    `on the machine, both in the window, % of one core`);
  printTable(names, summary);
  const ratios = allRatios(names, summary);
  if (summary.strangler) {
    const lines = Object.entries(ratios).filter(([k]) => k.startsWith('strangler/'));
    if (lines.length) console.log(`strangler vs peers: ${lines.map(([k, v]) => `${k.slice(10)} req/s ${fmt(v.rps, 2)}× CPU ${fmt(v.cpu, 2)}×`).join('; ')}`);
    if (stranglerStats?.byTarget) {
      const t = stranglerStats.byTarget;
      const all = Object.values(t).reduce((a, b) => a + b, 0);
      console.log(`strangler split over the whole run: legacy ${t.legacy ?? 0}, new ${t.new ?? 0} (${(((t.new ?? 0) / Math.max(1, all)) * 100).toFixed(1)}% new); codes ${JSON.stringify(stranglerStats.byCode)}`);
    }
  }
  for (const [name, stats] of Object.entries(workerStats)) {
    const m = stats.memory;
    if (!m) continue;
    const spaces = Object.entries(m)
      .filter(([key, mb]) => key.endsWith('_space') && mb > 0)
      .map(([key, mb]) => `${key.slice(0, -'_space'.length)} ${mb}`);
    console.log(
      `${name} memory after load (MB): rss ${m.rss}, heapTotal ${m.heapTotal}, heapUsed ${m.heapUsed}, external ${m.external}, arrayBuffers ${m.arrayBuffers}` +
        (spaces.length ? `; heap spaces: ${spaces.join(', ')}` : ''),
    );
  }
  if (pacedNames.length) {
    console.log(`\npaced at ${fmt(pace.targetRps, 0)} req/s (wrk delay(): exponential wait, mean ${pace.delayMs} ms per connection), medians of ${options.rounds} round(s):`);
    printTable(pacedNames, pacedSummary);
    const short = pacedNames.filter((n) => pacedSummary[n]!.rps < pace.targetRps * 0.85);
    if (short.length) console.log(`WARNING: ${short.join(', ')} reached < 85 % of the paced rate: saturated or latency-bound, so the paced p99 is not a light-load figure`);
  }
  const shadow = shadowCost(summary, pacedSummary, workerStats, pace.targetRps, options.shadowSample, options.shadowPipelining);
  if (shadow) printShadowCost(shadow, workerStats['strangler-legacy']);
  const verdicts = goals(summary);
  if (summary.strangler) {
    console.log('\ngoals (strangler):');
    for (const v of Object.values(verdicts)) console.log(`  ${padEnd(v.met === null ? 'n/a' : v.met ? 'MET' : 'NOT MET', 8)} ${padEnd(v.goal, 72)} ${v.value}`);
  }
  const errored = [...new Set([...names.filter((n) => summary[n]!.errors > 0), ...pacedNames.filter((n) => pacedSummary[n]!.errors > 0)])];
  if (errored.length) console.log(`WARNING: errors (socket or non-2xx) seen for ${errored.join(', ')}: their figures are suspect`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);

  const profiled = new Map(contenders.filter((c) => c.proc && STRANGLERS.includes(c.name)).map((c) => [c.proc!.child.pid!, c.name]));
  await bench.cleanup(); // writes the workers' .cpuprofile on their exit
  if (options.cpuProf) {
    console.log(
      `\nnote: the strangler workers (${[...profiled.values()].join(', ') || 'none'}) ran under --cpu-prof; their CPU figures above include the profiler overhead` +
        (pin ? `, and they were pinned to core ${pin.proxy} with everything else on ${pin.rest} (taskset)` : ' (not pinned: no taskset or < 2 cores, so native frames absorb run-queue waits)'),
    );
    summariseProfile(options.cpuProf, profiled);
  }

  const contendersJson: Record<string, unknown> = {};
  for (const n of names) {
    const x = summary[n]!;
    contendersJson[n] = {
      rps: round(x.rps, 0),
      cpuUsPerRequest: cpu(x),
      sysPct: x.sysPct === null ? null : round(x.sysPct, 0),
      readSyscallsPerRequest: x.readsPerRequest === null ? null : round(x.readsPerRequest, 2),
      writeSyscallsPerRequest: x.writesPerRequest === null ? null : round(x.writesPerRequest, 2),
      p50Ms: round(x.p50Ms, 3),
      p99Ms: round(x.p99Ms, 3),
      rssMb: x.rssMb === null ? null : round(x.rssMb, 1),
      upstreamCpuUsPerRequest: round(x.upstreamCpuUsPerRequest, 1),
      wrkCpuUsPerRequest: round(x.wrkCpuUsPerRequest, 1),
      otherCpuPct: round(x.otherCpuPct, 0),
      softirqPct: round(x.softirqPct, 0),
      errors: x.errors,
      rpsByRound: x.rpsByRound,
      cpuUsByRound: x.cpuUsByRound,
      p99MsByRound: x.p99MsByRound,
      memoryMb: workerStats[n]?.memory ?? null,
      ...(workerStats[n]?.shadow ? { shadow: workerStats[n]!.shadow } : {}),
    };
  }
  const pacedJson: Record<string, unknown> = {};
  for (const n of pacedNames) {
    const x = pacedSummary[n]!;
    pacedJson[n] = {
      rps: round(x.rps, 0),
      cpuUsPerRequest: cpu(x),
      p50Ms: round(x.p50Ms, 3),
      p99Ms: round(x.p99Ms, 3),
      errors: x.errors,
      rpsByRound: x.rpsByRound,
      cpuUsByRound: x.cpuUsByRound,
      p99MsByRound: x.p99MsByRound,
    };
  }
  console.log(
    JSON.stringify({
      bench: 'proxy',
      node: process.version,
      cores: cpus().length,
      options: { seconds: options.seconds, rounds: options.rounds, connections: options.connections, warmup: options.warmup, paced: options.paced, wrkThreads: 1, nodeLaunch: launch.label, shadowSample: options.shadowSample, shadowStore: redactUrl(options.shadowStore), shadowPipelining: options.shadowPipelining },
      upstream: `nginx, 1 worker, 2 ports, return 200 with the same order JSON serialised two ways (${LEGACY_BODY.length} and ${NEW_BODY.length} bytes)`,
      contenders: contendersJson,
      ratios,
      goals: Object.fromEntries(Object.entries(verdicts).map(([k, v]) => [k, { goal: v.goal, value: v.value, met: v.met }])),
      stranglerSplit: stranglerStats?.byTarget ?? null,
      paced: pacedNames.length ? { targetRps: round(pace.targetRps, 0), delayMs: pace.delayMs, contenders: pacedJson } : null,
      shadowCost: shadow ?? null,
      profiled: Boolean(options.cpuProf),
    }),
  );
}

async function main(): Promise<void> {
  let options: Options | 'help';
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench/proxy: ${err.message}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const launch = nodeLaunch(options.plainNode);
  const tools = ensureTools();
  const pin = options.cpuProf ? pinning() : undefined;
  const bench = new Bench(tools, pin, launch);
  process.on('exit', () => bench.killAll());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench/proxy: ${signal}, stopping\n`);
      bench.cleanup().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
    });
  }
  try {
    await run(bench, tools, options, pin, launch);
  } finally {
    await bench.cleanup();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/proxy: ${err.message}\n`);
  process.exit(1);
});
