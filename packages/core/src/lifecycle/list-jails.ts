import { findCurrentGeneration } from '../apply/current-generation.js';
import { inputsUnchanged } from '../host/input-stamps.js';
import { launchFiles } from '../launch/launch-files.js';
import { serviceGeneration } from '../launch/launch-state.js';
import { formatRecipeVersion, recipeVersion } from '../recipe/recipe-version.js';
import { readRegistry } from './registry.js';

/** One jail of this host, as `jailwright list --json` prints it. */
export interface ListedJail {
  recipe: string;
  recipeFile: string | null;
  root: string;
  generation: string;
  /** The engine that built the generation, and the recipe (see recipeVersion): its package release when it is one, and the sha256 prefix of the recipe as built. */
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
    const current = await findCurrentGeneration(entry.root);
    if (!current) {
      pruned.push(entry.root);
      if (options.prune !== false) await forget().catch(() => undefined);
      continue;
    }
    const { manifest } = current;
    const runs = serviceGeneration(launchFiles(current.layout), current.directory);
    jails.push({
      recipe: manifest.recipe,
      recipeFile: manifest.recipeFile ?? null,
      root: entry.root,
      generation: current.generation,
      version: { engine: manifest.engineVersion, recipe: formatRecipeVersion(await recipeVersion(manifest.recipeFile, manifest.inputs?.recipeSha256)) },
      state: runs === 'stopped' ? 'stopped' : runs === 'current' ? 'running' : 'stale',
      hostChanged: manifest.inputs ? !inputsUnchanged(manifest.inputs.paths) : true,
      builtAt: manifest.builtAt,
      lastVerify: entry.lastVerify?.generation === current.generation ? entry.lastVerify : null,
    });
  }
  jails.sort((a, b) => (a.root < b.root ? -1 : 1));
  return { schemaVersion: 1, jails, pruned };
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
