#!/usr/bin/env node
// Benchmark: `jailwright update` after a one-library change on the host against a full cold build of
// the same jail. The jail holds the Apache workload plus a program linked against a small library
// compiled here (gcc) into a prefix registered with ld.so.conf.d; each round installs new bytes of that
// library (same soname), runs ldconfig, then times `update` of the existing jail and a cold build into
// an empty root. The drop-in is removed at the end. See bench/README.md.
//
//   sudo node bench/update.mjs [--runs N] [--parent DIR] [--json]

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { APACHE_BINARY, apacheFiles, recipeYaml } from './apache-workload.mjs';
import { fail, parseBenchArguments } from './bench-arguments.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORE_DIST = join(REPO, 'packages/core/dist');
const CLI = join(CORE_DIST, 'cli/main.js');
const USAGE = `usage: sudo node bench/update.mjs [--runs N] [--parent DIR] [--json]

  --runs N       timed rounds (default 5); medians are reported
  --parent DIR   where the temporary directory goes (default /srv; root-owned, not writable by others)
  --json         results as JSON on stdout

Exit codes: 0 ran (read the ratio), 1 a step failed, 2 prerequisites or usage.`;

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) fail(1, `${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timedCli(args) {
  const start = nowMs();
  const stdout = run(process.execPath, [CLI, ...args]);
  return { ms: nowMs() - start, stdout };
}

async function timedCall(fn) {
  const start = nowMs();
  const value = await fn();
  return { ms: nowMs() - start, value };
}

async function main() {
  const options = parseBenchArguments(process.argv.slice(2), { runs: 5 }, USAGE);
  if (process.getuid?.() !== 0) fail(2, 'run as root (jails are chowned, ldconfig is run)');
  if (!existsSync(APACHE_BINARY)) fail(2, 'apache2 is not installed: apt-get install -y apache2');
  if (!existsSync(CLI)) fail(2, 'build @jailwright/core first: npx turbo run build');
  const { buildJail, updateJail } = await import(pathToFileURL(join(CORE_DIST, 'index.js')).href);

  const temp = mkdtempSync(join(options.parent, 'jailwright-update-'));
  chmodSync(temp, 0o755);
  process.env.JAILWRIGHT_REGISTRY = join(temp, 'registry');
  process.env.JAILWRIGHT_BUILD_CACHE = join(temp, 'build-cache');
  const lib = join(temp, 'prefix/lib');
  const dropIn = `/etc/ld.so.conf.d/zz-jailwright-bench-${process.pid}.conf`;
  mkdirSync(lib, { recursive: true, mode: 0o755 });
  chmodSync(join(temp, 'prefix'), 0o755);
  const installLibrary = (value) => {
    writeFileSync(join(temp, 'jwbench.c'), `int jwbench_version(void) { return ${value}; }\n`);
    run('gcc', ['-shared', '-fPIC', '-Wl,-soname,libjwbench.so.1', '-o', join(lib, 'libjwbench.so.1.new'), join(temp, 'jwbench.c')]);
    renameSync(join(lib, 'libjwbench.so.1.new'), join(lib, 'libjwbench.so.1'));
    run('ldconfig', []);
  };
  try {
    writeFileSync(dropIn, `${lib}\n`);
    installLibrary(0);
    const program = join(temp, 'prefix/jwbench');
    writeFileSync(`${program}.c`, '#include <stdio.h>\nint jwbench_version(void);\nint main(void) { printf("%d\\n", jwbench_version()); return 0; }\n');
    run('gcc', ['-o', program, `${program}.c`, join(lib, 'libjwbench.so.1')]);
    const recipe = join(temp, 'recipe.yaml');
    writeFileSync(recipe, recipeYaml('apache-update', [...apacheFiles(), program]));
    const cliRoot = join(temp, 'cli-jail');
    const engineRoot = join(temp, 'engine-jail');
    run(process.execPath, [CLI, 'build', recipe, '--root', cliRoot]);
    await buildJail({ recipe, root: engineRoot });

    const rounds = [];
    for (let round = 1; round <= options.runs; round++) {
      installLibrary(round);
      const update = timedCli(['update', cliRoot, '--json']);
      const changes = JSON.parse(update.stdout).changes;
      if (!changes.some((change) => change.path === join(lib, 'libjwbench.so.1'))) fail(1, `update did not take the new library: ${update.stdout}`);
      // A cold build into a new root (it too takes what the build cache knows of unchanged host files), and a
      // full one that trusts nothing recorded (--no-cache): the two rebuilds an update stands in for.
      const cold = timedCli(['build', recipe, '--root', join(temp, `cold-cli-${round}`)]);
      const full = timedCli(['build', recipe, '--root', join(temp, `full-cli-${round}`), '--no-cache']);
      const engineUpdate = await timedCall(() => updateJail(engineRoot));
      if (engineUpdate.value.changes.length === 0) fail(1, 'the in-process update changed nothing');
      const engineCold = await timedCall(() => buildJail({ recipe, root: join(temp, `cold-engine-${round}`) }));
      if (!engineCold.value.result?.changed) fail(1, 'the in-process cold build built nothing');
      const engineFull = await timedCall(() => buildJail({ recipe, root: join(temp, `full-engine-${round}`), cache: false }));
      if (!engineFull.value.result?.changed) fail(1, 'the in-process full build built nothing');
      rounds.push({ updateMs: update.ms, coldMs: cold.ms, fullMs: full.ms, engineUpdateMs: engineUpdate.ms, engineColdMs: engineCold.ms, engineFullMs: engineFull.ms, changedPaths: changes.length });
      rmSync(join(temp, `cold-cli-${round}`), { force: true });
      rmSync(join(temp, `.cold-cli-${round}.jailwright`), { recursive: true, force: true });
      for (const name of [`full-cli-${round}`, `cold-engine-${round}`, `full-engine-${round}`]) {
        rmSync(join(temp, name), { force: true });
        rmSync(join(temp, `.${name}.jailwright`), { recursive: true, force: true });
      }
    }
    const pick = (key) => median(rounds.map((entry) => entry[key]));
    const results = {
      runs: options.runs,
      changedPaths: pick('changedPaths'),
      cli: { updateMs: Math.round(pick('updateMs')), coldBuildMs: Math.round(pick('coldMs')), ratio: pick('updateMs') / pick('coldMs'), fullBuildMs: Math.round(pick('fullMs')), ratioToFull: pick('updateMs') / pick('fullMs') },
      engine: { updateMs: Math.round(pick('engineUpdateMs')), coldBuildMs: Math.round(pick('engineColdMs')), ratio: pick('engineUpdateMs') / pick('engineColdMs'), fullBuildMs: Math.round(pick('engineFullMs')), ratioToFull: pick('engineUpdateMs') / pick('engineFullMs') },
    };
    if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else {
      process.stdout.write(
        `one library changed on the host (same soname, new bytes); ${results.changedPaths} paths of the jail change; median of ${options.runs}\n` +
          `CLI wall time:      update ${results.cli.updateMs} ms, cold build ${results.cli.coldBuildMs} ms: ratio ${results.cli.ratio.toFixed(2)}; full build (--no-cache) ${results.cli.fullBuildMs} ms: ratio ${results.cli.ratioToFull.toFixed(2)}\n` +
          `engine in-process:  update ${results.engine.updateMs} ms, cold build ${results.engine.coldBuildMs} ms: ratio ${results.engine.ratio.toFixed(2)}; full build (cache: false) ${results.engine.fullBuildMs} ms: ratio ${results.engine.ratioToFull.toFixed(2)}\n`,
      );
    }
  } finally {
    rmSync(dropIn, { force: true });
    spawnSync('ldconfig', []);
    rmSync(temp, { recursive: true, force: true });
  }
}

await main();
