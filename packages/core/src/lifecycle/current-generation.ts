import { realpath } from 'node:fs/promises';
import { currentJail, jailLayout, type JailLayout, manifestPath } from '../apply/jail-layout.js';
import { type Manifest, readManifest } from '../apply/manifest.js';
import { ExitCode, JailwrightError } from '../errors.js';

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
