import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { assertRoot } from '../apply/root-safety.js';
import { ExitCode, JailwrightError } from '../errors.js';
import type { BuildOperatingSystem } from '../recipe/build-schema.js';
import { loadRecipeAsWritten } from '../recipe/load.js';
import { resolveRecipeReference } from '../recipe/resolve-reference.js';
import { ENGINE_VERSION } from '../version.js';
import { planCompile, type CompilePlan } from './compile-plan.js';
import { writeCompiledBinaries, type CompiledBinaries } from './compiled-binaries.js';
import { checkSource, unpackSource, type SourceCheck } from './source.js';
import { applySourceEdits, formatSourceEdits } from './source-edits.js';

/** What `compileRecipe` is asked to do. */
export interface CompileOptions {
  /** A recipe.yaml path, a recipe package or an installed short name. */
  recipe: string;
  /** A release tarball or an unpacked source tree. */
  source: string;
  profile?: string | undefined;
  prefix?: string | undefined;
  /** Parallel make jobs (default: the number of CPUs). */
  jobs?: number | undefined;
  /** The full build log (default: <work directory>/../<recipe>-compile.log). */
  log?: string | undefined;
  /** Where the source is unpacked and built (default: a new directory under /var/tmp/jailwright-compile). */
  workDirectory?: string | undefined;
  /** Keep the work directory after a successful build. */
  keep?: boolean | undefined;
  /** Plan only: check the source and print what would be written and run. */
  dryRun?: boolean | undefined;
  os?: BuildOperatingSystem | undefined;
  cwd?: string | undefined;
  /** A phase starts ("configure", …) or ends. */
  onPhase?: ((event: PhaseEvent) => void) | undefined;
}

export interface PhaseEvent {
  phase: string;
  index: number;
  total: number;
  state: 'start' | 'done';
  seconds?: number;
}

/** One phase of a compile: wall-clock seconds, and the CPU seconds its programs used (what a machine of its own would need). */
export interface CompilePhase {
  name: string;
  seconds: number;
  cpuSeconds: number;
}

/** What a compile did. */
export interface CompileOutcome {
  recipe: string;
  recipeFile: string;
  source: SourceCheck;
  plan: CompilePlan;
  log?: string;
  workDirectory?: string;
  phases: CompilePhase[];
  /** The compile record `build` and `start` read (absent for a dry run). */
  record?: CompiledBinaries;
  recordFile?: string;
}

const DEFAULT_WORK_PARENT = '/var/tmp/jailwright-compile';

/**
 * Builds a recipe's service from source with one of its build profiles: unpack (or copy) the source into a
 * scratch directory, write the profile's files, run its steps with the output in a log, install into a
 * staging DESTDIR, move the prefix into place and record it as the recipe's source of binaries.
 */
export async function compileRecipe(options: CompileOptions): Promise<CompileOutcome> {
  const recipeFile = await resolveRecipeReference(options.recipe, { cwd: options.cwd });
  const { recipe } = await loadRecipeAsWritten(recipeFile);
  if (!recipe.build) {
    throw new JailwrightError(`recipe ${recipe.name} (${recipeFile}) has no build section: it cannot be compiled from source`, {
      hint: 'add `build: { profiles: { default: { prefix: …, configure: […], replaces: {…} } } }` (see the core README, "compile")',
    });
  }
  const jobs = options.jobs ?? availableParallelism();
  const os = options.os ?? 'linux';
  const sourcePath = resolve(options.cwd ?? process.cwd(), options.source);
  const source = await checkSource(sourcePath, recipe.build.releases ?? []);
  if (options.dryRun) {
    const plan = planCompile(recipe.build, { profile: options.profile, prefix: options.prefix, destdir: '<work>/stage', jobs, os });
    return { recipe: recipe.name, recipeFile, source, plan, phases: [] };
  }
  assertRoot('compiling into a system prefix and recording it for build');
  await mkdir(DEFAULT_WORK_PARENT, { recursive: true, mode: 0o700 });
  const workDirectory = options.workDirectory ? resolve(options.workDirectory) : await mkdtemp(join(DEFAULT_WORK_PARENT, `${recipe.name}-`));
  await mkdir(workDirectory, { recursive: true });
  const destdir = join(workDirectory, 'stage');
  const plan = planCompile(recipe.build, { profile: options.profile, prefix: options.prefix, destdir, jobs, os });
  const log = resolve(options.log ?? join(dirname(workDirectory), `${recipe.name}-compile.log`));
  await mkdir(dirname(log), { recursive: true });
  const logStream = createWriteStream(log, { flags: 'w' });
  const phases: CompilePhase[] = [];
  const total = 2 + plan.steps.length + 1;
  let index = 0;
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    index += 1;
    options.onPhase?.({ phase: name, index, total, state: 'start' });
    logStream.write(`\n=== ${name} (${new Date().toISOString()})\n`);
    const started = performance.now();
    const cpuBefore = childrenCpuSeconds();
    const result = await work();
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    phases.push({ name, seconds, cpuSeconds: Math.round((childrenCpuSeconds() - cpuBefore) * 10) / 10 });
    options.onPhase?.({ phase: name, index, total, state: 'done', seconds });
    return result;
  };

  try {
    logStream.write(`jailwright compile ${recipe.name}: profile ${plan.profile}, prefix ${plan.prefix}, source ${sourcePath}` +
      `${source.sha256 ? ` (sha256 ${source.sha256}, ${source.verified ? `verified as release ${source.version}` : 'not a release the recipe knows: unverified'})` : ''}\n`);
    const tree = await phase('unpack', async () => {
      if (source.kind === 'directory') {
        const copy = join(workDirectory, 'source');
        await cp(sourcePath, copy, { recursive: true, verbatimSymlinks: true });
        return copy;
      }
      return unpackSource(sourcePath, join(workDirectory, 'source'));
    });
    await phase('prepare', async () => {
      for (const line of formatSourceEdits(await applySourceEdits(tree, plan.edits))) logStream.write(`${line}\n`);
      for (const file of plan.files) {
        const target = join(tree, file.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, file.content);
        logStream.write(`wrote ${file.path}:\n${file.content}`);
      }
    });
    for (const step of plan.steps) {
      await phase(step.name, () => runStep(step.argv, join(tree, step.directory), logStream, log));
    }
    const record = await phase('place', async () => {
      await placePrefix(join(destdir, plan.prefix), plan.prefix);
      for (const [host, built] of Object.entries(plan.replaces)) {
        await lstat(built).catch(() => {
          throw new JailwrightError(`the build did not install ${built}, which the profile says replaces ${host}`, { exitCode: ExitCode.findings, hint: `see the log: ${log}` });
        });
      }
      const compiled: CompiledBinaries = {
        recipe: recipe.name,
        profile: plan.profile,
        prefix: plan.prefix,
        replaces: plan.replaces,
        source: { path: sourcePath, sha256: source.sha256, version: source.version, verified: source.verified },
        compiledAt: new Date().toISOString(),
        engineVersion: ENGINE_VERSION,
      };
      return compiled;
    });
    const recordFile = await writeCompiledBinaries(record);
    logStream.write(`\nrecorded ${recordFile}\n`);
    if (!options.keep) await rm(workDirectory, { recursive: true, force: true });
    return { recipe: recipe.name, recipeFile, source, plan, log, ...(options.keep ? { workDirectory } : {}), phases, record, recordFile };
  } catch (error) {
    logStream.write(`\nfailed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof JailwrightError) {
      throw new JailwrightError(error.message, { exitCode: error.exitCode, hint: `${error.hint ? `${error.hint}; ` : ''}the build tree is kept in ${workDirectory}` });
    }
    throw error;
  } finally {
    await new Promise((done) => logStream.end(done));
  }
}

/** User and system CPU time of this process's waited-for children (/proc/self/stat cutime + cstime), in seconds. */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: cutime (16) and cstime (17) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

async function runStep(argv: string[], cwd: string, logStream: WriteStream, log: string): Promise<void> {
  logStream.write(`$ ${argv.join(' ')}   (in ${cwd})\n`);
  const [program, ...args] = argv as [string, ...string[]];
  const child = execa(program, args, { cwd, all: true, buffer: false, reject: false, stdin: 'ignore' });
  child.all?.pipe(logStream, { end: false });
  const result = await child;
  if (result.failed) {
    const missing = (result as { code?: string }).code === 'ENOENT';
    throw new JailwrightError(
      missing ? `${program} is not installed (needed by the build step \`${argv.join(' ')}\`)` : `build step \`${argv.join(' ')}\` failed (exit ${result.exitCode ?? result.signal})`,
      { exitCode: missing ? ExitCode.environment : ExitCode.findings, hint: `the full output is in ${log}` },
    );
  }
}

/** Moves the staged prefix into place: copied beside the old one, then swapped in by renames. */
async function placePrefix(staged: string, prefix: string): Promise<void> {
  await lstat(staged).catch(() => {
    throw new JailwrightError(`the install step put nothing in ${staged}`, { exitCode: ExitCode.findings, hint: 'install into DESTDIR={destdir}: the engine moves {destdir}{prefix} to {prefix}' });
  });
  const incoming = `${prefix}.jailwright-new`;
  const outgoing = `${prefix}.jailwright-old`;
  await rm(incoming, { recursive: true, force: true });
  await rm(outgoing, { recursive: true, force: true });
  await mkdir(dirname(prefix), { recursive: true });
  await cp(staged, incoming, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  const existing = await lstat(prefix).then(() => true, () => false);
  if (existing) await rename(prefix, outgoing);
  await rename(incoming, prefix);
  if (existing) await rm(outgoing, { recursive: true, force: true });
}
