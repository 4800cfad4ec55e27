import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { currentJail, jailLayout, manifestPath } from '../apply/jail-layout.js';
import { readManifest } from '../apply/manifest.js';
import { inputsUnchanged } from '../host/input-stamps.js';
import { isRunning } from '../host/processes.js';
import { launchFiles } from '../launch/launch-files.js';
import { type LaunchState, readJson } from '../launch/launch-state.js';
import { readRegistry } from './registry.js';

/** One jail of this host, as `jailwright list --json` prints it. */
export interface ListedJail {
  recipe: string;
  recipeFile: string | null;
  root: string;
  generation: string;
  /** The engine that built the generation, and the recipe: its package version when it comes from one, and the sha256 prefix of its bytes. */
  version: { engine: string; recipe: string };
  /**
   * `running`: the service runs in the current generation; `stale`: it runs, but in an older generation
   * (updated or rebuilt without a restart); `stopped`: it does not run (or the recipe has no service).
   */
  state: 'running' | 'stale' | 'stopped';
  /** True when a host path the last build read has changed since (run jailwright outdated, then update). */
  hostChanged: boolean;
  builtAt: string;
  lastVerify: { at: string; generation: string; clean: boolean } | null;
}

/** The stable shape of `jailwright list --json`. */
export interface JailList {
  schemaVersion: 1;
  jails: ListedJail[];
  /** Roots the registry named that no longer hold a jailwright jail: removed from the registry by this listing. */
  pruned: string[];
}

/** Every jail recorded in the registry (see registry.ts), in root order; entries whose root is gone are pruned. */
export async function listJails(options: { prune?: boolean } = {}): Promise<JailList> {
  const jails: ListedJail[] = [];
  const pruned: string[] = [];
  for (const { entry, forget } of await readRegistry()) {
    const layout = jailLayout(entry.root);
    const current = await currentJail(layout, async () => false).catch(() => undefined);
    const manifest = current?.kind === 'generation' ? await readManifest(manifestPath(layout, current.generation)) : undefined;
    if (current?.kind !== 'generation' || !manifest) {
      pruned.push(entry.root);
      if (options.prune !== false) await forget().catch(() => undefined);
      continue;
    }
    const launch = readJson<LaunchState>(launchFiles(layout).state);
    const running = launch?.service !== undefined && isRunning(launch.service);
    const runsCurrent = running && launch !== undefined && posix.basename(launch.jailRoot) === current.generation && posix.dirname(launch.jailRoot).endsWith(posix.basename(layout.state));
    jails.push({
      recipe: manifest.recipe,
      recipeFile: manifest.recipeFile ?? null,
      root: entry.root,
      generation: current.generation,
      version: { engine: manifest.engineVersion, recipe: await recipeVersion(manifest.recipeFile, manifest.inputs?.recipeSha256) },
      state: !running ? 'stopped' : runsCurrent ? 'running' : 'stale',
      hostChanged: manifest.inputs ? !inputsUnchanged(manifest.inputs.paths) : true,
      builtAt: manifest.builtAt,
      lastVerify: entry.lastVerify?.generation === current.generation ? entry.lastVerify : null,
    });
  }
  jails.sort((a, b) => (a.root < b.root ? -1 : 1));
  return { schemaVersion: 1, jails, pruned };
}

/** `@jailwright/bind@1.2.0 (sha256 0123abcd…)` for a recipe from a package, `sha256 0123abcd…` otherwise. */
async function recipeVersion(recipeFile: string | undefined, recipeSha256: string | undefined): Promise<string> {
  const digest = recipeSha256 ? `sha256 ${recipeSha256.slice(0, 12)}` : 'unknown';
  if (!recipeFile) return digest;
  for (const directory of [posix.dirname(recipeFile), posix.dirname(posix.dirname(recipeFile))]) {
    const text = await readFile(posix.join(directory, 'package.json'), 'utf8').catch(() => undefined);
    if (!text) continue;
    try {
      const { name, version } = JSON.parse(text) as { name?: string; version?: string };
      if (name && version) return `${name}@${version} (${digest})`;
    } catch {
      // Not a package.json we can read: the digest alone names the recipe.
    }
  }
  return digest;
}

/** The list in words, one jail a line. */
export function formatJailList(list: JailList): string {
  if (list.jails.length === 0) return 'no jails recorded on this host (jailwright build records them)\n';
  const rows = list.jails.map((jail) => [
    jail.root,
    jail.recipe,
    jail.generation,
    jail.state + (jail.hostChanged ? ' (host changed)' : ''),
    `engine ${jail.version.engine}, ${jail.version.recipe}`,
    jail.lastVerify ? `${jail.lastVerify.at} ${jail.lastVerify.clean ? 'clean' : 'DRIFT'}` : 'never verified',
  ]);
  const header = ['ROOT', 'RECIPE', 'GENERATION', 'STATE', 'VERSION', 'LAST VERIFY'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] as number))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
