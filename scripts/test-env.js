#!/usr/bin/env node
'use strict';
/**
 * Runs a command (normally jest) against a throwaway PostgreSQL cluster.
 *
 *   node scripts/test-env.js -- jest [jest args...]
 *
 * 1. Finds Debian's PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin (highest version);
 *    installs the `postgresql` package with apt-get when they are missing and we are root.
 *    Debian's own default cluster (15/main on port 5432) is never used.
 * 2. Creates a cluster in a fresh temp dir and starts it on a free loopback port. Layout of the temp dir:
 *      <tmp>/data/          the cluster (STRANGLER_TEST_PG_DATA)
 *      <tmp>/postgres.log   the server log
 *      <tmp>/.s.PGSQL.<port> the unix socket
 * 3. Runs the command with STRANGLER_TEST_PG_URL, STRANGLER_TEST_PG_BIN, STRANGLER_TEST_PG_DATA and
 *    STRANGLER_TEST_PG_RUNAS in its environment, then stops the cluster and removes the temp dir
 *    (also on SIGINT/SIGTERM/SIGHUP and when the command crashes). Exits with the command's exit code.
 *
 * If STRANGLER_TEST_PG_URL is already set, none of that happens: the command just runs against that server.
 *
 * Before the command runs, Debian's Chromium (/usr/bin/chromium, which the HTML report test opens its page in)
 * is installed with apt-get when it is missing and we are root; when we are not, a one-line warning is printed
 * and that test fails with a clear error (test/helpers/chromium.ts). A failed install is only a warning too:
 * the other tests still run.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..');
const PG_ROOT = '/usr/lib/postgresql';
const PG_TOOLS = ['initdb', 'pg_ctl', 'postgres'];
const PG_USER = 'postgres'; // the OS user the server runs as when we are root, and the database superuser
const HOST = '127.0.0.1';
const START_ATTEMPTS = 4; // the first try plus 3 retries, each on another port
const LOG_TAIL_LINES = 30;
const CHROMIUM = '/usr/bin/chromium'; // Debian's chromium package; test/helpers/chromium.ts expects it there

class SetupError extends Error {}

function log(message) {
  process.stderr.write(`test-env: ${message}\n`);
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs a command to completion, capturing its output. Throws only if it could not be started. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (result.error) throw result.error;
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Finding or installing PostgreSQL

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The highest installed version that has all server binaries, as { version, binDir }, or null. */
function findPostgresBinaries() {
  let entries;
  try {
    entries = fs.readdirSync(PG_ROOT);
  } catch {
    return null;
  }
  const versions = entries
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .filter((name) => PG_TOOLS.every((tool) => isExecutable(path.join(PG_ROOT, name, 'bin', tool))))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) return null;
  return { version: versions[0], binDir: path.join(PG_ROOT, versions[0], 'bin') };
}

/** Runs apt-get with its output on our stderr (stdout belongs to the test command). True on success. */
function aptGet(args) {
  const result = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', ...args], {
    stdio: ['ignore', process.stderr, process.stderr],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) throw new SetupError(`could not run apt-get: ${result.error.message}`);
  return result.status === 0;
}

/** apt-get install -y <package>; runs apt-get update and tries once more only if the first try fails. */
function aptInstall(packageName) {
  if (aptGet(['install', '-y', packageName])) return true;
  log('apt-get install failed: running apt-get update and trying again');
  return aptGet(['update']) && aptGet(['install', '-y', packageName]);
}

function installPostgres() {
  if (!isRoot()) {
    throw new SetupError(
      `PostgreSQL server binaries not found under ${PG_ROOT}/<version>/bin: install Debian's postgresql ` +
        'package (sudo apt-get install -y postgresql), or set STRANGLER_TEST_PG_URL to a server of your own',
    );
  }
  log(`PostgreSQL not found under ${PG_ROOT}: installing Debian's postgresql package`);
  if (!aptInstall('postgresql')) {
    throw new SetupError('apt-get install -y postgresql failed (see its output above)');
  }
}

function findOrInstallPostgres() {
  const found = findPostgresBinaries();
  if (found) return found;
  installPostgres();
  const installed = findPostgresBinaries();
  if (!installed) throw new SetupError(`apt-get installed postgresql but no server binaries are in ${PG_ROOT}`);
  return installed;
}

// ---------------------------------------------------------------------------------------------------------
// Chromium (for the HTML report test)

/** Installs Debian's chromium package. Never throws for a failed install: it warns, and the test says why. */
function installChromium() {
  log(`${CHROMIUM} not found: installing Debian's chromium package`);
  const startedAt = Date.now();
  const installed = aptInstall('chromium') && isExecutable(CHROMIUM);
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (installed) log(`Chromium installed in ${seconds}s`);
  else log(`warning: could not install chromium (see the apt-get output above): the HTML report test will fail`);
}

/** Makes sure /usr/bin/chromium exists when we can; warns in one line when we cannot. */
function ensureChromium() {
  if (isExecutable(CHROMIUM)) return;
  if (!isRoot()) {
    log(`warning: ${CHROMIUM} not found and not root: the HTML report test will fail (sudo apt-get install -y chromium)`);
    return;
  }
  installChromium();
}

// ---------------------------------------------------------------------------------------------------------
// The cluster

/** uid and gid of the postgres OS user (Node has no getpwnam). */
function postgresUserIds() {
  const uid = run('id', ['-u', PG_USER]);
  const gid = run('id', ['-g', PG_USER]);
  if (uid.status !== 0 || gid.status !== 0) {
    throw new SetupError(`running as root but there is no "${PG_USER}" OS user to run PostgreSQL as`);
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Creates the temp dir; when root, hands it to the postgres user (PostgreSQL refuses to run as root). */
function createClusterDir(runAs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-pg-'));
  if (runAs) {
    const { uid, gid } = postgresUserIds();
    fs.chownSync(dir, uid, gid);
  }
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    logFile: path.join(dir, 'postgres.log'),
    runAs,
  };
}

/** Runs one of the PostgreSQL tools, through runuser when the cluster belongs to another user. */
function runPgTool(cluster, binDir, tool, args) {
  const toolPath = path.join(binDir, tool);
  const [command, commandArgs] = cluster.runAs
    ? ['runuser', ['-u', cluster.runAs, '--', toolPath, ...args]]
    : [toolPath, args];
  // cwd: the postgres user may not be allowed into ours.
  return run(command, commandArgs, { cwd: cluster.dir });
}

function initCluster(cluster, binDir) {
  const result = runPgTool(cluster, binDir, 'initdb', [
    '-D', cluster.dataDir,
    '--auth=trust', `--username=${PG_USER}`, '-E', 'UTF8', '--no-locale',
    '--no-sync', '--no-instructions',
  ]);
  if (result.status !== 0) throw new SetupError(`initdb failed: ${(result.stderr || result.stdout).trim()}`);
}

/** Server settings; test/helpers/postgres.ts passes the same ones when it restarts the server. */
function serverOptions(port, socketDir) {
  return [
    `-c listen_addresses=${HOST}`,
    `-c port=${port}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    `-c unix_socket_directories=${socketDir}`,
  ].join(' ');
}

/** Asks the kernel for a free loopback port. Another process may take it before we do: callers retry. */
function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** pg_ctl start -w: returns once the server accepts connections. True on success. */
function startServer(cluster, binDir, port) {
  const result = runPgTool(cluster, binDir, 'pg_ctl', [
    'start', '-w', '-D', cluster.dataDir, '-l', cluster.logFile, '-o', serverOptions(port, cluster.dir),
  ]);
  return result.status === 0;
}

function logTail(logFile) {
  try {
    return fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  } catch {
    return '(no server log)';
  }
}

async function startOnFreePort(cluster, binDir) {
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await findFreePort();
    if (startServer(cluster, binDir, port)) return port;
    stopServer(cluster, binDir); // in case pg_ctl gave up waiting on a server that is still starting
    if (attempt < START_ATTEMPTS) log(`PostgreSQL did not start on port ${port}: retrying on another port`);
  }
  process.stderr.write(`${logTail(cluster.logFile)}\n`);
  throw new SetupError(`PostgreSQL did not start after ${START_ATTEMPTS} attempts (server log above)`);
}

/** Stops the server if it runs. Never throws: this is used while cleaning up. */
function stopServer(cluster, binDir) {
  if (!fs.existsSync(path.join(cluster.dataDir, 'postmaster.pid'))) return; // not running (or never started)
  try {
    const result = runPgTool(cluster, binDir, 'pg_ctl', ['stop', '-m', 'immediate', '-D', cluster.dataDir]);
    if (result.status !== 0) log(`could not stop PostgreSQL: ${result.stderr.trim()}`);
  } catch (error) {
    log(`could not stop PostgreSQL: ${error.message}`);
  }
}

function removeClusterDir(cluster) {
  try {
    fs.rmSync(cluster.dir, { recursive: true, force: true });
  } catch (error) {
    log(`could not remove ${cluster.dir}: ${error.message}`);
  }
}

/**
 * Creates and starts the cluster. Sets state.cleanup as soon as there is something to clean up, so a
 * signal or a failure half-way still removes it.
 */
async function startCluster(state) {
  const { version, binDir } = findOrInstallPostgres();
  const startedAt = Date.now();
  const cluster = createClusterDir(isRoot() ? PG_USER : '');
  state.cleanup = () => {
    stopServer(cluster, binDir);
    removeClusterDir(cluster);
  };
  initCluster(cluster, binDir);
  const port = await startOnFreePort(cluster, binDir);
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  log(`PostgreSQL ${version} on ${HOST}:${port} (started in ${seconds}s)`);
  return {
    STRANGLER_TEST_PG_URL: `postgres://${PG_USER}@${HOST}:${port}/postgres`,
    STRANGLER_TEST_PG_BIN: binDir,
    STRANGLER_TEST_PG_DATA: cluster.dataDir,
    STRANGLER_TEST_PG_RUNAS: cluster.runAs,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The command

/** The command after `--`; a command found in node_modules/.bin (jest) runs from there. */
function parseCommand(argv) {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  if (args.length === 0) throw new SetupError('usage: node scripts/test-env.js -- <command> [args...]');
  const local = path.join(REPO_ROOT, 'node_modules', '.bin', args[0]);
  return [isExecutable(local) ? local : args[0], ...args.slice(1)];
}

/**
 * PGlite loads its WASM through a dynamic import, which jest's module sandbox only allows with
 * --experimental-vm-modules; the embedded state store is tested in-process, so jest gets the flag.
 */
function withVmModules(env) {
  const flags = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];
  const current = env.NODE_OPTIONS ? env.NODE_OPTIONS.split(/\s+/) : [];
  const missing = flags.filter((flag) => !current.includes(flag));
  return { ...env, NODE_OPTIONS: [...current, ...missing].join(' ').trim() };
}

/** Runs the command with inherited stdio; resolves with the exit code to pass on. */
function runCommand(state, [command, ...args], env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    state.child = child;
    child.once('error', (error) => {
      state.child = null;
      log(`could not run ${command}: ${error.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => {
      state.child = null;
      if (signal) log(`${path.basename(command)} was killed by ${signal}`);
      resolve(code ?? 128 + (os.constants.signals[signal] || 0));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Cleaning up, whatever happens

function cleanUp(state) {
  const cleanup = state.cleanup;
  state.cleanup = null;
  if (cleanup) cleanup();
}

/**
 * A signal while the command runs goes on to it (a second one kills it) and its exit ends us as usual;
 * a signal during set-up cleans up and exits at once.
 */
function handleSignals(state) {
  let received = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      received++;
      if (state.child) {
        state.child.kill(received > 1 ? 'SIGKILL' : signal);
        return;
      }
      cleanUp(state);
      process.exit(128 + os.constants.signals[signal]);
    });
  }
  process.on('exit', () => cleanUp(state)); // last resort; cleanUp runs at most once
}

async function main() {
  const state = { child: null, cleanup: null };
  handleSignals(state);
  try {
    const command = parseCommand(process.argv.slice(2));
    ensureChromium();
    let env = process.env;
    if (process.env.STRANGLER_TEST_PG_URL) {
      log('using the PostgreSQL server in STRANGLER_TEST_PG_URL');
    } else {
      env = { ...process.env, ...(await startCluster(state)) };
    }
    const exitCode = await runCommand(state, command, withVmModules(env));
    cleanUp(state);
    process.exit(exitCode);
  } catch (error) {
    cleanUp(state);
    log(error instanceof SetupError ? error.message : error.stack);
    process.exit(1);
  }
}

main();
