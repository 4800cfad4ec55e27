import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { LaunchCommand } from './launch-command.js';
import { isRunning, type ProcessIdentity } from '../host/processes.js';
import type { LaunchFiles } from './launch-files.js';
import type { LandlockScopeStatus } from './landlock-scope.js';

/** Everything the supervisor needs, resolved by `start` (recipe, accounts, jail path, tools): it loads no recipe itself. */
export interface LaunchSpec {
  recipe: string;
  recipeFile: string;
  /** Real path of the jail generation the service runs in. */
  jailRoot: string;
  command: LaunchCommand;
  /** Host path of the service's program: the service is up once its PID runs this file. */
  executable: string;
  restart: 'no' | 'on-failure';
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  readyTimeoutMs: number;
  serviceLog: string;
  /** Whether the chain applies Landlock scopes (absent in specs written before they existed). */
  landlock?: LandlockScopeStatus | undefined;
  /** Processes outside the jail started once the service runs and stopped with it (absent: none). */
  companions?: { name: string; command: LaunchCommand }[];
}

/** The supervisor's view of a launch. */
export type LaunchStatus = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'exited' | 'crashed';

/** The exit of one run of the service. */
export interface ServiceExit {
  code: number | null;
  signal: string | null;
  at: string;
}

/** The state file, kept by the supervisor in the launch directory. */
export interface LaunchState {
  recipe: string;
  jailRoot: string;
  status: LaunchStatus;
  supervisor: ProcessIdentity;
  supervisorStartedAt: string;
  /** The service: pid 1 of its pid namespace, seen by its host PID. */
  service?: ProcessIdentity | undefined;
  /** The unshare process the service runs under. */
  launcher?: ProcessIdentity | undefined;
  /** The companions of the current run, outside the jail, by name. */
  companions?: (ProcessIdentity & { name: string })[] | undefined;
  /** When the current run of the service started. */
  startedAt?: string | undefined;
  restarts: number;
  lastExit?: ServiceExit | undefined;
  /** The service outlived its stop timeout and the supervisor killed it. */
  killedAfterStopTimeout?: boolean | undefined;
  /** Whether the service runs under Landlock scopes, copied from the spec. */
  landlock?: LandlockScopeStatus | undefined;
  /** Why the supervisor gave up or failed, in words. */
  problem?: string | undefined;
  updatedAt: string;
}

/** Writes JSON atomically (write beside, rename over): readers never see half a file. */
export function writeJsonAtomically(file: string, value: unknown): void {
  const next = `${file}.new`;
  writeFileSync(next, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(next, file);
}

/** Reads a JSON file, or undefined when it is missing or unreadable. */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes or removes the pidfile. */
export function writePidfile(file: string, pid: number | undefined): void {
  if (pid === undefined) rmSync(file, { force: true });
  else writeFileSync(file, `${pid}\n`, { mode: 0o644 });
}

/**
 * The generation the jail's service runs in: `current` when it runs in `generationDirectory` (the real path of the
 * generation the root points at now), `older` when in another one (the jail was updated or rebuilt without a
 * restart), `stopped` when it does not run. `start` records the real path of the generation it launched in.
 */
export function serviceGeneration(files: LaunchFiles, generationDirectory: string): 'current' | 'older' | 'stopped' {
  const state = readJson<LaunchState>(files.state);
  if (state?.service === undefined || !isRunning(state.service)) return 'stopped';
  return state.jailRoot === generationDirectory ? 'current' : 'older';
}
