import { readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { inputsUnchanged } from '../host/input-stamps.js';
import { generationNumber, jailLayout, manifestPath } from './jail-layout.js';
import type { RecipeSelection } from '../recipe/selection.js';
import { sameSelection } from '../recipe/selection.js';
import { jailMatchesStamps, type Manifest } from './manifest.js';

/** What a build would be given, to compare with what built the current jail. */
export interface ExpectedInputs {
  recipeSha256: string;
  engineVersion: string;
  link: 'copy' | 'hard' | null;
  selection?: RecipeSelection | undefined;
}

/** The current jail, when it is up to date. */
export interface UpToDateJail {
  generation: string;
  manifestPath: string;
  manifest: Manifest;
}

/**
 * The fast answer to "would a build change anything?", without planning: the same recipe bytes, variant,
 * option values and engine, every host path the last plan consulted unchanged, and the jail as it was left. Any doubt
 * (no manifest, unreadable state, a changed stamp) answers "no" and the caller plans in full.
 */
export function findUpToDateJail(root: string, expected: ExpectedInputs): UpToDateJail | undefined {
  const layout = jailLayout(root);
  try {
    const target = readlinkSync(layout.root);
    const generation = target.slice(posix.basename(layout.state).length + 1);
    if (target !== posix.join(posix.basename(layout.state), generation) || generationNumber(generation) === undefined) return undefined;
    const file = manifestPath(layout, generation);
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    const inputs = manifest.inputs;
    if (manifest.format !== 1 || !inputs) return undefined;
    if (inputs.recipeSha256 !== expected.recipeSha256 || inputs.engineVersion !== expected.engineVersion || inputs.link !== expected.link) return undefined;
    if (!sameSelection(inputs.selection, expected.selection)) return undefined;
    if (!inputsUnchanged(inputs.paths)) return undefined;
    if (!jailMatchesStamps(posix.join(layout.state, generation), manifest)) return undefined;
    return { generation, manifestPath: file, manifest };
  } catch {
    return undefined;
  }
}
