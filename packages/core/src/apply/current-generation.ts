import { realpath } from 'node:fs/promises';
import { ExitCode, JailwrightError } from '../errors.js';
import { currentJail, generationManifestPath, jailLayout, type JailLayout, manifestPath } from './jail-layout.js';
import { type Manifest, readManifest } from './manifest.js';

/** The generation a jail root points at now, with its manifest. */
export interface CurrentGeneration {
  layout: JailLayout;
  generation: string;
  /** The generation directory, resolved. */
  directory: string;
  manifestPath: string;
  manifest: Manifest;
}

/** Reads the jail at `root`: exit 2 when nothing jailwright built is there, 3 when its manifest is unreadable. */
export async function readCurrentGeneration(root: string): Promise<CurrentGeneration> {
  const layout = jailLayout(root);
  const current = await currentJail(layout, async () => false);
  if (current.kind !== 'generation') {
    throw new JailwrightError(`${layout.root} is not a jail built by jailwright (${current.kind === 'foreign' ? current.description : 'nothing there'})`, {
      hint: 'Name the root a build was given (jailwright build <recipe> --root <dir>), or see jailwright list.',
    });
  }
  const file = manifestPath(layout, current.generation);
  const manifest = await readManifest(file);
  if (!manifest) {
    throw new JailwrightError(`the manifest ${file} of ${layout.root} is missing or unreadable`, {
      exitCode: ExitCode.environment,
      hint: 'Rebuild the jail (jailwright build --force) to write a new generation and its manifest.',
    });
  }
  return { layout, generation: current.generation, directory: await realpath(current.directory), manifestPath: file, manifest };
}

/** The jail's current generation, or undefined when `root` holds none that can be read (for commands that go on without one). */
export async function findCurrentGeneration(root: string): Promise<CurrentGeneration | undefined> {
  return readCurrentGeneration(root).catch(() => undefined);
}

/** The manifest of the tree at `path` (a jail root, or a generation directory itself), when jailwright built it. */
export async function readTreeManifest(path: string): Promise<Manifest | undefined> {
  const directory = await realpath(path).catch(() => undefined);
  const file = directory === undefined ? undefined : generationManifestPath(directory);
  return file === undefined ? undefined : readManifest(file);
}

/** The recipe file a manifest names, when it is still there. */
export async function builtRecipeFile(manifest: Manifest | undefined): Promise<string | undefined> {
  const recipeFile = manifest?.recipeFile;
  if (!recipeFile) return undefined;
  return (await realpath(recipeFile).catch(() => undefined)) ? recipeFile : undefined;
}
