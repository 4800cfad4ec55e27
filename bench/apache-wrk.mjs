#!/usr/bin/env node
// Benchmark: requests per second of Apache jailed by jailwright against the same Apache unjailed, with
// wrk, in the same run, alternating. See bench/README.md for what is measured. Plain Node ESM.
//
//   sudo node bench/apache-wrk.mjs [--rounds N] [--duration S] [--connections N] [--threads N] [--variant chrootdir] [--json]

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const APACHE_CLI = join(REPO, 'recipes/apache/dist/cli.js');
const TARGET = 0.98;

const USAGE = `usage: node bench/apache-wrk.mjs [options]   (as root)

  --rounds N        alternating rounds (default 7); each runs wrk once against each server, the
                    order swapped every round; the median of the rounds is reported
  --duration S      seconds per wrk run (default 5)
  --connections N   wrk connections (default 16)
  --threads N       wrk threads (default 1: the machine has few cores, and wrk shares them)
  --variant NAME    the apache recipe variant to jail (default: the recipe's top level, the chroot mode)
  --json            print the results as JSON on stdout
  -h, --help        this text

Exit codes: 0 ran (whether or not the target is met), 1 a server or wrk failed, 2 missing prerequisites or bad usage.`;

function parseArguments(argv) {
  const options = { rounds: 7, duration: 5, connections: 16, threads: 1, variant: undefined, json: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const number = (minimum) => {
      const value = Number(argv[++index]);
      if (!Number.isInteger(value) || value < minimum) usageError(`${argument} must be an integer >= ${minimum}`);
      return value;
    };
    switch (argument) {
      case '--rounds': options.rounds = number(1); break;
      case '--duration': options.duration = number(1); break;
      case '--connections': options.connections = number(1); break;
      case '--threads': options.threads = number(1); break;
      case '--variant': options.variant = argv[++index] ?? usageError('--variant needs a name'); break;
      case '--json': options.json = true; break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0);
      default: usageError(`unknown option ${argument}`);
    }
  }
  return options;
}

function usageError(message) {
  process.stderr.write(`apache-wrk: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function fail(message) {
  process.stderr.write(`apache-wrk: ${message}\n`);
  process.exit(1);
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) fail(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

async function waitForHttp(port) {
  for (let tries = 0; tries < 100; tries++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then((response) => response.status === 200, () => false);
    if (ok) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  fail(`nothing answers HTTP 200 on 127.0.0.1:${port}`);
}

/** wrk's "Requests/sec:" line. */
function wrk(port, options) {
  const output = run('wrk', [`-t${options.threads}`, `-c${options.connections}`, `-d${options.duration}s`, `http://127.0.0.1:${port}/`]);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  if (!rate) fail(`no Requests/sec in wrk's output:\n${output}`);
  if (/Non-2xx or 3xx responses/.test(output)) fail(`wrk saw error responses from port ${port}:\n${output}`);
  return Number(rate);
}

function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The unjailed twin: the jail's own apache2.conf with its own port, its document root at the jail's host
 * path, and its pid file and logs in a directory of its own (not the jailed server's files). Same binary,
 * modules, mime.types, MPM settings and page; ChrootDir (chrootdir variant) removed.
 */
function unjailedConfig(root, jailPort, port, own) {
  const config = readFileSync(join(root, 'etc/apache2/apache2.conf'), 'utf8');
  const rewritten = config
    .replace(`Listen 127.0.0.1:${jailPort}`, `Listen 127.0.0.1:${port}`)
    .replace(/^ChrootDir .*$/m, '')
    .replace(/^DocumentRoot\s+\//m, `DocumentRoot ${root}/`)
    .replace(/^(PidFile|ErrorLog|CustomLog)\s+\S*\/([^/\s]+)/gm, (_, key, file) => `${key} ${own}/${file}`);
  if (!rewritten.includes(`Listen 127.0.0.1:${port}`) || !rewritten.includes(`DocumentRoot ${root}/`)) fail('could not make the unjailed config');
  return rewritten;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  if (process.getuid?.() !== 0) usageError('run it as root: jailwright builds and starts the jailed Apache');
  const missing = [['wrk', '/usr/bin/wrk'], ['apache2', '/usr/sbin/apache2']].filter(([, path]) => !existsSync(path)).map(([name]) => name);
  if (missing.length > 0) usageError(`missing Debian packages: apt-get install -y ${missing.join(' ')}`);
  if (!existsSync(APACHE_CLI)) usageError('build first: npx turbo run build');
  const { freeTcpPort } = await import('@jailwright/core/testing/helpers');

  const parent = mkdtempSync('/var/lib/jailwright-apache-wrk-');
  chmodSync(parent, 0o755);
  // A registry of its own: the bench's jail does not show up in (or linger in) the host's jailwright list.
  process.env.JAILWRIGHT_REGISTRY = join(parent, 'registry');
  process.env.JAILWRIGHT_BUILD_CACHE = join(parent, 'build-cache');
  const root = join(parent, 'apache');
  const jailPort = await freeTcpPort();
  const plainPort = await freeTcpPort();
  let unjailed;
  // The chrootdir variant's build creates its own account; remove it afterwards only if it was not there before.
  const hasAccount = () => spawnSync('getent', ['passwd', 'jw-apache']).status === 0;
  const accountExisted = hasAccount();
  const cleanup = () => {
    if (unjailed && unjailed.exitCode === null) unjailed.kill('SIGTERM');
    spawnSync(process.execPath, [APACHE_CLI, 'stop', '--root', root], { encoding: 'utf8' });
    rmSync(parent, { recursive: true, force: true });
    if (!accountExisted && hasAccount()) {
      spawnSync('userdel', ['jw-apache']);
      spawnSync('groupdel', ['jw-apache']);
    }
  };
  process.on('exit', cleanup);
  try {
    const variant = options.variant ? ['--variant', options.variant] : [];
    log(`building and starting the jailed Apache on 127.0.0.1:${jailPort} (${options.variant ?? 'chroot'} mode)...`);
    run(process.execPath, [APACHE_CLI, 'build', '--root', root, '--option', `port=${jailPort}`, ...variant]);
    run(process.execPath, [APACHE_CLI, 'start', '--root', root]);
    await waitForHttp(jailPort);

    const own = join(parent, 'unjailed');
    mkdirSync(own, { mode: 0o755 });
    const config = join(own, 'apache2.conf');
    writeFileSync(config, unjailedConfig(root, jailPort, plainPort, own));
    // chroot mode: all of it as www-data, as in the jail. chrootdir: a root parent switching its workers, as in the jail.
    const chrootdir = options.variant === 'chrootdir';
    if (!chrootdir) run('/usr/bin/chown', ['www-data:www-data', own]);
    const asServiceUser = chrootdir ? [] : ['/usr/bin/setpriv', '--reuid=www-data', '--regid=www-data', '--clear-groups'];
    const [command, ...args] = [...asServiceUser, '/usr/sbin/apache2', '-f', config, ...(chrootdir ? ['-C', `Define JAIL ${root}`] : []), '-DFOREGROUND'];
    log(`starting the same Apache unjailed on 127.0.0.1:${plainPort} (no chroot, no namespaces)...`);
    // detached: a session of its own, as the launcher's setsid gives the jailed one (with autogroup
    // scheduling, a session is a CPU-share group: anything else would weigh the comparison).
    unjailed = spawn(command, args, { stdio: 'ignore', detached: true });
    await waitForHttp(plainPort);

    const jailedBody = await (await fetch(`http://127.0.0.1:${jailPort}/`)).text();
    const plainBody = await (await fetch(`http://127.0.0.1:${plainPort}/`)).text();
    if (jailedBody !== plainBody) fail('the two servers answer different pages');

    wrk(jailPort, { ...options, duration: 1 });
    wrk(plainPort, { ...options, duration: 1 });
    const rounds = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? ['jailed', 'unjailed'] : ['unjailed', 'jailed'];
      const result = {};
      for (const which of order) result[which] = wrk(which === 'jailed' ? jailPort : plainPort, options);
      result.ratio = result.jailed / result.unjailed;
      rounds.push(result);
      log(`round ${round + 1}/${options.rounds}: jailed ${result.jailed.toFixed(0)} req/s, unjailed ${result.unjailed.toFixed(0)} req/s, ratio ${result.ratio.toFixed(3)}`);
    }
    const summary = {
      variant: options.variant ?? 'chroot',
      wrk: { threads: options.threads, connections: options.connections, durationSeconds: options.duration },
      rounds,
      median: {
        jailed: median(rounds.map((round) => round.jailed)),
        unjailed: median(rounds.map((round) => round.unjailed)),
        ratio: median(rounds.map((round) => round.ratio)),
      },
      target: TARGET,
    };
    summary.met = summary.median.ratio >= TARGET;
    if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      process.stdout.write(
        `Apache ${summary.variant} mode, wrk -t${options.threads} -c${options.connections} -d${options.duration}s, median of ${options.rounds} alternating rounds:\n` +
          `  jailed    ${summary.median.jailed.toFixed(0)} req/s\n` +
          `  unjailed  ${summary.median.unjailed.toFixed(0)} req/s\n` +
          `  ratio     ${summary.median.ratio.toFixed(3)} (median of the per-round ratios; target >= ${TARGET}: ${summary.met ? 'met' : 'not met'})\n`,
      );
    }
  } finally {
    // Let the unjailed server's workers exit before its account may be removed.
    if (unjailed && unjailed.exitCode === null) {
      const exited = new Promise((done) => unjailed.once('exit', done));
      unjailed.kill('SIGTERM');
      await exited;
    }
    cleanup();
    process.removeListener('exit', cleanup);
  }
}

await main();
