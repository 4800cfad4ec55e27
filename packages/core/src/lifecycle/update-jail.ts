import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { jailLayout } from '../apply/jail-layout.js';
import type { Manifest, ManifestEntry } from '../apply/manifest.js';
import type { AuditVerdict } from '../audit/format-report.js';
import { hashRegularFile } from '../host/file-hash.js';
import { buildJail } from '../build-jail.js';
import { ExitCode, JailwrightError } from '../errors.js';
import { launchFiles } from '../launch/launch-files.js';
import { type LaunchSpec, readJson, serviceGeneration } from '../launch/launch-state.js';
import type { Operation, Plan } from '../plan/types.js';
import type { MissingSymbolsReport } from '../trace/missing-symbols.js';
import { readCurrentGeneration } from '../apply/current-generation.js';

/** One path whose planned state differs from the jail's current generation. */
export interface PlanChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  detail: string;
}

/** The stable shape of `jailwright update --json`. */
export interface UpdateReport {
  schemaVersion: 1;
  root: string;
  recipe: string;
  recipeFile: string;
  dryRun: boolean;
  /** The generation the root pointed at before. */
  previousGeneration: string;
  /** The generation it points at now (the same one when nothing changed, or after a rollback). */
  generation: string;
  /** Sorted by path. */
  changes: PlanChange[];
  /** With --restart: whether the service was restarted, passed its probes, or was rolled back. */
  restart?: { restarted: boolean; ok: boolean; rolledBack: boolean; problem?: string | undefined } | undefined;
  /** The build's audit of the new generation (absent when nothing changed): failing findings exit 1, as for build. */
  audit?: AuditVerdict | undefined;
  /** The build's symbol check of the new generation (absent when nothing changed): a missing one exits 1 unless allowed, as for build. */
  symbols?: MissingSymbolsReport | undefined;
}

/** How `updateJail` runs. */
export interface UpdateOptions {
  dryRun?: boolean | undefined;
  restart?: boolean | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** What a path is, in the terms a plan and a manifest share. */
interface PathState {
  type: ManifestEntry['type'];
  mode: number;
  uid: number;
  gid: number;
  sha256?: string | undefined;
  target?: string | undefined;
  device?: string | undefined;
}

/**
 * Re-plans the jail from its recipe against today's host — the ELF closure is resolved again, so a
 * renamed soname, a new dependency or a file the host removed come out right, which patching the old
 * copies (jk_update) gets wrong — and applies it with the usual atomic generation swap, keeping the
 * previous generation. With `restart`, restarts the service and waits for its probes; when they fail,
 * points the root back at the previous generation and restarts that.
 */
export async function updateJail(root: string, options: UpdateOptions = {}): Promise<UpdateReport> {
  const current = await readCurrentGeneration(root);
  const recipeFile = current.manifest.recipeFile;
  if (!recipeFile || !(await realpath(recipeFile).catch(() => undefined))) {
    throw new JailwrightError(`the recipe ${recipeFile ?? '(not recorded)'} that built ${current.layout.root} is gone`, {
      hint: `Build it again from its recipe: jailwright build <recipe> --root ${current.layout.root}`,
    });
  }
  // The variant and option values the jail was built with: an update rebuilds that jail, not the recipe's top level.
  const selection = current.manifest.inputs?.selection;
  const chosen = { variant: selection?.variant, options: selection?.options };
  if (options.restart) {
    const { loadRecipe } = await import('../recipe/load.js');
    if (!(await loadRecipe(recipeFile, selection)).recipe.launch) {
      throw new JailwrightError(`--restart: the recipe ${recipeFile} has no launch section, so there is no service to restart`, {
        hint: `Run jailwright update ${current.layout.root} without --restart.`,
      });
    }
  }
  const link = current.manifest.inputs?.link ?? undefined;
  const base = { schemaVersion: 1 as const, root: current.layout.root, recipe: current.manifest.recipe, recipeFile, previousGeneration: current.generation };
  if (options.dryRun) {
    const { plan } = await buildJail({ recipe: recipeFile, root, dryRun: true, link, ...chosen });
    return { ...base, dryRun: true, generation: current.generation, changes: diffStates(manifestStates(current.manifest), await planStates(plan as Plan)) };
  }
  const outcome = await buildJail({ recipe: recipeFile, root, link, keepPrevious: true, onProgress: options.onProgress, ...chosen });
  const result = outcome.result!;
  const after = result.changed ? await readCurrentGeneration(root) : current;
  const report: UpdateReport = {
    ...base,
    dryRun: false,
    generation: result.generation,
    changes: result.changed ? diffStates(manifestStates(current.manifest), manifestStates(after.manifest)) : [],
    ...(outcome.audit ? { audit: outcome.audit.verdict } : {}),
    ...(outcome.symbols ? { symbols: outcome.symbols } : {}),
  };
  if (!options.restart) return report;
  // A service still running in an older generation (an earlier update without --restart) is restarted too.
  const runsOlder = serviceGeneration(launchFiles(current.layout), after.directory) === 'older';
  if (!result.changed && !runsOlder) return { ...report, restart: { restarted: false, ok: true, rolledBack: false } };
  report.restart = await restartOrRollBack(recipeFile, current.layout.root, current.generation, result.changed);
  if (report.restart.rolledBack) report.generation = current.generation;
  return report;
}

/**
 * Restarts the service on the new generation (start takes what it wrote since the swap along). When it
 * does not come up, points the root back at the previous generation and starts it there (which takes what
 * the failed run wrote back).
 */
async function restartOrRollBack(recipeFile: string, root: string, previous: string, swapped: boolean): Promise<NonNullable<UpdateReport['restart']>> {
  const { restartService, startService, stopService } = await import('../launch/service-control.js');
  const target = { recipe: recipeFile, root };
  // The policy of the last run, for the run after a rollback (restart keeps it by itself).
  const restart = readJson<LaunchSpec>(launchFiles(jailLayout(root)).spec)?.restart;
  try {
    await restartService(target);
    return { restarted: true, ok: true, rolledBack: false };
  } catch (error) {
    // Only a service that did not come up on the new generation (exit 1) is a reason to go back; a refusal
    // (not root, a shared account, a bad recipe) would refuse the previous generation alike.
    if (!(error instanceof JailwrightError) || error.exitCode !== ExitCode.findings || !swapped) throw error;
    const problem = error.message;
    const { rollBack } = await import('../apply/apply.js');
    await stopService(target);
    await rollBack(root, previous);
    try {
      await startService({ ...target, restart });
    } catch (again) {
      throw new JailwrightError(
        `the updated jail failed (${problem}); rolled back to ${previous}, but that failed to start too: ${again instanceof Error ? again.message : String(again)}`,
        { exitCode: ExitCode.findings },
      );
    }
    return { restarted: true, ok: false, rolledBack: true, problem };
  }
}

function manifestStates(manifest: Manifest): Map<string, PathState> {
  return new Map(
    manifest.entries.map((entry) => [
      entry.path,
      {
        type: entry.type,
        mode: entry.type === 'symlink' ? 0o777 : entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        sha256: entry.sha256,
        target: entry.target,
        device: entry.major === undefined ? undefined : `${entry.major},${entry.minor}`,
      },
    ]),
  );
}

async function planStates(plan: Plan): Promise<Map<string, PathState>> {
  const states = new Map<string, PathState>();
  for (const operation of plan.operations) states.set(operation.path, await operationState(operation));
  return states;
}

async function operationState(operation: Operation): Promise<PathState> {
  switch (operation.kind) {
    case 'directory':
      return { type: 'directory', mode: operation.mode, uid: operation.uid, gid: operation.gid };
    case 'symlink':
      return { type: 'symlink', mode: 0o777, uid: 0, gid: 0, target: operation.target };
    case 'device':
      return { type: operation.device, mode: operation.mode, uid: operation.uid, gid: operation.gid, device: `${operation.major},${operation.minor}` };
    case 'write':
      return { type: 'file', mode: operation.mode, uid: operation.uid, gid: operation.gid, sha256: createHash('sha256').update(Buffer.from(operation.content)).digest('hex') };
    case 'copy':
      return { type: 'file', mode: operation.mode, uid: operation.uid, gid: operation.gid, sha256: await hashRegularFile(operation.source.path) };
  }
}

/** What changes from `before` to `after`, path by path. */
function diffStates(before: ReadonlyMap<string, PathState>, after: ReadonlyMap<string, PathState>): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const [path, state] of after) {
    const old = before.get(path);
    if (!old) {
      changes.push({ path, change: 'added', detail: describe(state) });
      continue;
    }
    const differences: string[] = [];
    if (old.type !== state.type) differences.push(`${old.type} becomes ${state.type}`);
    else {
      if (old.sha256 !== state.sha256) differences.push('new content');
      if (old.target !== state.target) differences.push(`-> ${old.target} becomes -> ${state.target}`);
      if (old.device !== state.device) differences.push(`device ${old.device} becomes ${state.device}`);
      if (old.mode !== state.mode) differences.push(`mode ${octal(old.mode)} becomes ${octal(state.mode)}`);
      if (old.uid !== state.uid || old.gid !== state.gid) differences.push(`owner ${old.uid}:${old.gid} becomes ${state.uid}:${state.gid}`);
    }
    if (differences.length > 0) changes.push({ path, change: 'changed', detail: differences.join(', ') });
  }
  for (const [path, state] of before) if (!after.has(path)) changes.push({ path, change: 'removed', detail: describe(state) });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function describe(state: PathState): string {
  return state.type === 'symlink' ? `symlink -> ${state.target}` : `${state.type} ${octal(state.mode)} ${state.uid}:${state.gid}`;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** The update report in words. */
export function formatUpdateText(report: UpdateReport): string {
  const lines: string[] = [];
  const verb = report.dryRun ? 'would change' : 'changed';
  if (report.changes.length === 0 && report.generation !== report.previousGeneration && !report.restart?.rolledBack) {
    lines.push(`${report.root}: rebuilt as ${report.generation}: the plan is unchanged, but the jail no longer matched its manifest (see jailwright verify)`);
  } else if (report.changes.length === 0) lines.push(`${report.root} is up to date with the host (${report.generation})`);
  else {
    lines.push(`${report.root}: ${report.changes.length} path${report.changes.length === 1 ? '' : 's'} ${verb}${report.dryRun ? '' : ` (${report.previousGeneration} -> ${report.generation})`}:`);
    for (const change of report.changes) lines.push(`  ${change.change === 'added' ? '+' : change.change === 'removed' ? '-' : '~'} ${change.path}  ${change.detail}`);
  }
  const restart = report.restart;
  if (restart?.rolledBack) lines.push(`the service failed on the new generation (${restart.problem}); rolled back to ${report.generation} and restarted there`);
  else if (restart?.restarted) lines.push('restarted the service: its probes pass');
  else if (restart) lines.push('nothing changed: the service was not restarted');
  if (report.audit && !report.audit.passed) {
    lines.push(`audit: ${report.audit.failing} finding${report.audit.failing === 1 ? '' : 's'} at ${report.audit.failOn} or worse in the new generation: see jailwright audit ${report.root}`);
  }
  return `${lines.join('\n')}\n`;
}
