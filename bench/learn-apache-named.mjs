#!/usr/bin/env node
// Benchmark: `jailwright learn` on Debian's Apache and named, from recipes that name only the program and
// its config (packages/core/test/fixtures/learn/*.yaml, the same ones the tests learn). Reports runs and
// seconds per service, against the makejail figures recorded in issue 4 (measured on Debian 12 by the issue's
// author, not re-measured here: makejail is not in this machine's reachable Debian archive; bench/README.md).
// Plain Node ESM; nothing but the built @jailwright/core.
//
//   sudo node bench/learn-apache-named.mjs [--rounds N] [--json] [--parent DIR] [--only apache|named]

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'packages/core/dist/cli/main.js');
const FIXTURES = join(REPO, 'packages/core/test/fixtures/learn');
/** Issue 4: makejail 0.0.5 tuned by hand on Debian 12 (its patterns fixed for openat/newfstatat/statx and strace 6). */
const MAKEJAIL = { apache: { runs: 30, seconds: 95 }, named: { runs: 7, seconds: 31 } };
const TARGET = { runs: 4, timeRatio: 0.1 };

const USAGE = `usage: node bench/learn-apache-named.mjs [options]   (as root)

  --rounds N      learn each service N times from scratch (default 3); the median is reported
  --only NAME     apache or named
  --json          print the results as JSON on stdout (progress goes to stderr)
  --parent DIR    where the temporary directory is made (default /srv): root-owned, not group/other-writable
  -h, --help      this text

Exit codes: 0 ran (whether or not the targets are met), 1 learn failed to converge, 2 missing prerequisites or bad usage.`;

function usageError(message) {
  process.stderr.write(`bench: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseArguments(argv) {
  const options = { rounds: 3, json: false, parent: '/srv', only: undefined };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const value = () => argv[++index] ?? usageError(`${argument} needs a value`);
    switch (argument) {
      case '--rounds': options.rounds = Number(value()); if (!Number.isInteger(options.rounds) || options.rounds < 1) usageError('--rounds must be an integer >= 1'); break;
      case '--only': options.only = value(); if (!(options.only in MAKEJAIL)) usageError('--only must be apache or named'); break;
      case '--json': options.json = true; break;
      case '--parent': options.parent = resolve(value()); break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: usageError(`unknown argument ${argument}`);
    }
  }
  return options;
}

function prerequisites(services) {
  const problems = [];
  if (process.getuid?.() !== 0) problems.push('learn builds jails and runs services in them: run as root');
  if (!existsSync(CLI)) problems.push(`@jailwright/core is not built (${CLI} missing): npx turbo run build`);
  const packages = { apache: ['/usr/sbin/apache2', 'apache2'], named: ['/usr/sbin/named', 'bind9'] };
  const missing = services.filter((name) => !existsSync(packages[name][0])).map((name) => packages[name][1]);
  if (!existsSync('/usr/bin/strace')) missing.push('strace');
  if (missing.length > 0) problems.push(`missing: apt-get install -y ${missing.join(' ')}`);
  if (problems.length > 0) {
    process.stderr.write(`bench: cannot run:\n${problems.map((problem) => `- ${problem}`).join('\n')}\n`);
    process.exit(2);
  }
}

/** The fixture recipe with its placeholders filled, and Apache's config copied to a free port. */
async function prepare(service, directory) {
  // Imported here, once prerequisites() found core built.
  const { freeTcpPort } = await import('@jailwright/core/testing/helpers');
  const port = await freeTcpPort();
  const config = join(directory, 'apache2');
  if (service === 'apache') {
    cpSync('/etc/apache2', config, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(config, 'ports.conf'), `Listen 127.0.0.1:${port}\n`);
    const site = join(config, 'sites-available/000-default.conf');
    writeFileSync(site, readFileSync(site, 'utf8').replace('<VirtualHost *:80>', `<VirtualHost 127.0.0.1:${port}>`));
  }
  const text = readFileSync(join(FIXTURES, `${service}.yaml`), 'utf8').replace(/@([A-Z]+)@/g, (whole, key) => String({ CONFIG: config, PORT: port }[key] ?? whole));
  const recipe = join(directory, `${service}.yaml`);
  writeFileSync(recipe, text);
  return recipe;
}

async function learnOnce(service, parent) {
  const directory = mkdtempSync(join(parent, `jailwright-bench-learn-${service}-`));
  chmodSync(directory, 0o755);
  try {
    const recipe = await prepare(service, directory);
    const started = process.hrtime.bigint();
    // A registry of its own: the learned jails do not show up in (or linger in) the host's jailwright list.
    const env = { ...process.env, JAILWRIGHT_REGISTRY: join(directory, 'registry'), JAILWRIGHT_BUILD_CACHE: join(directory, 'build-cache') };
    const result = spawnSync(process.execPath, [CLI, 'learn', recipe, '--root', join(directory, 'jail'), '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    let report;
    try {
      report = JSON.parse(result.stdout);
    } catch {
      throw new Error(`learn ${service} printed no JSON (exit ${result.status}):\n${result.stderr}${result.stdout}`);
    }
    if (!report.converged) throw new Error(`learn ${service} did not converge (exit ${result.status}):\n${report.problem}`);
    return { runs: report.iterations.length, learnMs: report.durationMs, wallMs, runMs: report.iterations.map((iteration) => iteration.durationMs), additions: report.additions.length };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const services = options.only ? [options.only] : ['apache', 'named'];
  prerequisites(services);
  const results = {};
  for (const service of services) {
    const rounds = [];
    for (let round = 1; round <= options.rounds; round++) {
      try {
        rounds.push(await learnOnce(service, options.parent));
      } catch (error) {
        process.stderr.write(`bench: ${error.message}\n`);
        process.exit(1);
      }
      const last = rounds.at(-1);
      process.stderr.write(`${service} round ${round}: ${last.runs} runs, ${(last.wallMs / 1000).toFixed(1)} s wall (runs: ${last.runMs.map((ms) => (ms / 1000).toFixed(1)).join(' + ')} s)\n`);
    }
    const wallSeconds = median(rounds.map((round) => round.wallMs)) / 1000;
    results[service] = {
      rounds,
      runs: Math.max(...rounds.map((round) => round.runs)),
      medianWallSeconds: wallSeconds,
      makejail: MAKEJAIL[service],
      timeRatio: wallSeconds / MAKEJAIL[service].seconds,
    };
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, target: TARGET, makejailSource: 'issue 4 (Debian 12), not re-measured', results }, null, 2)}\n`);
    return;
  }
  const rows = [['service', 'learn runs (max)', 'learn wall (median)', 'makejail (issue 4)', 'time ratio']];
  for (const [service, result] of Object.entries(results)) {
    rows.push([service, String(result.runs), `${result.medianWallSeconds.toFixed(1)} s`, `${result.makejail.runs} runs, ${result.makejail.seconds} s`, `${result.timeRatio.toFixed(3)}×`]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  process.stdout.write(`${rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ')).join('\n')}\n`);
  process.stdout.write(`target (issue 4, Apache): <= ${TARGET.runs} runs and <= ${TARGET.timeRatio}× makejail's time; makejail's figures are the issue's, not re-measured here.\n`);
}

await main();
