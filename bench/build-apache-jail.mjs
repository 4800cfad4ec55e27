#!/usr/bin/env node
// Benchmark: build a jail for Apache (/usr/sbin/apache2 + every module in /usr/lib/apache2/modules)
// with jailwright, jailkit's jk_cp and pax-utils' lddtree, side by side, on the same file list.
// See bench/README.md for what is measured and how. Plain Node ESM, no dependencies.
//
//   sudo npm run bench -- [--runs N] [--warmup N] [--json] [--with-base] [--link hard] [--parent DIR]

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { APACHE_BINARY, APACHE_MODULES, apacheFiles, recipeYaml } from './apache-workload.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORE_DIST = join(REPO, 'packages/core/dist');
const CLI = join(CORE_DIST, 'cli/main.js');
const ENGINE = join(CORE_DIST, 'index.js');
const TARGET_COLD_VS_JKCP = 0.2;
const TARGET_NOOP_VS_COLD = 0.05;

// ---------------------------------------------------------------------------------------------
// Arguments

const USAGE = `usage: node bench/build-apache-jail.mjs [options]   (as root; npm run bench -- [options])

  --runs N        timed repetitions per measurement (default 5); the median is reported
  --warmup N      untimed rounds of every tool first, to warm the page cache (default 1)
  --json          print the results as JSON on stdout (progress still goes to stderr)
  --with-base     also time a jailwright cold build of the same recipe plus "include: [base]",
                  reported on its own row and left out of the ratios
  --link hard     hard-link instead of copy: jailwright "--link hard" and "jk_cp -k"
                  (lddtree has no such mode and always copies)
  --parent DIR    where the temporary directory is made (default /srv); DIR and its parents
                  must be root-owned and not group/other-writable (jailwright refuses otherwise)
  -h, --help      this text

Exit codes: 0 ran (whether or not the targets are met), 1 a tool failed or a jail came out wrong,
2 missing prerequisites or bad usage.`;

function parseArguments(argv) {
  const options = { runs: 5, warmup: 1, json: false, withBase: false, link: 'copy', parent: '/srv' };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const value = () => {
      const next = argv[++index];
      if (next === undefined) usageError(`${argument} needs a value`);
      return next;
    };
    const count = (name, minimum) => {
      const number = Number(value());
      if (!Number.isInteger(number) || number < minimum) usageError(`${name} must be an integer >= ${minimum}`);
      return number;
    };
    switch (argument) {
      case '--runs': options.runs = count('--runs', 1); break;
      case '--warmup': options.warmup = count('--warmup', 0); break;
      case '--json': options.json = true; break;
      case '--with-base': options.withBase = true; break;
      case '--link': {
        const mode = value();
        if (mode !== 'copy' && mode !== 'hard') usageError('--link must be "copy" or "hard"');
        options.link = mode;
        break;
      }
      case '--parent': options.parent = resolve(value()); break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: usageError(`unknown argument ${argument}`);
    }
  }
  return options;
}

function usageError(message) {
  process.stderr.write(`bench: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Prerequisites

function run(command, args, extra = {}) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], ...extra });
}

function which(name, extraDirectories = []) {
  const directories = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...extraDirectories];
  for (const directory of directories) {
    const candidate = join(directory, name);
    try {
      if (lstatSync(candidate) && run('test', ['-x', candidate]).status === 0) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A python3 that can import elftools (lddtree needs it; a pyenv/venv python3 first in PATH often cannot). */
function pythonWithElftools() {
  const candidates = [which('python3'), '/usr/bin/python3'].filter(Boolean);
  for (const python of [...new Set(candidates)]) {
    if (run(python, ['-c', 'import elftools']).status === 0) return python;
  }
  return undefined;
}

function debVersion(packageName) {
  const result = run('dpkg-query', ['-W', '-f', '${Version}', packageName]);
  return result.status === 0 && result.stdout ? result.stdout : undefined;
}

function checkPrerequisites(options) {
  const missingPackages = [];
  const problems = [];
  const jkCp = which('jk_cp', ['/usr/sbin', '/usr/local/sbin']);
  if (!jkCp) missingPackages.push('jailkit');
  const lddtree = which('lddtree', ['/usr/bin']);
  if (!lddtree) missingPackages.push('pax-utils');
  const python = pythonWithElftools();
  if (!python) missingPackages.push('python3-pyelftools');
  if (!existsSync(APACHE_BINARY) || !existsSync(APACHE_MODULES)) missingPackages.push('apache2');
  if (missingPackages.length > 0) {
    problems.push(`missing: ${missingPackages.join(', ')}\n  install them with:\n    apt-get install -y ${missingPackages.join(' ')}`);
  }
  if (!existsSync(CLI) || !existsSync(ENGINE)) {
    problems.push(`@jailwright/core is not built (${CLI} missing)\n  build it with:\n    cd ${REPO} && npx turbo run build`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    problems.push('jailwright builds jails only as root (it chowns files); run as root: sudo npm run bench');
  }
  if (!existsSync(options.parent)) problems.push(`--parent ${options.parent} does not exist`);
  if (problems.length > 0) {
    process.stderr.write(`bench: cannot run:\n${problems.map((problem) => `- ${problem}`).join('\n')}\n`);
    process.exit(2);
  }
  return { jkCp, lddtree, python };
}

// ---------------------------------------------------------------------------------------------
// Measuring

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function timedProcess(label, command, args, check, env) {
  const start = nowMs();
  const result = run(command, args, env ? { env: { ...process.env, ...env } } : {});
  const ms = nowMs() - start;
  if (result.error || result.status !== 0) {
    throw new BenchError(`${label} failed (exit ${result.status ?? result.error?.code}): ${command} ${args.slice(0, 6).join(' ')} ...\n${(result.stderr || result.stdout || '').slice(-2000)}`);
  }
  check?.(result.stdout);
  return ms;
}

async function timedCall(fn) {
  const start = nowMs();
  const value = await fn();
  return { ms: nowMs() - start, value };
}

class BenchError extends Error {}

/**
 * What a tool put into its jail, counted without following symlinks. With `hash`, also the set of
 * distinct regular-file contents (sha256 -> one jail path): the tools name libraries differently
 * (jailwright and jk_cp copy the real file plus its soname symlink, lddtree copies the file under
 * its soname), so "the same libraries" is checked by content, not by name.
 */
function countTree(directory, hash) {
  const counts = { files: 0, symlinks: 0, directories: 0, other: 0, bytes: 0 };
  const contents = new Map();
  const walk = (path) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const info = lstatSync(full);
      if (info.isDirectory()) {
        counts.directories++;
        walk(full);
      } else if (info.isFile()) {
        counts.files++;
        counts.bytes += info.size;
        if (hash) {
          const digest = createHash('sha256').update(readFileSync(full)).digest('hex');
          if (!contents.has(digest)) contents.set(digest, full.slice(directory.length));
        }
      } else if (info.isSymbolicLink()) counts.symlinks++;
      else counts.other++;
    }
  };
  walk(directory);
  return { counts, contents };
}

/** Inputs missing from a jail (each must be a regular file at its host path inside the jail). */
function missingInputs(jailDirectory, files) {
  return files.filter((file) => {
    try {
      return !lstatSync(join(jailDirectory, file)).isFile();
    } catch {
      return true;
    }
  });
}

function statistics(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], samples };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const tools = checkPrerequisites(options);
  const files = apacheFiles();
  const log = (message) => process.stderr.write(`${message}\n`);

  // Everything this script writes lives under `temp`, removed in the finally block below (and on ^C).
  const temp = mkdtempSync(join(options.parent, 'jailwright-bench-'));
  process.env.JAILWRIGHT_REGISTRY = join(temp, 'registry');
  let cleaned = false;
  const cleanUp = () => {
    if (cleaned) return;
    cleaned = true;
    rmSync(temp, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    cleanUp();
    process.stderr.write(`\nbench: interrupted (${signal}); removed ${temp}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let sequence = 0;
  /** A fresh, root-owned 0700 directory inside `temp`, a safe parent for a jail root. */
  const freshDirectory = (label) => {
    const directory = join(temp, `${String(++sequence).padStart(3, '0')}-${label}`);
    mkdirSync(directory, { mode: 0o700 });
    return directory;
  };
  const removeInside = (path) => {
    if (!path.startsWith(`${temp}/`)) throw new Error(`refusing to remove ${path}: outside ${temp}`);
    rmSync(path, { recursive: true, force: true });
  };

  // The build cache (what builds learned about host files: their sha256 by stamp, the symbol check's verdict by
  // jail content) of this run: filled by the warm-up round, as any earlier build on a host fills the host's.
  // The "first build" rows give each build an empty one of its own instead.
  process.env.JAILWRIGHT_BUILD_CACHE = join(temp, 'build-cache');
  const emptyBuildCache = () => join(freshDirectory('empty-cache'), 'build-cache');

  try {
    const recipe = join(temp, 'recipe.yaml');
    writeFileSync(recipe, recipeYaml('apache-bench', files, []));
    const recipeBase = join(temp, 'recipe-base.yaml');
    if (options.withBase) writeFileSync(recipeBase, recipeYaml('apache-bench-base', files, ['base']));

    const importTiming = await timedCall(() => import(pathToFileURL(ENGINE).href));
    const { buildJail, ENGINE_VERSION } = importTiming.value;
    // The build's own audit is work jk_cp and lddtree do not do: it is left out here and timed on its own row.
    const linkArgs = [...(options.link === 'hard' ? ['--link', 'hard'] : []), '--no-audit'];
    const pythonArgs = (args) => [tools.lddtree, ...args];

    const samples = {};
    const record = (key, ms) => (samples[key] ??= []).push(ms);
    let shape; // what each tool put into its jail, from the last round
    const problems = [];

    // One round = every measurement once, each into a fresh directory; the order of the cold
    // builds rotates every round so page-cache and CPU-frequency drift hits every tool alike.
    const round = async (timed, roundIndex) => {
      const keep = (key, ms) => timed && record(key, ms);
      const outputs = {};

      const steps = {
        jailwrightCli: () => {
          const root = join(freshDirectory('jw-cli'), 'jail');
          keep('cliCold', timedProcess('jailwright build', process.execPath, [CLI, 'build', recipe, '--root', root, ...linkArgs], (out) => {
            if (!/^built /m.test(out)) throw new BenchError(`jailwright cold build did not build:\n${out}`);
          }));
          keep('cliNoop', timedProcess('jailwright rebuild', process.execPath, [CLI, 'build', recipe, '--root', root, ...linkArgs], (out) => {
            if (!/up to date: nothing changed/.test(out)) throw new BenchError(`jailwright rebuild of an unchanged recipe was not a no-op:\n${out}`);
          }));
          outputs.jailwright = realpathSync(root);
          const first = join(freshDirectory('jw-cli-first'), 'jail');
          keep('cliColdFirst', timedProcess('jailwright build (empty build cache)', process.execPath, [CLI, 'build', recipe, '--root', first, ...linkArgs], (out) => {
            if (!/^built /m.test(out)) throw new BenchError(`jailwright cold build (empty build cache) did not build:\n${out}`);
          }, { JAILWRIGHT_BUILD_CACHE: emptyBuildCache() }));
          keep('cliAudit', timedProcess('jailwright audit', process.execPath, [CLI, 'audit', root, '--fail-on', 'critical']));
          // Reference only: the kernel-side floor for copying the same bytes (cp uses copy_file_range).
          const floor = join(freshDirectory('cp-floor'), 'jail');
          keep('cpFloor', timedProcess('cp -a', 'cp', ['-a', outputs.jailwright, floor]));
        },
        jailwrightEngine: async () => {
          const root = join(freshDirectory('jw-engine'), 'jail');
          const cold = await timedCall(() => buildJail({ recipe, root, link: options.link, audit: false }));
          if (!cold.value.result?.changed) throw new BenchError('in-process jailwright cold build did not build');
          keep('engineCold', cold.ms);
          const noop = await timedCall(() => buildJail({ recipe, root, link: options.link, audit: false }));
          if (noop.value.result?.changed !== false) throw new BenchError('in-process jailwright rebuild of an unchanged recipe was not a no-op');
          keep('engineNoop', noop.ms);
          outputs.jailwrightEngine = realpathSync(root);
          const shared = process.env.JAILWRIGHT_BUILD_CACHE;
          process.env.JAILWRIGHT_BUILD_CACHE = emptyBuildCache();
          try {
            const first = await timedCall(() => buildJail({ recipe, root: join(freshDirectory('jw-engine-first'), 'jail'), link: options.link, audit: false }));
            if (!first.value.result?.changed) throw new BenchError('in-process jailwright cold build (empty build cache) did not build');
            keep('engineColdFirst', first.ms);
          } finally {
            process.env.JAILWRIGHT_BUILD_CACHE = shared;
          }
        },
        jkCp: () => {
          const jail = join(freshDirectory('jk_cp'), 'jail');
          mkdirSync(jail, { mode: 0o755 });
          const flags = options.link === 'hard' ? ['-k', '-f'] : ['-f'];
          keep('jkCp', timedProcess('jk_cp', tools.jkCp, ['-j', jail, ...flags, ...files]));
          outputs.jkCp = jail;
        },
        lddtree: () => {
          const jail = join(freshDirectory('lddtree'), 'jail');
          keep('lddtree', timedProcess('lddtree', tools.python, pythonArgs(['--copy-to-tree', jail, ...files])));
          outputs.lddtree = jail;
        },
        jailwrightBase: options.withBase
          ? () => {
              const root = join(freshDirectory('jw-base'), 'jail');
              keep('cliColdBase', timedProcess('jailwright build (base)', process.execPath, [CLI, 'build', recipeBase, '--root', root, ...linkArgs], (out) => {
                if (!/^built /m.test(out)) throw new BenchError(`jailwright cold build (base) did not build:\n${out}`);
              }));
              outputs.jailwrightBase = realpathSync(root);
            }
          : undefined,
      };
      const order = Object.keys(steps).filter((key) => steps[key]);
      const rotated = order.map((_, index) => order[(index + roundIndex) % order.length]);
      for (const key of rotated) await steps[key]();

      // Fixed costs, for reading the CLI numbers: a bare Node start, and the CLI start + module load.
      keep('nodeStartup', timedProcess('node -e 0', process.execPath, ['-e', '0']));
      keep('cliStartup', timedProcess('jailwright --version', process.execPath, [CLI, '--version']));
      keep('pythonStartup', timedProcess('python3 -c pass', tools.python, ['-c', 'pass']));

      // Untimed: what came out, then remove it (only ever inside `temp`).
      const last = timed && roundIndex === options.runs - 1;
      const result = {};
      for (const [tool, directory] of Object.entries({ jailwright: outputs.jailwright, 'jailwright (in-process)': outputs.jailwrightEngine, jk_cp: outputs.jkCp, lddtree: outputs.lddtree, 'jailwright + base': outputs.jailwrightBase })) {
        if (!directory) continue;
        const { counts, contents } = countTree(directory, last);
        const missing = missingInputs(directory, files);
        result[tool] = { counts, contents, missing };
      }
      if (last) shape = result;
      for (const entry of readdirSync(temp)) if (/^\d{3}-/.test(entry)) removeInside(join(temp, entry));
    };

    log(`bench: ${files.length} files (${APACHE_BINARY} + ${files.length - 1} modules in ${APACHE_MODULES}), link mode ${options.link}, ${options.warmup} warm-up + ${options.runs} timed rounds, in ${temp}`);
    for (let index = 0; index < options.warmup; index++) {
      log(`bench: warm-up ${index + 1}/${options.warmup}`);
      await round(false, index);
    }
    for (let index = 0; index < options.runs; index++) {
      log(`bench: round ${index + 1}/${options.runs}`);
      await round(true, index);
    }

    // Fairness: every tool must have put every input file, and the same file contents, into its jail.
    const reference = shape.jailwright.contents;
    const contents = {};
    for (const [tool, { counts, contents: own, missing }] of Object.entries(shape)) {
      const extra = [...own].filter(([digest]) => !reference.has(digest)).map(([, path]) => path).sort();
      const lacking = [...reference].filter(([digest]) => !own.has(digest)).map(([, path]) => path).sort();
      contents[tool] = { ...counts, distinctContents: own.size, inputsPresent: files.length - missing.length, missingInputs: missing, extraVsJailwright: extra, lackingVsJailwright: lacking };
      if (missing.length > 0) problems.push(`${tool}: ${missing.length} of the ${files.length} input files are missing from its jail (${missing.slice(0, 3).join(', ')}...)`);
      if (tool !== 'jailwright + base' && lacking.length > 0) problems.push(`${tool}: lacks ${lacking.length} file contents jailwright copied: ${lacking.slice(0, 5).join(', ')}`);
      if (tool !== 'jailwright + base' && extra.some((path) => path !== '/etc/ld.so.cache')) problems.push(`${tool}: has file contents jailwright did not copy: ${extra.slice(0, 5).join(', ')}`);
    }

    const stats = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, statistics(values)]));
    const median = (key) => stats[key].median;
    const ratios = {
      cliColdOverJkCp: median('cliCold') / median('jkCp'),
      cliColdOverLddtree: median('cliCold') / median('lddtree'),
      engineColdOverJkCp: median('engineCold') / median('jkCp'),
      engineColdOverLddtree: median('engineCold') / median('lddtree'),
      cliColdFirstOverJkCp: median('cliColdFirst') / median('jkCp'),
      engineColdFirstOverJkCp: median('engineColdFirst') / median('jkCp'),
      cliNoopOverCliCold: median('cliNoop') / median('cliCold'),
      engineNoopOverEngineCold: median('engineNoop') / median('engineCold'),
    };
    const targets = {
      coldVsJkCp: { target: TARGET_COLD_VS_JKCP, cli: ratios.cliColdOverJkCp, engine: ratios.engineColdOverJkCp, metByCli: ratios.cliColdOverJkCp <= TARGET_COLD_VS_JKCP, metByEngine: ratios.engineColdOverJkCp <= TARGET_COLD_VS_JKCP },
      firstColdVsJkCp: { target: TARGET_COLD_VS_JKCP, cli: ratios.cliColdFirstOverJkCp, engine: ratios.engineColdFirstOverJkCp, metByCli: ratios.cliColdFirstOverJkCp <= TARGET_COLD_VS_JKCP, metByEngine: ratios.engineColdFirstOverJkCp <= TARGET_COLD_VS_JKCP },
      noopVsCold: { target: TARGET_NOOP_VS_COLD, cli: ratios.cliNoopOverCliCold, engine: ratios.engineNoopOverEngineCold, metByCli: ratios.cliNoopOverCliCold <= TARGET_NOOP_VS_COLD, metByEngine: ratios.engineNoopOverEngineCold <= TARGET_NOOP_VS_COLD },
    };

    const report = {
      files: files.length,
      fileList: files,
      options: { runs: options.runs, warmup: options.warmup, link: options.link, withBase: options.withBase },
      host: {
        node: process.version,
        kernel: os.release(),
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        engineVersion: ENGINE_VERSION,
        jailkit: debVersion('jailkit'),
        paxUtils: debVersion('pax-utils'),
        apache2: debVersion('apache2'),
        python: tools.python,
      },
      engineImportMs: importTiming.ms,
      timingsMs: stats,
      ratios,
      targets,
      contents,
      problems,
    };

    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(formatReport(report));
    return problems.length > 0 ? 1 : 0;
  } finally {
    cleanUp();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function formatReport(report) {
  const t = report.timingsMs;
  const ms = (value) => `${value.toFixed(1)} ms`;
  const x = (value) => `${value.toFixed(3)}×`;
  const lines = [];
  const row = (label, key, note = '') => {
    if (!t[key]) return;
    lines.push(`  ${label.padEnd(44)} ${ms(t[key].median).padStart(11)}   ${`${ms(t[key].min)} – ${ms(t[key].max)}`.padEnd(23)} ${note}`);
  };
  lines.push(`Apache jail benchmark: ${report.files} files (/usr/sbin/apache2 + ${report.files - 1} modules), link mode ${report.options.link}`);
  lines.push(`  node ${report.host.node}, kernel ${report.host.kernel}, ${report.host.cpus} CPU (${report.host.cpuModel}); jailwright ${report.host.engineVersion}, jailkit ${report.host.jailkit}, pax-utils ${report.host.paxUtils}, apache2 ${report.host.apache2}`);
  lines.push(`  median of ${report.options.runs} timed rounds after ${report.options.warmup} warm-up round(s); every cold build starts from a fresh empty directory`);
  lines.push('');
  lines.push(`  ${'measurement'.padEnd(44)} ${'median'.padStart(11)}   ${'min – max'.padEnd(23)}`);
  lines.push('  wall time of the whole process (spawn to exit):');
  row('jailwright build, cold (CLI)', 'cliCold');
  row('  the same, empty build cache (CLI)', 'cliColdFirst', "(a host's first build)");
  row('jailwright build, no-op rebuild (CLI)', 'cliNoop');
  row('jk_cp -j DIR FILES', 'jkCp', report.options.link === 'hard' ? '(-k -f)' : '(-f)');
  row('lddtree --copy-to-tree DIR FILES', 'lddtree');
  row('jailwright build, cold, include: [base] (CLI)', 'cliColdBase', '(not in ratios)');
  lines.push('  in-process engine time (await buildJail(...), no Node startup):');
  row('jailwright buildJail, cold', 'engineCold');
  row('  the same, empty build cache', 'engineColdFirst', "(a host's first build)");
  row('jailwright buildJail, no-op rebuild', 'engineNoop');
  lines.push('  fixed costs included in the process times above:');
  row('node -e 0 (bare Node startup)', 'nodeStartup');
  row('jailwright --version (startup + module load)', 'cliStartup');
  row('python3 -c pass (jk_cp, lddtree interpreter)', 'pythonStartup');
  lines.push('  reference (not in ratios):');
  row("cp -a of jailwright's finished jail", 'cpFloor', '(copy floor for the same bytes)');
  row('jailwright audit of the same jail (CLI)', 'cliAudit', '(build runs it unless --no-audit)');
  lines.push(`  ${'one-time import of packages/core/dist/index.js'.padEnd(44)} ${ms(report.engineImportMs).padStart(11)}`);
  lines.push('');
  const r = report.ratios;
  lines.push('  ratios of medians:');
  lines.push(`    jailwright cold / jk_cp      ${x(r.cliColdOverJkCp).padStart(8)} (CLI wall)   ${x(r.engineColdOverJkCp).padStart(8)} (engine in-process vs jk_cp wall)`);
  lines.push(`      empty build cache          ${x(r.cliColdFirstOverJkCp).padStart(8)} (CLI wall)   ${x(r.engineColdFirstOverJkCp).padStart(8)} (engine in-process vs jk_cp wall)`);
  lines.push(`    jailwright cold / lddtree    ${x(r.cliColdOverLddtree).padStart(8)} (CLI wall)   ${x(r.engineColdOverLddtree).padStart(8)} (engine in-process vs lddtree wall)`);
  lines.push(`    no-op / jailwright cold      ${x(r.cliNoopOverCliCold).padStart(8)} (CLI wall)   ${x(r.engineNoopOverEngineCold).padStart(8)} (engine in-process)`);
  lines.push('');
  const verdict = (target, label) =>
    `    ${label} ≤ ${target.target}×: CLI ${x(target.cli)} ${target.metByCli ? 'MET' : 'NOT MET'}; engine in-process ${x(target.engine)} ${target.metByEngine ? 'MET' : 'NOT MET'}`;
  lines.push('  targets:');
  lines.push(verdict(report.targets.coldVsJkCp, 'cold build / jk_cp      '));
  lines.push(verdict(report.targets.firstColdVsJkCp, '  empty build cache     '));
  lines.push(verdict(report.targets.noopVsCold, 'no-op rebuild / cold   '));
  lines.push('');
  lines.push('  what each tool put in its jail (last round; not following symlinks):');
  lines.push(`    ${'tool'.padEnd(26)} ${'inputs'.padStart(9)} ${'files'.padStart(6)} ${'distinct'.padStart(9)} ${'symlinks'.padStart(9)} ${'dirs'.padStart(5)} ${'MB'.padStart(7)}   differences from jailwright's jail, by content`);
  for (const [tool, c] of Object.entries(report.contents)) {
    const list = (paths) => paths.slice(0, 3).join(', ') + (paths.length > 3 ? `, ... (${paths.length})` : '');
    const differences = [c.extraVsJailwright.length ? `+ ${list(c.extraVsJailwright)}` : '', c.lackingVsJailwright.length ? `- ${list(c.lackingVsJailwright)}` : ''].filter(Boolean).join('; ') || 'none';
    lines.push(`    ${tool.padEnd(26)} ${`${c.inputsPresent}/${report.files}`.padStart(9)} ${String(c.files).padStart(6)} ${String(c.distinctContents).padStart(9)} ${String(c.symlinks).padStart(9)} ${String(c.directories).padStart(5)} ${(c.bytes / 1e6).toFixed(1).padStart(7)}   ${differences}`);
  }
  if (report.problems.length > 0) {
    lines.push('');
    lines.push('  PROBLEMS (the comparison is not fair until these are fixed):');
    for (const problem of report.problems) lines.push(`    - ${problem}`);
  }
  return `${lines.join('\n')}\n`;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof BenchError ? error.message : (error?.stack ?? error)}\n`);
  process.exitCode = 1;
}
