import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, jailwright, run, writeRecipe } from '../support/root.js';
import { alive, waitFor as waitForValue } from '../launch/fixtures.js';

/** The breakout probe and the outside helpers, as C sources beside this file. */
export const PROBE_SOURCE = new URL('./probes/probe.c', import.meta.url);
export const OUTSIDE_SOURCE = new URL('./probes/outside.c', import.meta.url);

/** What a probe printed as its verdict. */
export interface Verdict {
  escaped: boolean;
  line: string;
}

/** Every verdict of the run, in order, labelled naive or jailwright; printed when JAILWRIGHT_BREAKOUT_TRANSCRIPT is set. */
export const transcript: string[] = [];

/** The probe's RESULT line in `text`, if it has printed one. */
export function verdictIn(text: string): Verdict | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith('RESULT '));
  return line === undefined ? undefined : { escaped: line.startsWith('RESULT ESCAPED'), line };
}

export { alive };

/** The launch tests' `waitFor`, with a longer default: a probe verdict waits for a whole jail to start. */
export function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  return waitForValue(what, probe, timeoutMs);
}

/** A host process the test started, with its collected stdout; killed by PID when the test is done with it. */
export interface Started {
  child: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns a process on the host (stdin closed, stderr joined to stdout) and registers its PID for cleanup. */
export function startProcess(file: string, args: string[], registry: number[], options: { cwd?: string } = {}): Started {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd ?? '/' });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  if (child.pid === undefined) throw new Error(`cannot start ${file}`);
  registry.push(child.pid);
  return { child, pid: child.pid, output: () => text, exited };
}

/** Runs a naive launch of the probe to its end (bounded: SIGKILL by PID after `timeoutMs`) and returns its verdict. */
export async function naive(file: string, args: string[], registry: number[], timeoutMs = 10_000): Promise<Verdict> {
  const started = startProcess(file, args, registry);
  const timer = setTimeout(() => alive(started.pid) && process.kill(started.pid, 'SIGKILL'), timeoutMs);
  await started.exited;
  clearTimeout(timer);
  const verdict = verdictIn(started.output());
  if (!verdict) throw new Error(`the naive probe printed no verdict: ${started.output()}`);
  transcript.push(`naive      ${args.slice(-4).join(' ')}\n  ${verdict.line}`);
  return verdict;
}

/** The jail every technique runs in, and how `jailwright start` launches the probe in it. */
export interface BreakoutJail {
  parent: string;
  root: string;
  account: string;
  /** The shared `jail:` and `audit:` sections, indented for the recipe. */
  jailSection: string;
}

/** How one jailwright launch of the probe differs from the default. */
export interface LaunchVariant {
  net?: boolean;
  proc?: 'none' | 'fresh';
  /** launch.sharedUser: let `start` run although a process outside already uses the service's uid. */
  sharedUser?: boolean;
  /** Hold this many descriptor numbers open on the host `/` while running `start`, as a careless caller would. */
  leakFd?: number;
}

let recipeCount = 0;

/** Writes a recipe for the built jail whose service is the probe with `args`; every such recipe shares the jail section of the one that was built, only the launch differs. */
export async function probeRecipe(jail: BreakoutJail, args: string[], variant: LaunchVariant = {}): Promise<string> {
  const options = [
    variant.net ? '  namespaces: { net: true }' : undefined,
    variant.proc ? `  proc: ${variant.proc}` : undefined,
    variant.sharedUser ? '  sharedUser: true' : undefined,
  ].filter(Boolean);
  recipeCount += 1;
  return writeRecipe(
    path.join(jail.parent, 'recipes'),
    `probe-${recipeCount}`,
    `specVersion: 1
name: breakout
${jail.jailSection}
launch:
  mode: engine-chroot
  command: ${JSON.stringify(['/usr/bin/probe', ...args])}
  user: ${jail.account}
  stop: { timeoutSeconds: 2 }
  readyTimeoutSeconds: 5
${options.join('\n')}
`,
  );
}

/** Runs `jailwright start` on a probe recipe, holding a leaked descriptor on the host / when asked. */
export function startProbe(jail: BreakoutJail, recipe: string, variant: LaunchVariant = {}) {
  return variant.leakFd
    ? run('bash', ['-c', `exec ${variant.leakFd}</; exec "$@"`, 'bash', process.execPath, CLI, 'start', recipe, '--root', jail.root])
    : jailwright('start', recipe, '--root', jail.root);
}

/** Starts the probe with `args` as the jail's service, waits for its verdict in the service log, stops it. */
export async function underJailwright(jail: BreakoutJail, args: string[], variant: LaunchVariant = {}, onReady?: () => Promise<void>): Promise<Verdict> {
  const recipe = await probeRecipe(jail, args, variant);
  const log = path.join(jail.parent, '.jail.jailwright/launch/service.log');
  const before = statSync(log, { throwIfNoEntry: false })?.size ?? 0;
  const start = await startProbe(jail, recipe, variant);
  try {
    if (start.code !== 0) throw new Error(`jailwright start failed (${start.code}): ${start.stderr}${start.stdout}`);
    const fresh = () => readFileSync(log, 'utf8').slice(before);
    if (onReady) {
      await waitFor('the probe to get ready', () => (fresh().includes('READY') ? true : undefined));
      await onReady();
    }
    const verdict = await waitFor('the probe verdict in the service log', () => verdictIn(fresh()));
    transcript.push(`jailwright ${JSON.stringify(variant)} ${args.join(' ')}\n  ${verdict.line}`);
    return verdict;
  } finally {
    await jailwright('stop', recipe, '--root', jail.root);
  }
}

/** Writes `content` to a new file only root can write, readable by anyone, and flushes it to the disk. */
export async function writeSecret(file: string, content: string): Promise<void> {
  await writeFile(file, `${content}\n`, { mode: 0o644 });
  await run('sync', [file]);
}
