import { access, constants, lstat, mkdir, open, readFile, realpath, stat } from 'node:fs/promises';
import path, { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { currentJail, jailLayout } from '../apply/jail-layout.js';
import { defaultJailRoot } from '../build-jail.js';
import { ExitCode, JailwrightError } from '../errors.js';
import { corePackageFile } from '../package-file.js';
import { readHostAccounts } from '../host/accounts.js';
import type { NormalizedLaunch } from '../recipe/launch-schema.js';
import { loadRecipe, type LoadedRecipe } from '../recipe/load.js';
import { resolveRecipeReference } from '../recipe/resolve-reference.js';
import { companionCommand, launchCommand, type LaunchTools, type ServiceIdentity } from './launch-command.js';
import { prepareLandlockScope, type LandlockScopeStatus } from './landlock-scope.js';
import { launchFiles, type LaunchFiles } from './launch-files.js';
import { type LaunchSpec, type LaunchState, readJson, writeJsonAtomically, writePidfile } from './launch-state.js';
import { isRunning, processIdentity, type ProcessIdentity, signalProcess, waitGone } from '../host/processes.js';
import { pinGeneration } from '../apply/generation-pins.js';
import { findCurrentGeneration } from '../apply/current-generation.js';
import { descriptor, supervise } from './supervise.js';
import { assertOwnServiceAccount } from './service-account.js';
import { closeInheritedDescriptors } from './inherited-descriptors.js';
import type { Probe } from '../recipe/probe-schema.js';
import type { ProbeResult } from '../check/probe-result.js';

/** Which jail a command acts on. */
export interface ServiceTarget {
  recipe: string;
  root?: string | undefined;
  cwd?: string | undefined;
}

/** A running, stopped or crashed service, as `status` reports it. */
export interface ServiceStatus {
  recipe: string;
  root: string;
  state: 'running' | 'starting' | 'stopped' | 'crashed';
  servicePid?: number | undefined;
  supervisorPid?: number | undefined;
  /** Processes outside the jail that run beside the service (`launch.companions`). */
  companions?: { name: string; pid: number; running: boolean }[] | undefined;
  startedAt?: string | undefined;
  uptimeSeconds?: number | undefined;
  restarts: number;
  lastExit?: LaunchState['lastExit'];
  problem?: string | undefined;
  /** While it runs: whether Landlock scopes confine it (a missing scope is a warning, not a failure). */
  landlock?: LandlockScopeStatus | undefined;
  log: string;
}

/** A command's target, resolved: the loaded recipe, the jail root, and where its launch bookkeeping lives. */
export interface ResolvedTarget {
  loaded: LoadedRecipe;
  root: string;
  files: LaunchFiles;
}

/** Resolves the recipe reference and the jail root a command acts on. */
export async function resolveTarget(target: ServiceTarget): Promise<ResolvedTarget> {
  const file = await resolveRecipeReference(target.recipe, { cwd: target.cwd });
  // Without --root the recipe's name says where the jail is: read it first, as the top level.
  let first: LoadedRecipe | undefined;
  let root: string;
  if (target.root !== undefined) root = path.resolve(target.root);
  else {
    first = await loadRecipe(file);
    root = path.resolve(defaultJailRoot(first.recipe.name));
  }
  // The jail was built for one variant and set of option values: start, check and stop follow it.
  const selection = (await findCurrentGeneration(root))?.manifest.inputs?.selection;
  const loaded = first && !selection ? first : await loadRecipe(file, selection);
  return { loaded, root, files: launchFiles(jailLayout(root)) };
}

function assertRootUser(action: string): void {
  if (process.getuid?.() !== 0) {
    throw new JailwrightError(`${action} needs root: it makes namespaces, mounts and switches users`, {
      exitCode: ExitCode.environment,
      hint: 'Run it with sudo.',
    });
  }
}

type HostTool = Exclude<keyof LaunchTools, 'landlock'>;

const TOOL_PACKAGES: Record<HostTool, string> = {
  unshare: 'util-linux',
  setsid: 'util-linux',
  setpriv: 'util-linux',
  mount: 'mount',
  chroot: 'coreutils',
  sh: 'dash (or any POSIX sh)',
};

/** The launch tools by absolute path, from the system directories only. */
export async function findLaunchTools(): Promise<LaunchTools> {
  const directories = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  const tools: Partial<LaunchTools> = {};
  for (const name of Object.keys(TOOL_PACKAGES) as HostTool[]) {
    for (const directory of directories) {
      const candidate = posix.join(directory, name);
      if (await access(candidate, constants.X_OK).then(() => true, () => false)) {
        tools[name] = candidate;
        break;
      }
    }
    if (!tools[name]) {
      throw new JailwrightError(`launching a service needs ${name}, which is not installed in ${directories.join(', ')}`, {
        exitCode: ExitCode.environment,
        hint: `Install the ${TOOL_PACKAGES[name]} package.`,
      });
    }
  }
  return tools as LaunchTools;
}

/** The service account's numeric ids from the host accounts: its primary group unless the recipe names one, and only the groups the recipe names. */
export async function resolveServiceIdentity(launch: NormalizedLaunch): Promise<ServiceIdentity | undefined> {
  if (launch.user === undefined) return undefined;
  const accounts = await readHostAccounts();
  const user = /^\d+$/.test(launch.user) ? { uid: Number(launch.user), gid: undefined } : accounts.users.find((entry) => entry.name === launch.user);
  if (!user) {
    throw new JailwrightError(`launch.user ${JSON.stringify(launch.user)} is not a host account`, {
      exitCode: ExitCode.environment,
      hint: 'Build the jail first (jail.users: [{ name: ..., create: true }] creates it), or create the account.',
    });
  }
  const groupId = (name: string, key: string) => {
    if (/^\d+$/.test(name)) return Number(name);
    const group = accounts.groups.find((entry) => entry.name === name);
    if (!group) throw new JailwrightError(`${key} ${JSON.stringify(name)} is not a host group`, { exitCode: ExitCode.environment });
    return group.gid;
  };
  const gid = launch.group !== undefined ? groupId(launch.group, 'launch.group') : user.gid;
  if (gid === undefined) throw new JailwrightError(`launch.user ${launch.user} is numeric: name launch.group too`);
  return { uid: user.uid, gid, groups: launch.groups.map((name) => groupId(name, 'launch.groups')) };
}

/** The supervisor entry point in this package's dist (found from wherever this code was bundled). */
export function supervisorEntry(): string {
  return corePackageFile('dist/launch/supervisor.js');
}

/** The state of a launch right now, from its state file and the processes it names. */
export function readServiceStatus(recipe: string, root: string, files: LaunchFiles): ServiceStatus {
  const state = readJson<LaunchState>(files.state);
  const base = { recipe, root, log: files.serviceLog, restarts: state?.restarts ?? 0, lastExit: state?.lastExit, problem: state?.problem };
  if (!state) return { ...base, state: 'stopped' };
  const supervisorUp = isRunning(state.supervisor);
  const serviceUp = isRunning(state.service);
  if (serviceUp) {
    const startedAt = state.startedAt;
    return {
      ...base,
      state: 'running',
      servicePid: state.service?.pid,
      supervisorPid: supervisorUp ? state.supervisor.pid : undefined,
      ...(state.companions?.length ? { companions: state.companions.map((companion) => ({ name: companion.name, pid: companion.pid, running: isRunning(companion) })) } : {}),
      startedAt,
      uptimeSeconds: startedAt ? Math.max(0, Math.round((Date.now() - Date.parse(startedAt)) / 1000)) : undefined,
      landlock: state.landlock,
      ...(supervisorUp ? {} : { problem: 'the supervisor is gone: the service runs unsupervised (stop it, then start it again)' }),
    };
  }
  if (supervisorUp && (state.status === 'starting' || state.status === 'backoff')) return { ...base, state: 'starting', supervisorPid: state.supervisor.pid };
  if (state.status === 'stopped' || state.status === 'exited') return { ...base, state: 'stopped' };
  if (state.status === 'crashed') return { ...base, state: 'crashed' };
  return { ...base, state: 'crashed', problem: state.problem ?? `the supervisor stopped unexpectedly while the service was ${state.status}` };
}

/** `status`: what runs for a recipe's jail. */
export async function serviceStatus(target: ServiceTarget): Promise<ServiceStatus> {
  const { loaded, root, files } = await resolveTarget(target);
  return readServiceStatus(loaded.recipe.name, root, files);
}

/** What `start` did. */
export interface StartOutcome {
  status: ServiceStatus;
  alreadyRunning: boolean;
  /** The readiness probes (the recipe's probes but `log`), each passed, when the recipe has any. */
  ready?: ProbeResult[] | undefined;
}

/** Options of `start`. */
export interface StartOptions extends ServiceTarget {
  restart?: 'no' | 'on-failure' | undefined;
  /** Supervise in this process until stopped instead of detaching a supervisor. */
  foreground?: boolean | undefined;
  /** The root is a plain directory tree jailwright did not build (e.g. an OCI image unpacked by umoci). */
  plainRoot?: boolean | undefined;
}

async function lastLines(file: string, count: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** `start`: launches the service in its jail under a detached supervisor and waits until it runs. */
export async function startService(options: StartOptions): Promise<StartOutcome> {
  return startResolved(await resolveTarget(options), options);
}

async function startResolved({ loaded, root, files }: ResolvedTarget, options: StartOptions): Promise<StartOutcome> {
  const launch = loaded.recipe.launch;
  if (!launch) {
    throw new JailwrightError(`recipe ${loaded.file} has no launch section: it says how the jail is built, not how its service starts`, {
      hint: 'Add launch: { mode: engine-chroot, command: [/path/in/jail], user: ... } (see the recipe schema).',
    });
  }
  assertRootUser('starting a service');
  const existing = readServiceStatus(loaded.recipe.name, root, files);
  if (existing.state === 'running' || existing.state === 'starting') return { status: existing, alreadyRunning: true };

  const layout = jailLayout(root);
  const jail = await currentJail(layout, async () => false);
  const plainTree = options.plainRoot === true && jail.kind === 'foreign' && (await stat(root)).isDirectory();
  if (jail.kind !== 'generation' && !plainTree) {
    throw new JailwrightError(`no jail built by jailwright at ${root}${options.plainRoot ? ` (--plain-root: ${jail.kind === 'foreign' ? jail.description : jail.kind})` : ''}`, {
      exitCode: ExitCode.environment,
      hint: `Build it first: jailwright build ${options.recipe} --root ${root} (or, for a tree made elsewhere such as an unpacked OCI image, start --plain-root)`,
    });
  }
  const jailRoot = await realpath(jail.kind === 'generation' ? jail.directory : root);
  // A generation is pinned while its service runs, so a rebuild keeps it; a plain tree has no generations.
  const pin = (holder: ProcessIdentity) => {
    if (jail.kind === 'generation') pinGeneration(jailRoot, holder);
  };
  // The last run was in an older generation (a build or update swapped a new one in since): what it
  // wrote into its log, spool and run directories after that swap comes along before this run starts.
  const lastRun = readJson<LaunchState>(files.state)?.jailRoot;
  if (jail.kind === 'generation' && lastRun && lastRun !== jailRoot) {
    const { refreshServiceData } = await import('../apply/apply.js');
    await refreshServiceData(root, lastRun);
  }
  const tools = await findLaunchTools();
  const landlock = await prepareLandlockScope();
  const identity = await resolveServiceIdentity(launch);
  assertOwnServiceAccount(loaded.recipe.name, launch, identity);
  const program = launch.command[0] as string;
  const executable = launch.mode === 'engine-chroot' ? posix.join(jailRoot, program) : program;
  await access(executable, constants.X_OK).catch(() => {
    throw new JailwrightError(
      `launch.command program ${program} is not an executable file ${launch.mode === 'engine-chroot' ? `in the jail (${executable})` : 'on the host'}`,
      { hint: launch.mode === 'engine-chroot' ? `Add it to jail.files and build again.` : 'Install it, or fix the path.' },
    );
  });

  for (const companion of launch.companions) {
    const companionProgram = companion.command[0] as string;
    await access(companionProgram, constants.X_OK).catch(() => {
      throw new JailwrightError(`launch.companions ${companion.name}: ${companionProgram} is not an executable file on the host`, { hint: 'Install it, or fix the path.' });
    });
  }

  // A build made the state directory beside a generation; a plain tree gets it here, root-only.
  await mkdir(files.directory, { mode: 0o700, recursive: true });
  const info = await lstat(files.directory);
  if (!info.isDirectory() || info.uid !== 0 || info.mode & 0o077) {
    throw new JailwrightError(`${files.directory} is not a directory only root can use`, { exitCode: ExitCode.environment, hint: 'Remove it (it holds only launch bookkeeping) and start again.' });
  }
  const spec: LaunchSpec = {
    recipe: loaded.recipe.name,
    recipeFile: loaded.file,
    jailRoot,
    command: launchCommand(launch, jailRoot, identity, { ...tools, landlock: landlock.helper }),
    executable,
    restart: options.restart ?? launch.restart,
    stopSignal: launch.stop.signal,
    stopTimeoutMs: launch.stop.timeoutSeconds * 1000,
    readyTimeoutMs: launch.readyTimeoutSeconds * 1000,
    serviceLog: files.serviceLog,
    landlock: landlock.status,
    ...(launch.companions.length === 0
      ? {}
      : { companions: launch.companions.map((companion) => ({ name: companion.name, command: companionCommand(companion, jailRoot, tools) })) }),
  };
  writeJsonAtomically(files.spec, spec);
  writePidfile(files.pidfile, undefined);

  // The jail's /dev/log is ready before the service starts, so its first syslog(3) call finds it.
  const { startSyslog } = await import('../syslog/index.js');
  const syslog = await startSyslog(loaded.recipe.syslog, syslogContext({ loaded, root, files }));
  let readyBy: number;
  let started: StartOutcome;
  try {
    if (options.foreground) {
      // This process is the supervisor now: what its caller leaked to it must not reach the service.
      closeInheritedDescriptors();
      pin(processIdentity(process.pid) as ProcessIdentity);
      process.exitCode = await supervise(files);
      await syslog.stop();
      return { status: readServiceStatus(loaded.recipe.name, root, files), alreadyRunning: false };
    }
    readyBy = Date.now() + spec.readyTimeoutMs;
    started = await startSupervisor({ loaded, root, files }, spec, pin);
  } catch (error) {
    await syslog.stop();
    throw error;
  }
  // From here the service runs and keeps its syslog socket, ready or not.
  const probes = (loaded.recipe.probes ?? []).filter((probe) => probe.type !== 'log');
  if (probes.length === 0) return started;
  return { ...started, ready: await awaitReadiness({ loaded, root, files }, spec, probes, readyBy, started.status) };
}

async function startSupervisor({ loaded, root, files }: ResolvedTarget, spec: LaunchSpec, pin: (holder: ProcessIdentity) => void): Promise<StartOutcome> {
  const supervisorLog = await open(files.supervisorLog, 'a', 0o600);
  let supervisorPid: number | undefined;
  let supervisorExited = false;
  try {
    const supervisor = execa(process.execPath, [supervisorEntry(), files.directory], {
      detached: true,
      stdin: 'ignore',
      stdout: descriptor(supervisorLog.fd),
      stderr: descriptor(supervisorLog.fd),
      cleanup: false,
      reject: false,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      extendEnv: false,
      cwd: '/',
    });
    supervisorPid = supervisor.pid;
    supervisor.unref();
    // The supervisor lives as long as the service: a rebuild keeps this generation's tree until both are gone.
    const holder = supervisorPid === undefined ? undefined : processIdentity(supervisorPid);
    if (holder) pin(holder);
    void supervisor.then(() => {
      supervisorExited = true;
    });
  } finally {
    await supervisorLog.close();
  }

  const deadline = Date.now() + spec.readyTimeoutMs + 2000;
  for (;;) {
    await sleep(20);
    const state = readJson<LaunchState>(files.state);
    const ours = state !== undefined && state.supervisor.pid === supervisorPid;
    const status = readServiceStatus(loaded.recipe.name, root, files);
    if (ours && state.status === 'running' && status.state === 'running') return { status, alreadyRunning: false };
    if (supervisorExited || (ours && status.state !== 'starting' && status.state !== 'running') || Date.now() > deadline) {
      const log = await lastLines(files.serviceLog, 10);
      const problem = ours ? status.problem : undefined;
      throw new JailwrightError(
        `${loaded.recipe.name} did not start${problem ? `: ${problem}` : ''}` +
          (ours && status.lastExit ? ` (exit: ${status.lastExit.signal ?? `code ${status.lastExit.code}`})` : '') +
          (log ? `\nlast lines of ${files.serviceLog}:\n${log}` : ''),
        { exitCode: ExitCode.findings, hint: `The supervisor's own log: ${files.supervisorLog}` },
      );
    }
  }
}

/**
 * Waits until every readiness probe passes (a service is up when it answers, not when its program runs),
 * until `readyBy`. `log` probes are left to `check`: the line they look for usually needs traffic first.
 * On failure the service is left running, for a look with check and logs.
 */
async function awaitReadiness(
  { loaded, root, files }: ResolvedTarget,
  { jailRoot, readyTimeoutMs }: LaunchSpec,
  probes: Probe[],
  readyBy: number,
  status: ServiceStatus,
): Promise<ProbeResult[]> {
  const [{ waitFor }, { processTree }, { formatProbeResult }] = await Promise.all([
    import('../check/run-probe.js'),
    import('../check/process-tree.js'),
    import('../check/probe-result.js'),
  ]);
  const pids = status.servicePid === undefined ? [] : await processTree(status.servicePid);
  // At least one full attempt each, even when starting the program used up the time.
  const timeoutMs = Math.max(readyBy - Date.now(), 1000);
  const results = await Promise.all(probes.map((probe) => waitFor(probe, { root: jailRoot, pids }, { timeoutMs, intervalMs: 100 })));
  const failed = results.filter((result) => !result.ok);
  if (failed.length === 0) return results;
  const now = readServiceStatus(loaded.recipe.name, root, files);
  throw new JailwrightError(
    `${loaded.recipe.name} started (service pid ${status.servicePid}) but is not ready within launch.readyTimeoutSeconds (${readyTimeoutMs / 1000} s):\n${failed.map((result) => `  ${formatProbeResult(result)}`).join('\n')}\n` +
      `the service is ${now.state === 'running' ? 'left running' : now.state}`,
    {
      exitCode: ExitCode.findings,
      hint: `Look with jailwright check/logs ${loaded.file} --root ${root}; stop it with jailwright stop ${loaded.file} --root ${root}.`,
    },
  );
}

/** What `restart` did. */
export interface RestartOutcome {
  stopped: StopOutcome;
  started: StartOutcome;
}

/**
 * `restart`: stop, then start, keeping the restart policy the last run had unless one is given. The new run
 * has a new supervisor, so its `restarts` counter (automatic restarts after failures) starts again at 0.
 */
export async function restartService(options: StartOptions): Promise<RestartOutcome> {
  const resolved = await resolveTarget(options);
  const previous = readJson<LaunchSpec>(resolved.files.spec);
  const stopped = await stopResolved(resolved);
  const started = await startResolved(resolved, { ...options, restart: options.restart ?? previous?.restart });
  return { stopped, started };
}

/** What `stop` did. */
export interface StopOutcome {
  recipe: string;
  root: string;
  wasRunning: boolean;
  killed: boolean;
}

/**
 * `stop`: asks the supervisor to stop the service (stop signal, SIGKILL after the timeout) and waits until
 * the service, its launcher and the supervisor are gone, killing by PID (checked against start time) what
 * outlives the timeout. Removes the pidfile.
 */
export async function stopService(target: ServiceTarget & { purge?: boolean | undefined }): Promise<StopOutcome> {
  return stopResolved(await resolveTarget(target), target.purge);
}

async function stopResolved(resolved: ResolvedTarget, purge?: boolean): Promise<StopOutcome> {
  assertRootUser('stopping a service');
  const outcome = await stopProcesses(resolved);
  // The syslog socket outlives restarts of the service; it goes when the service is stopped.
  const { stopSyslog } = await import('../syslog/index.js');
  await stopSyslog(resolved.loaded.recipe.syslog, syslogContext(resolved), { purge });
  return outcome;
}

/** The syslog context of a jail: its root as named, its name, and its state directory. */
function syslogContext({ loaded, root }: ResolvedTarget) {
  return { jailRoot: root, jailName: loaded.recipe.name, stateDir: jailLayout(root).state };
}

async function stopProcesses({ loaded, root, files }: ResolvedTarget): Promise<StopOutcome> {
  const state = readJson<LaunchState>(files.state);
  const spec = readJson<LaunchSpec>(files.spec);
  const timeoutMs = spec?.stopTimeoutMs ?? (loaded.recipe.launch?.stop.timeoutSeconds ?? 10) * 1000;
  const outcome = { recipe: loaded.recipe.name, root, wasRunning: false, killed: false };
  if (!state) return outcome;
  const processes = [state.service, state.launcher, ...(state.companions ?? []), state.supervisor];
  outcome.wasRunning = processes.some(isRunning);
  if (!outcome.wasRunning) {
    writePidfile(files.pidfile, undefined);
    return outcome;
  }
  if (isRunning(state.supervisor)) signalProcess(state.supervisor, 'SIGTERM');
  else if (state.service) signalProcess(state.service, spec?.stopSignal ?? 'SIGTERM');
  if (!(await waitGone(processes, timeoutMs + 1000))) {
    outcome.killed = true;
    for (const process_ of processes) if (process_) signalProcess(process_, 'SIGKILL');
    if (!(await waitGone(processes, 5000))) {
      throw new JailwrightError(`processes of ${loaded.recipe.name} survived SIGKILL: ${processes.filter(isRunning).map((p) => p?.pid).join(', ')}`, { exitCode: ExitCode.environment });
    }
  }
  const after = readJson<LaunchState>(files.state);
  if (after?.killedAfterStopTimeout && after.supervisor.pid === state.supervisor.pid) outcome.killed = true;
  if (after && after.status !== 'stopped') writeJsonAtomically(files.state, { ...after, status: 'stopped', service: undefined, launcher: undefined, companions: undefined, updatedAt: new Date().toISOString() });
  writePidfile(files.pidfile, undefined);
  return outcome;
}
