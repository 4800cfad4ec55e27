/**
 * `jailwright learn`: the article's loop, converging by itself. Build the jail, run the service in it as
 * `start` would (same namespaces, fence and dropped privileges) but under strace, which runs on the host
 * outside the chroot, so the service's paths appear as jail paths after its chroot(2). Collect everything
 * the run asked for and did not get, add it, rebuild, repeat, until the probes pass and nothing new is
 * missing, or a run teaches nothing (then say what is still missing and why).
 */
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import path, { posix } from 'node:path';
import { buildJail, defaultJailRoot } from '../build-jail.js';
import { ExitCode, JailwrightError } from '../errors.js';
import { currentJail, jailLayout } from '../apply/jail-layout.js';
import { isElf } from '../host/library-resolver.js';
import { launchCommand } from '../launch/launch-command.js';
import { launchFiles } from '../launch/launch-files.js';
import { findLaunchTools, readServiceStatus, resolveServiceIdentity } from '../launch/service-control.js';
import { loadRecipe, type LoadedRecipe } from '../recipe/load.js';
import { resolveRecipeReference } from '../recipe/resolve-reference.js';
import { KNOWN_DEVICES } from '../recipe/schema.js';
import type { ProbeResult } from '../check/probe-result.js';
import { findMissingSymbols } from './missing-symbols.js';
import { isLoaderNoise, refusedPath } from './path-policy.js';
import { addToRecipe, lineDiff, type LearnedAddition } from './recipe-edit.js';
import type { TraceEvent } from './strace-parser.js';
import { runTraced } from './strace-runner.js';
import { cachedSoname, lstat, real } from './trace-report.js';

/** What `learn` is asked to do. */
export interface LearnOptions {
  recipe: string;
  root?: string | undefined;
  /** Write the additions into the recipe file (otherwise only the diff is returned). */
  write?: boolean | undefined;
  /** Give up after this many runs (default 6). */
  maxIterations?: number | undefined;
  /** Scan the config files the recipe provides and the service reads for the host files they name (default true). */
  configScan?: boolean | undefined;
  onIteration?: ((iteration: LearnIteration) => void) | undefined;
  cwd?: string | undefined;
}

/** One build-and-run round. */
export interface LearnIteration {
  number: number;
  generation: string | undefined;
  stoppedBy: 'exit' | 'duration' | 'probes' | 'timeout';
  exitCode: number | undefined;
  probesPassed: boolean;
  probeResults: ProbeResult[];
  additions: LearnedAddition[];
  /** What the run asked for that learning cannot add, with why. */
  unresolved: { path: string; why: string }[];
  /** What the run asked for that the host lacks too (not printed per run: services probe many such paths; named when learning stalls). */
  absent: { path: string; why: string }[];
  /** The last lines the service printed. */
  output: string;
  durationMs: number;
}

/** The whole learning session. */
export interface LearnResult {
  recipeFile: string;
  root: string;
  converged: boolean;
  iterations: LearnIteration[];
  additions: LearnedAddition[];
  /** The recipe with every addition. */
  learnedText: string;
  diff: string;
  written: boolean;
  durationMs: number;
  /** When not converged: what is still missing and why. */
  problem?: string | undefined;
}

const WRITABLE_AREAS = ['/var/log', '/var/cache', '/var/lib', '/var/spool', '/var/tmp', '/run', '/tmp'];

/** A directory learning may create for the service to write in: strictly below one of the writable areas, never the area itself. */
function isWritableArea(directory: string): boolean {
  return WRITABLE_AREAS.some((area) => directory.startsWith(`${area}/`));
}
const SYSTEM_FILE_AREAS = /^\/(etc|usr\/share|usr\/lib|lib)\//;

/** What a recipe already has, to add nothing twice. */
interface Known {
  files: Set<string>;
  libraries: Set<string>;
  directories: Set<string>;
  devices: Set<string>;
  users: Set<string>;
  groups: Set<string>;
}

function knownOf(loaded: LoadedRecipe): Known {
  const jail = loaded.recipe.jail;
  return {
    files: new Set([...jail.files.map((file) => file.to), ...jail.write.map((entry) => entry.path)]),
    libraries: new Set(jail.libraries),
    directories: new Set(jail.directories.map((directory) => directory.path)),
    devices: new Set(jail.devices),
    users: new Set(jail.users.map((user) => user.name)),
    groups: new Set(jail.groups),
  };
}

/** Learns what the recipe's jail lacks, run by run. */
export async function learnRecipe(options: LearnOptions): Promise<LearnResult> {
  const started = Date.now();
  const recipeFile = await resolveRecipeReference(options.recipe, { cwd: options.cwd });
  const originalText = await readFile(recipeFile, 'utf8');
  const first = await loadRecipe(recipeFile);
  const launch = first.recipe.launch;
  if (!launch) throw new JailwrightError(`recipe ${recipeFile} has no launch section: learn runs the service, so it needs to know how`, { hint: 'Add launch: { mode: engine-chroot, command: [...], user: ... }.' });
  if (process.getuid?.() !== 0) throw new JailwrightError('learn needs root: it builds the jail and runs the service in it', { exitCode: ExitCode.environment, hint: 'Run it with sudo.' });
  const root = path.resolve(options.root ?? defaultJailRoot(first.recipe.name));
  const status = readServiceStatus(first.recipe.name, root, launchFiles(jailLayout(root)));
  if (status.state === 'running' || status.state === 'starting') {
    throw new JailwrightError(`${first.recipe.name} is running in ${root}: learn runs its own copy`, { exitCode: ExitCode.environment, hint: `Stop it first: jailwright stop ${options.recipe} --root ${root}` });
  }
  const maxIterations = options.maxIterations ?? 6;
  // The working copy sits beside the original so relative references in the recipe keep their meaning.
  const workFile = path.join(path.dirname(recipeFile), `.${path.basename(recipeFile, '.yaml')}.learning-${process.pid}.yaml`);
  let text = originalText;
  const iterations: LearnIteration[] = [];
  const all: LearnedAddition[] = [];
  let converged = false;
  let problem: string | undefined;
  try {
    for (let number = 1; number <= maxIterations; number++) {
      const iterationStarted = Date.now();
      await writeFile(workFile, text);
      const loaded = { ...(await loadRecipe(workFile)), file: recipeFile };
      const built = await buildJail({ recipe: workFile, root, audit: false });
      const layout = jailLayout(root);
      const jail = await currentJail(layout, async () => false);
      if (jail.kind !== 'generation') throw new JailwrightError(`the build left no jail at ${root}`, { exitCode: ExitCode.environment });
      const jailRoot = await realpath(jail.directory);

      const known = knownOf(loaded);
      const additions: LearnedAddition[] = [];
      const unresolved: LearnIteration['unresolved'] = [];
      const absent: LearnIteration['absent'] = [];
      const add = (addition: LearnedAddition) => {
        const set = known[`${addition.kind === 'library' ? 'libraries' : addition.kind === 'directory' ? 'directories' : `${addition.kind}s`}` as keyof Known];
        if (set.has(addition.value)) return;
        set.add(addition.value);
        additions.push(addition);
      };

      // Missing symbols first: a library the jail lacks entirely is added; a wrong build of one is reported.
      // build ran the same check on the new generation; run it here only when the build changed nothing.
      const symbols = built.symbols ?? (await findMissingSymbols(jailRoot));
      for (const entry of symbols.missing) {
        const provider = entry.providers[0];
        const name = entry.version ? `${entry.symbol}@${entry.version}` : entry.symbol;
        if (!provider) unresolved.push({ path: name, why: `undefined symbol needed by ${entry.neededBy.join(', ')}; no host library defines it` });
        else if (lstat(posix.join(jailRoot, provider))) unresolved.push({ path: name, why: `needed by ${entry.neededBy.join(', ')}; the jail's ${provider} lacks it (built from an older host file?)` });
        else await addLibrary(add, provider, `defines ${name}, needed by ${entry.neededBy[0]}`);
      }

      const logDirectory = posix.join(layout.state, 'learn');
      await mkdir(logDirectory, { recursive: true, mode: 0o700 });
      const run = await traceService(loaded, jailRoot, posix.join(logDirectory, `run-${number}.strace`));
      const jailEvents = run.events.filter((event) => event.root === jailRoot);
      await collectMisses(jailEvents, jailRoot, launch.user, add, unresolved, absent);
      if (options.configScan !== false) await scanConfigs(jailEvents, jailRoot, first, loaded, launch.user, add);
      if (jailEvents.some((event) => event.path === '/etc/passwd' && (event.result ?? -1) >= 0) && launch.user && !/^\d+$/.test(launch.user)) {
        add({ kind: 'user', value: launch.user, why: 'the service runs as it and reads /etc/passwd' });
      }
      if (jailEvents.some((event) => event.path === '/etc/group' && (event.result ?? -1) >= 0) && launch.group && !/^\d+$/.test(launch.group)) {
        add({ kind: 'group', value: launch.group, why: 'the service runs with it and reads /etc/group' });
      }

      const iteration: LearnIteration = {
        number,
        generation: built.result?.generation,
        stoppedBy: run.stoppedBy,
        exitCode: run.exitCode,
        probesPassed: run.probesPassed,
        probeResults: run.probeResults,
        additions,
        unresolved,
        absent,
        output: run.output.trimEnd().split('\n').slice(-5).join('\n'),
        durationMs: Date.now() - iterationStarted,
      };
      iterations.push(iteration);
      options.onIteration?.(iteration);
      // Without probes, a run that exits 0 (or is still running when its time is up) counts as working.
      // The service ran when its own program was executed; a launch chain that failed before (a command the
      // host lacks too) leaves only the chroot helper's calls in the jail.
      const ran = run.events.some((event) => event.syscall.startsWith('execve') && event.path === launch.command[0] && event.result === 0);
      const working = ran && (loaded.recipe.probes?.length ? run.probesPassed : run.stoppedBy === 'exit' ? run.exitCode === 0 : jailEvents.length > 0);
      if (additions.length === 0) {
        if (working) converged = true;
        else problem = explain(iteration, ran && jailEvents.length > 0, launch.command[0] as string);
        break;
      }
      all.push(...additions);
      text = addToRecipe(text, additions);
    }
    if (!converged && !problem) problem = `no convergence after ${maxIterations} runs; the last one still found things to add (raise --max-iterations)`;
  } finally {
    await rm(workFile, { force: true });
  }
  const diff = lineDiff(originalText, text, recipeFile);
  const written = options.write === true && text !== originalText;
  if (written) await writeFile(recipeFile, text);
  return { recipeFile, root, converged, iterations, additions: all, learnedText: text, diff, written, durationMs: Date.now() - started, problem };
}

/** Runs the service of a built jail under strace, composed as `start` composes it, until its probes pass or it exits. */
async function traceService(loaded: LoadedRecipe, jailRoot: string, logFile: string) {
  const launch = loaded.recipe.launch;
  if (!launch) throw new Error('unreachable: no launch section');
  const command = launchCommand(launch, jailRoot, await resolveServiceIdentity(launch), await findLaunchTools());
  return runTraced({
    file: command.file,
    args: command.args,
    logFile,
    env: command.env,
    extendEnv: false,
    cwd: command.cwd,
    probes: loaded.recipe.probes ?? [],
    probeRoot: jailRoot,
    durationMs: loaded.recipe.probes?.length ? undefined : 3000,
    timeoutMs: launch.readyTimeoutSeconds * 1000,
    stopSignal: launch.stop.signal,
    stopTimeoutMs: launch.stop.timeoutSeconds * 1000,
    serviceRoot: launch.mode === 'engine-chroot' ? jailRoot : undefined,
  });
}

type Add = (addition: LearnedAddition) => void;

async function addLibrary(add: Add, hostPath: string, why: string): Promise<void> {
  const soname = await cachedSoname(hostPath);
  if (soname) add({ kind: 'library', value: soname, why });
  else add({ kind: 'file', value: hostPath, why });
}

/** Every path the service asked for, did not get, and the host has; directories it could not write in. */
async function collectMisses(events: TraceEvent[], jailRoot: string, user: string | undefined, add: Add, unresolved: LearnIteration['unresolved'], absent: LearnIteration['absent']): Promise<void> {
  const seen = new Set<string>();
  for (const event of events) {
    const file = event.path;
    if (file === undefined || event.errno === undefined || seen.has(file)) continue;
    if (event.errno !== 'ENOENT' && event.errno !== 'EACCES' && event.errno !== 'ENOTDIR') continue;
    seen.add(file);
    if (isLoaderNoise(file) || event.syscall === 'chdir') continue;
    const refused = refusedPath(file);
    if (refused) {
      unresolved.push({ path: file, why: `asked for (${event.syscall}, ${event.errno}) and skipped: ${refused}` });
      continue;
    }
    if (file === '/etc/passwd' || file === '/etc/group') {
      // The engine writes these itself, with only the accounts the recipe names: name the service's account.
      if (user && !/^\d+$/.test(user)) add({ kind: 'user', value: user, why: `${event.errno} ${event.syscall} ${file}: the service looks accounts up and runs as ${user}` });
      else unresolved.push({ path: file, why: 'the service looks accounts up: name the ones it needs in jail.users and jail.groups' });
      continue;
    }
    const write = /O_WRONLY|O_RDWR|O_CREAT/.test(event.flags ?? '') || event.syscall.startsWith('mkdir');
    const why = `${event.errno} ${event.syscall} ${file}`;
    if (write) {
      const directory = posix.dirname(file).replace(/^\/var\/run\//, '/run/');
      const inJail = lstat(posix.join(jailRoot, directory));
      if (!isWritableArea(directory)) {
        unresolved.push({ path: file, why: `${why}: the service writes outside the areas learning makes writable (/var/log, /var/cache, /var/lib, /var/spool, /run, …)` });
      } else if (!inJail || (event.errno === 'EACCES' && inJail.isDirectory())) {
        add({ kind: 'directory', value: directory, owner: user, why: `${why}: the service writes there` });
      }
      continue;
    }
    const host = lstat(file);
    if (!host) {
      absent.push({ path: file, why: `${why}: the host has no such file either` });
      continue;
    }
    if (file.startsWith('/dev/')) {
      const name = file.slice(5);
      if ((KNOWN_DEVICES as readonly string[]).includes(name)) add({ kind: 'device', value: name, why });
      else unresolved.push({ path: file, why: `${why}: jailwright creates only the devices ${KNOWN_DEVICES.join(', ')}` });
      continue;
    }
    if (event.errno === 'EACCES') {
      unresolved.push({ path: file, why: `${why}: in the jail but not readable by the service (give it an owner or mode in the recipe)` });
      continue;
    }
    if (host.isDirectory()) {
      // A directory the service lists brings what is in it (Apache's Include mods-enabled/*.load); one it only stats is made empty.
      if (/O_DIRECTORY/.test(event.flags ?? '')) add({ kind: 'file', value: file, why: `${why}: the service lists it` });
      else if (isWritableArea(file)) add({ kind: 'directory', value: file, owner: user, why: `${why}: a directory in a writable area is the service's own` });
      else add({ kind: 'directory', value: file, why });
    } else if (/\.so(\.|$)/.test(posix.basename(file)) && (await isElf(file))) {
      await addLibrary(add, file, why);
    } else if (host.isFile() || host.isSymbolicLink()) {
      add({ kind: 'file', value: file, why });
    }
  }
}

/**
 * The config files the recipe itself provides (its own `write:` and `files:` entries, and the files under a
 * config directory it copies, such as Debian's /etc/apache2) name host files the service will ask for next:
 * a service that stops at its first failure (Apache and `LoadModule`) would otherwise teach one missing file
 * per run. Scanned: the provided files the service opened, every file in a provided directory it listed,
 * and what their `Include`/`IncludeOptional`/`include` lines name (globs too, relative to the including
 * file's directory), even past the point where this run stopped. `${NAME}` is read from launch.env, as the
 * service reads it (Debian's `ErrorLog ${APACHE_LOG_DIR}/error.log`); comment lines are skipped. From what
 * they name: read-only system files (/etc, /usr/share, /usr/lib, /lib) are copied; host directories are made
 * empty, never copied; in a writable area a directive or variable ending in "Dir"/"directory" names a
 * directory the service writes in, any other path a file it creates, whose directory is made.
 */
async function scanConfigs(events: TraceEvent[], jailRoot: string, original: LoadedRecipe, loaded: LoadedRecipe, user: string | undefined, add: Add): Promise<void> {
  const jail = original.recipe.jail;
  const provided = [...jail.write.map((entry) => entry.path), ...jail.files.map((file) => file.to)];
  const isProvided = (file: string) => provided.some((entry) => file === entry || file.startsWith(`${entry}/`));
  const environment = loaded.recipe.launch?.env ?? {};
  const directoryValues = new Set(Object.entries(environment).filter(([name]) => /dir(ectory)?$/i.test(name)).map(([, value]) => posix.normalize(value)));
  const opened = events.filter((event) => event.syscall.startsWith('open') && (event.result ?? -1) >= 0 && event.path && isProvided(event.path));
  const queue = opened.map((event) => event.path as string);
  for (const event of opened.filter((candidate) => /O_DIRECTORY/.test(candidate.flags ?? ''))) {
    for (const entry of listDirectory(posix.join(jailRoot, event.path as string))) queue.push(posix.join(event.path as string, entry));
  }
  const scanned = new Set<string>();
  for (let config = queue.shift(); config !== undefined; config = queue.shift()) {
    if (scanned.has(config)) continue;
    scanned.add(config);
    const onHost = posix.join(jailRoot, config);
    const info = statInside(onHost, jailRoot);
    if (!info?.isFile() || info.size > 1 << 20 || (await isElf(onHost))) continue;
    const lines = readFileSync(onHost, 'utf8').split('\n');
    for (const [index, raw] of lines.entries()) {
      if (/^\s*(#|\/\/|;)/.test(raw)) continue;
      const text = raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => environment[name] ?? whole);
      const include = /^\s*include\w*\s+["']?([^"'\s;]+)/i.exec(text)?.[1];
      if (include) queue.push(...matchGlob(posix.resolve(posix.dirname(config), include), jailRoot).filter(isProvided));
      for (const match of text.matchAll(/(?<=^|[\s"'=:])(\/[A-Za-z0-9._+@%:\/-]+)/g)) {
        const named = posix.normalize(match[1] as string).replace(/\/$/, '').replace(/^\/var\/run\//, '/run/');
        if (named === '' || named === '/' || isProvided(named) || refusedPath(named) || lstat(posix.join(jailRoot, named))) continue;
        const why = `named by ${config}:${index + 1}`;
        if (isWritableArea(named)) {
          const directive = /(\S+)\s*["']?$/.exec(text.slice(0, match.index))?.[1] ?? '';
          const directory = directoryValues.has(named) || /dir(ectory)?$/i.test(directive.replace(/[^A-Za-z]/g, '')) ? named : posix.dirname(named);
          if (isWritableArea(directory) && !lstat(posix.join(jailRoot, directory))) add({ kind: 'directory', value: directory, owner: user, why: `${why} (${directory === named ? 'a directory' : 'a file'} the service writes)` });
          continue;
        }
        const host = lstat(named);
        if (host?.isDirectory()) add({ kind: 'directory', value: named, why: `${why} (made empty: its content is not copied)` });
        else if (host && (host.isFile() || host.isSymbolicLink()) && SYSTEM_FILE_AREAS.test(named)) {
          if (/\.so(\.|$)/.test(posix.basename(named)) && (await isElf(named))) await addLibrary(add, named, why);
          else add({ kind: 'file', value: named, why });
        }
      }
    }
  }
}

/** The jail paths a config include names: a file, a directory (its files, as Apache includes them), or a glob with `*` and `?` in its last part. */
export function matchGlob(pattern: string, jailRoot: string): string[] {
  const base = posix.basename(pattern);
  if (!/[*?]/.test(base)) return statInside(posix.join(jailRoot, pattern), jailRoot)?.isDirectory() ? matchGlob(posix.join(pattern, '*'), jailRoot) : [pattern];
  const expression = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  const directory = posix.dirname(pattern);
  return listDirectory(posix.join(jailRoot, directory)).filter((name) => expression.test(name) && !name.startsWith('.')).sort().map((name) => posix.join(directory, name));
}

/** The names in a directory, or none when it cannot be read. */
function listDirectory(directory: string): string[] {
  try {
    return readdirSync(directory);
  } catch {
    return [];
  }
}

/** stat() of a jail file, following its links only while they stay inside the jail. */
function statInside(file: string, jailRoot: string): Stats | undefined {
  const resolved = real(file);
  if (resolved !== jailRoot && !resolved.startsWith(`${jailRoot}/`)) return undefined;
  try {
    return statSync(resolved);
  } catch {
    return undefined;
  }
}

const ABSENT_SHOWN = 8;

function explain(iteration: LearnIteration, ran: boolean, program: string): string {
  const parts: string[] = [];
  if (!ran) parts.push(`the service never ran in the jail (${program} was never executed there, or made no call after its chroot): check launch.command and the output below`);
  else if (iteration.stoppedBy === 'exit') parts.push(`the service exited (code ${iteration.exitCode ?? '?'}) and asked for nothing the host has that the jail lacks`);
  else parts.push('the service ran but its probes did not pass');
  for (const result of iteration.probeResults.filter((probe) => !probe.ok)) parts.push(`probe ${result.probe}: expected ${result.expected}, got ${result.actual}`);
  for (const entry of iteration.unresolved) parts.push(`${entry.path}: ${entry.why}`);
  // The last paths a failing service asked for in vain are the likeliest cause; earlier ones are mostly probing.
  const last = iteration.absent.slice(-ABSENT_SHOWN);
  if (last.length > 0) parts.push(`asked for and absent on the host too (the last ${last.length} of ${iteration.absent.length}):`, ...last.map((entry) => `  ${entry.why}`));
  if (iteration.output) parts.push(`last output:\n${iteration.output}`);
  return parts.join('\n');
}

/** One line (plus details) per iteration, for people. */
export function formatIteration(iteration: LearnIteration): string {
  const outcome = iteration.probesPassed ? 'probes passed' : iteration.stoppedBy === 'exit' ? `service exited (code ${iteration.exitCode ?? '?'})` : `stopped (${iteration.stoppedBy}), probes failing`;
  const lines = [`run ${iteration.number}: ${outcome}; ${iteration.additions.length} to add (${(iteration.durationMs / 1000).toFixed(1)} s)`];
  for (const addition of iteration.additions) lines.push(`  + ${addition.kind} ${addition.value}${addition.owner ? ` (owner ${addition.owner})` : ''}: ${addition.why}`);
  for (const entry of iteration.unresolved) lines.push(`  ! ${entry.path}: ${entry.why}`);
  return `${lines.join('\n')}\n`;
}
