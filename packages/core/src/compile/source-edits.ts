import { readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JailwrightError } from '../errors.js';
import type { SourceEdit } from '../recipe/build-schema.js';

/** What one recipe-declared source edit did, for the build log. */
export interface AppliedSourceEdit {
  file: string;
  reason: string;
  /** How many occurrences of `find` were replaced; 0 when the edit was already applied. */
  replacements: number;
  alreadyApplied: boolean;
}

/**
 * One edit on a file's text. The replacement being present already means the edit was applied (an
 * edit adding `#include <time.h>` after `#include <stdio.h>` keeps matching its own `find`, so the
 * replacement is looked for first); undefined means the file holds neither text.
 */
export function editSourceText(text: string, edit: Pick<SourceEdit, 'find' | 'replace'>): { text: string; replacements: number } | undefined {
  if (edit.replace !== '' && text.includes(edit.replace)) return { text, replacements: 0 };
  const pieces = text.split(edit.find);
  if (pieces.length === 1) return undefined;
  return { text: pieces.join(edit.replace), replacements: pieces.length - 1 };
}

/** A source file's real path, refused when it (or a link on the way) leads out of the tree. */
async function fileInTree(treeRoot: string, file: string): Promise<string> {
  const candidate = path.join(treeRoot, file);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new JailwrightError(`source edit: ${file} is not in the source tree ${treeRoot}`, {
      hint: 'the source is not the version the recipe was written for, or the tree was unpacked one level too high or low',
    });
  }
  if (!real.startsWith(`${treeRoot}${path.sep}`)) {
    throw new JailwrightError(`source edit: ${file} resolves to ${real}, outside the source tree ${treeRoot}: refusing to edit it`);
  }
  return real;
}

/**
 * Applies a recipe's source edits to an unpacked tree, in order, and says what each did. An edit
 * whose text the file does not hold fails (exit 2): silently building unfixed code would give a
 * binary that crashes at run time, which is what these edits exist to prevent.
 */
export async function applySourceEdits(tree: string, edits: readonly SourceEdit[]): Promise<AppliedSourceEdit[]> {
  const treeRoot = await realpath(tree);
  const applied: AppliedSourceEdit[] = [];
  for (const edit of edits) {
    const file = await fileInTree(treeRoot, edit.file);
    const before = await readFile(file, 'utf8');
    const outcome = editSourceText(before, edit);
    if (outcome === undefined) {
      throw new JailwrightError(`source edit: ${edit.file} holds neither ${JSON.stringify(edit.find)} nor its replacement (${edit.reason})`, {
        hint: 'the source is not the version the recipe was written for: check the tarball, or update the edit in the recipe',
      });
    }
    if (outcome.replacements > 0) await writeFile(file, outcome.text, { mode: (await stat(file)).mode & 0o7777 });
    applied.push({ file: edit.file, reason: edit.reason, replacements: outcome.replacements, alreadyApplied: outcome.replacements === 0 });
  }
  return applied;
}

/** The build log's lines for the edits: one per edit, with its reason. */
export function formatSourceEdits(applied: readonly AppliedSourceEdit[]): string[] {
  return applied.map((edit) =>
    edit.alreadyApplied
      ? `edit ${edit.file}: already applied — ${edit.reason}`
      : `edit ${edit.file}: ${edit.replacements} replacement${edit.replacements === 1 ? '' : 's'} — ${edit.reason}`,
  );
}
