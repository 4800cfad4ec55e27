#!/usr/bin/env node
// Benchmark: the bytes a jail carries against the bytes its service opens. Builds the Apache recipe
// (recipes/apache) on a free loopback port, runs the jailed Apache under strace as `jailwright learn`
// does (the launch `start` composes, traced with the engine's runner and parser), serves a few requests,
// and compares the sum of the jail's regular files (their sizes in the manifest) with the sum of the
// distinct jail files the service opened or executed. See bench/README.md.
//
//   sudo node bench/jail-bytes.mjs [--requests N] [--parent DIR] [--json]

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { fail, parseBenchArguments } from './bench-arguments.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORE_DIST = join(REPO, 'packages/core/dist');
const CLI = join(CORE_DIST, 'cli/main.js');
const RECIPE = join(REPO, 'recipes/apache/recipe.yaml');
const TARGET = 1.2;
const OPENING_CALLS = new Set(['execve', 'execveat', 'open', 'openat', 'openat2']);
const USAGE = `usage: sudo node bench/jail-bytes.mjs [--requests N] [--parent DIR] [--json]

  --requests N   HTTP requests served while traced (default 20)
  --parent DIR   where the temporary directory goes (default /srv; root-owned, not writable by others)
  --json         results as JSON on stdout

Exit codes: 0 ran (read the ratio; target <= ${TARGET}), 1 a step failed, 2 prerequisites or usage.`;

/** Sends `count` GET requests once the server answers; resolves to how many answered 200. */
async function serve(port, count, deadline) {
  let ok = 0;
  while (Date.now() < deadline && ok === 0) {
    ok += await fetch(`http://127.0.0.1:${port}/`).then((response) => (response.status === 200 ? 1 : 0), () => 0);
    if (ok === 0) await sleep(100);
  }
  for (let request = 1; request < count && Date.now() < deadline; request++) {
    ok += await fetch(`http://127.0.0.1:${port}/?request=${request}`).then((response) => (response.status === 200 ? 1 : 0), () => 0);
  }
  return ok;
}

/**
 * The jail file a traced path names: a path seen inside the chroot is a jail path; one seen on the host
 * below the jail's real path (the launch chain before its chroot) is made one. Symlinks inside the jail are
 * followed to the file they lead to; undefined for anything outside the jail.
 */
function jailFile(event, jail) {
  const inJail = event.root === jail ? event.path : event.path.startsWith(`${jail}/`) ? event.path.slice(jail.length) : undefined;
  if (!inJail) return undefined;
  try {
    const real = realpathSync(join(jail, inJail));
    return real.startsWith(`${jail}/`) && lstatSync(real).isFile() ? real.slice(jail.length) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The program interpreter (PT_INTERP) of a 64-bit little-endian ELF file, or undefined. The kernel maps it
 * at execve without an open(2) the trace could show, so an executed program's loader counts as opened.
 */
function interpreterOf(file) {
  const elf = readFileSync(file);
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return undefined;
  const [phoff, phentsize, phnum] = [Number(elf.readBigUInt64LE(0x20)), elf.readUInt16LE(0x36), elf.readUInt16LE(0x38)];
  for (let index = 0; index < phnum; index++) {
    const header = phoff + index * phentsize;
    if (elf.readUInt32LE(header) !== 3) continue;
    const [offset, size] = [Number(elf.readBigUInt64LE(header + 8)), Number(elf.readBigUInt64LE(header + 32))];
    return elf.toString('utf8', offset, offset + size).replace(/\0.*$/s, '');
  }
  return undefined;
}

async function main() {
  const options = parseBenchArguments(process.argv.slice(2), { requests: 20 }, USAGE);
  if (process.getuid?.() !== 0) fail(2, 'run as root (the jail is chowned, the service is chrooted)');
  const missing = ['/usr/sbin/apache2', '/usr/bin/strace'].filter((file) => !existsSync(file));
  if (missing.length > 0) fail(2, `missing ${missing.join(', ')}: apt-get install -y apache2 strace`);
  if (!existsSync(CLI)) fail(2, 'build @jailwright/core first: npx turbo run build');
  const core = await import(pathToFileURL(join(CORE_DIST, 'index.js')).href);
  const { freeTcpPort } = await import('@jailwright/core/testing/helpers');

  const temp = mkdtempSync(join(options.parent, 'jailwright-bytes-'));
  chmodSync(temp, 0o755);
  process.env.JAILWRIGHT_REGISTRY = join(temp, 'registry');
  process.env.JAILWRIGHT_BUILD_CACHE = join(temp, 'build-cache');
  const root = join(temp, 'apache');
  try {
    const port = String(await freeTcpPort());
    const built = spawnSync(process.execPath, [CLI, 'build', RECIPE, '--root', root, '--option', `port=${port}`], { encoding: 'utf8' });
    if (built.status !== 0) fail(1, `jailwright build failed (${built.status}): ${built.stderr}`);
    const jail = realpathSync(root);
    const manifest = await core.readManifest(`${jail}.manifest.json`);
    if (!manifest) fail(1, `no manifest beside ${jail}`);
    const files = new Map(manifest.entries.filter((entry) => entry.type === 'file').map((entry) => [entry.path, entry.size]));

    const { recipe } = await core.loadRecipe(RECIPE, { options: { port } });
    const launch = recipe.launch;
    const command = core.launchCommand(launch, jail, await core.resolveServiceIdentity(launch), await core.findLaunchTools());
    const deadline = Date.now() + 15_000;
    const traced = core.runTraced({
      file: command.file,
      args: command.args,
      logFile: join(temp, 'strace.log'),
      env: command.env,
      extendEnv: false,
      cwd: command.cwd,
      durationMs: 6000,
      stopSignal: launch.stop.signal,
      stopTimeoutMs: launch.stop.timeoutSeconds * 1000,
      serviceRoot: jail,
    });
    const served = await serve(port, options.requests, deadline);
    const run = await traced;
    if (served === 0) fail(1, `the jailed Apache never answered on 127.0.0.1:${port}: ${run.output}`);

    const opened = new Set();
    for (const event of run.events) {
      if (!OPENING_CALLS.has(event.syscall) || event.path === undefined || event.result === undefined || event.result < 0) continue;
      const file = jailFile(event, jail);
      if (file === undefined || !files.has(file)) continue;
      opened.add(file);
      const interpreter = event.syscall.startsWith('execve') ? interpreterOf(join(jail, file)) : undefined;
      const loader = interpreter && jailFile({ root: jail, path: interpreter }, jail);
      if (loader && files.has(loader)) opened.add(loader);
    }
    const sum = (paths) => paths.reduce((total, path) => total + (files.get(path) ?? 0), 0);
    const jailBytes = sum([...files.keys()]);
    const openedBytes = sum([...opened]);
    const unopened = [...files.keys()].filter((path) => !opened.has(path)).sort((a, b) => files.get(b) - files.get(a));
    const results = {
      recipe: 'recipes/apache',
      requestsServed: served,
      jailFiles: files.size,
      jailBytes,
      openedFiles: opened.size,
      openedBytes,
      ratio: jailBytes / openedBytes,
      target: TARGET,
      met: jailBytes / openedBytes <= TARGET,
      neverOpened: unopened.map((path) => ({ path, bytes: files.get(path) })),
    };
    if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else {
      const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
      process.stdout.write(
        `recipes/apache on 127.0.0.1:${port}, traced while serving ${served} requests\n` +
          `jail:    ${files.size} regular files, ${kb(jailBytes)}\n` +
          `opened:  ${opened.size} of them (open/openat/execve and the loader of what was executed, symlinks followed), ${kb(openedBytes)}\n` +
          `ratio:   ${results.ratio.toFixed(3)}  target <= ${TARGET}  ${results.met ? 'MET' : 'NOT MET'}\n` +
          `never opened, biggest first (${unopened.length} files, ${kb(jailBytes - openedBytes)}):\n` +
          unopened
            .slice(0, 15)
            .map((path) => `  ${kb(files.get(path)).padStart(12)}  ${path}\n`)
            .join(''),
      );
    }
  } finally {
    rmSync(root, { force: true });
    rmSync(posix.join(temp, '.apache.jailwright'), { recursive: true, force: true });
    rmSync(temp, { recursive: true, force: true });
  }
}

await main();
