import { realpath } from 'node:fs/promises';
import { ExitCode, JailwrightError } from '../errors.js';
import type { LaunchState } from '../launch/launch-state.js';
import { readJson } from '../launch/launch-state.js';
import { resolveTarget, type ServiceTarget } from '../launch/service-control.js';
import { isRunning } from '../host/processes.js';
import type { ProbeResult } from './probe-result.js';
import { processTree } from './process-tree.js';
import { runProbes } from './run-probe.js';

/** What `check` found. */
export interface CheckReport {
  recipe: string;
  root: string;
  /** The service and every process it started, as the process probes saw them. */
  pids: number[];
  results: ProbeResult[];
  ok: boolean;
}

/**
 * Runs the recipe's probes against its running service: network probes as a client would, process
 * probes against the service and all its descendants, log probes in the jail it runs in.
 */
export async function checkService(target: ServiceTarget): Promise<CheckReport> {
  const { loaded, root, files } = await resolveTarget(target);
  const probes = loaded.recipe.probes ?? [];
  if (probes.length === 0) {
    throw new JailwrightError(`recipe ${loaded.file} has no probes: nothing to check`, {
      hint: 'Add probes: [{ type: http, port: 8080 }] (or dns, smtp, tcp, process, log) to the recipe.',
    });
  }
  const state = readJson<LaunchState>(files.state);
  const running = state?.service !== undefined && isRunning(state.service);
  const pids = running && state?.service ? await processTree(state.service.pid) : [];
  // Probes look at the tree the service runs in, which after a rebuild may be an older generation.
  const jailRoot = running && state ? state.jailRoot : await realpath(root).catch(() => root);
  const results = await runProbes(probes, { root: jailRoot, pids });
  if (!running) {
    results.unshift({ ok: false, probe: 'service', expected: 'the service running', actual: 'not running (jailwright start)', durationMs: 0 });
  }
  return { recipe: loaded.recipe.name, root, pids, results, ok: results.every((result) => result.ok) };
}

/** Exit code of a check: 0 when every probe passed, 1 otherwise. */
export function checkExitCode(report: CheckReport): number {
  return report.ok ? ExitCode.ok : ExitCode.findings;
}
