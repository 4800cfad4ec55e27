import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { builtRecipeFile, readTreeManifest } from '../apply/current-generation.js';
import { currentJail, jailLayout } from '../apply/jail-layout.js';
import type { Manifest } from '../apply/manifest.js';
import { ExitCode, JailwrightError } from '../errors.js';
import { resolveTarget } from '../launch/service-control.js';
import { loadRecipe, type LoadedRecipe } from '../recipe/load.js';

/** What an export reads: the jail root as named, the tree it stands for now, and the recipe when known. */
export interface ExportTarget {
  /** The jail root as the user names it (/srv/jails/apache): units and scripts refer to it, so rebuilds are picked up. */
  root: string;
  /** The current generation's directory, the tree archived; undefined when no jail is built there yet. */
  tree?: string | undefined;
  /** The manifest of that tree, when jailwright built it. */
  manifest?: Manifest | undefined;
  recipe?: LoadedRecipe | undefined;
}

async function isDirectory(candidate: string): Promise<boolean> {
  return (await stat(candidate).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * `export <root|recipe>`: a directory is a jail root (its recipe is the one its manifest names, with the variant and
 * options it was built with); anything else is a recipe reference, whose jail is at --root or its default root.
 */
export async function resolveExportTarget(argument: string, options: { root?: string | undefined; cwd?: string | undefined } = {}): Promise<ExportTarget> {
  const given = path.resolve(options.cwd ?? process.cwd(), argument);
  const byRoot = options.root === undefined && (await isDirectory(given));
  const target = byRoot ? undefined : await resolveTarget({ recipe: argument, root: options.root, cwd: options.cwd });
  const root = target?.root ?? given;
  const jail = await currentJail(jailLayout(root), async () => false);
  if (jail.kind === 'foreign' && !(await isDirectory(root))) throw new JailwrightError(`${root} is ${jail.description}, not a jail`, { hint: 'Name a jail root a build made, e.g. /srv/jails/apache, or a recipe.' });
  const tree = jail.kind === 'generation' ? await realpath(jail.directory) : jail.kind === 'foreign' ? await realpath(root) : undefined;
  const manifest = tree === undefined ? undefined : await readTreeManifest(tree);
  if (target) return { root, tree, manifest, recipe: target.loaded };
  const file = await builtRecipeFile(manifest);
  return { root, tree, manifest, recipe: file ? await loadRecipe(file, manifest?.inputs?.selection) : undefined };
}

/** The tree an archive is made of, or an error saying the jail is not built. */
export function requireTree(target: ExportTarget, format: string): string {
  if (target.tree !== undefined) return target.tree;
  throw new JailwrightError(`--format ${format} archives the jail, and no jail is built at ${target.root}`, {
    exitCode: ExitCode.environment,
    hint: target.recipe ? `Build it first: jailwright build ${target.recipe.file} --root ${target.root}` : 'Name a jail root a build made, e.g. /srv/jails/apache.',
  });
}

/** The recipe named by a target, or a usage error saying why the format needs one. */
export function requireRecipe(target: ExportTarget, format: string): LoadedRecipe {
  if (target.recipe?.recipe.launch) return target.recipe;
  throw new JailwrightError(
    target.recipe
      ? `--format ${format} needs the recipe's launch section, and ${target.recipe.file} has none`
      : `--format ${format} needs the recipe the jail was built from, and no recipe is known for ${target.root}`,
    { hint: target.recipe ? 'Add launch: { mode: engine-chroot, command: [...], user: ... } to the recipe.' : 'Name the recipe instead of the root: jailwright export <recipe> --root <dir> ...' },
  );
}
