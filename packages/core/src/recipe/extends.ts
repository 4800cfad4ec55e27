import { dirname } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { JailwrightError } from '../errors.js';
import { EXTENDS_LINE, readRecipeText } from './read-recipe-text.js';
import { RecipeError, type RecipeIssue } from './recipe-error.js';
import { resolveRecipeReference } from './resolve-reference.js';
import { SELECTOR_NAME } from './options-schema.js';
import { layerSelection, type RecipeSelection } from './selection.js';

/** How many recipes may stand between a user's recipe and the one it finally extends. */
const MAX_DEPTH = 4;

/** A recipe that only chooses: another recipe, one of its variants, and values for its options. */
const ExtendingRecipeSchema = z.strictObject({
  specVersion: z.literal(1, { error: 'specVersion must be 1' }),
  extends: z.string().min(1, { error: 'extends names the recipe this one builds on: a path, a package (@jailwright/bind) or a short name' }),
  variant: z.string().regex(SELECTOR_NAME, { error: 'variant must be a variant name of the extended recipe' }).optional(),
  with: z
    .record(z.string(), z.union([z.string(), z.number()], { error: 'an option value is a string or a number' }), { error: 'with maps option names to values, e.g. { port: 8081 }' })
    .optional(),
});

/** The recipe text to parse after following `extends:`, what the extending recipes chose, and every file read. */
export interface RecipeSource {
  /** The recipe finally extended (or the file itself): the one holding jail, launch, probes. */
  file: string;
  text: string;
  /** Variant and option values chosen by the extending recipes (the nearest one wins). */
  selection: RecipeSelection;
  /** Every recipe text read, the user's first: a build is current only while all of them are unchanged. */
  texts: string[];
}

/** A recipe holding `extends:`, read as such: what it chooses, or every problem in it at its line. */
export interface ExtendingRecipe {
  file: string;
  text: string;
  /** What it chooses; absent when the text is not a valid extending recipe (`issues` says why). */
  choice?: { extends: string; selection: RecipeSelection } | undefined;
  issues: RecipeIssue[];
  /** Where the `extends:` value stands: problems with the recipe it names are reported there. */
  extendsAt: { line: number; column: number };
}

/** One recipe of an `extends:` chain: `extending` when it extends another, absent for the one finally extended. */
export interface RecipeLink {
  file: string;
  text: string;
  extending?: ExtendingRecipe | undefined;
}

/**
 * Reads a recipe, following `extends:` — a user's own recipe that names an installed one and sets its
 * variant and options (`extends: "@jailwright/bind"`, `with: { zone: example.org }`), so a choice can
 * live in a file instead of on the command line. References resolve from the extending file's directory.
 */
export async function readRecipeSource(file: string): Promise<RecipeSource> {
  const texts: string[] = [];
  let selection: RecipeSelection = {};
  for await (const link of followExtends(file, await readRecipeText(file))) {
    texts.push(link.text);
    if (!link.extending) return { file: link.file, text: link.text, selection, texts };
    if (!link.extending.choice) throw new RecipeError(link.extending.issues);
    // What a nearer recipe chose wins over what the one it extends chose.
    selection = layerSelection(link.extending.choice.selection, selection);
  }
  throw new Error(`unreachable: the extends chain of ${file} ended without the recipe it extends`);
}

/**
 * Each recipe of the chain that starts at `file` (whose text is `text`), the user's first: stops after a
 * recipe that extends nothing, or after one whose text is not a valid extending recipe. A target that
 * cannot be found or read, that leads back into the chain, or that lies too deep is a RecipeError at the
 * `extends:` line naming it.
 */
export async function* followExtends(file: string, text: string): AsyncGenerator<RecipeLink> {
  const chain: string[] = [];
  let current = { file, text };
  for (;;) {
    if (!EXTENDS_LINE.test(current.text)) {
      yield current;
      return;
    }
    const extending = parseExtendingRecipe(current.file, current.text);
    yield { ...current, extending };
    if (!extending.choice) return;
    chain.push(current.file);
    current = await readExtended(extending, extending.choice.extends, chain);
  }
}

/** Checks the text of a recipe with `extends:` against what such a recipe may hold, every problem at its line. */
export function parseExtendingRecipe(file: string, text: string): ExtendingRecipe {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, version: '1.2' });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const pairOf = (key: unknown) => (isMap(document.contents) ? document.contents.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined);
  const offsetOf = (node: unknown) => (node as { range?: number[] } | null | undefined)?.range?.[0];
  const extendsPair = pairOf('extends');
  const extendsAt = at(offsetOf(extendsPair?.value) ?? offsetOf(extendsPair?.key) ?? 0);
  const issue = (offset: number, path: string, message: string): RecipeIssue => ({ file, ...at(offset), path, message });

  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    return { file, text, extendsAt, issues: [issue(error.pos[0], '', `YAML syntax error: ${error.message.split('\n')[0]}`)] };
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { file, text, extendsAt, issues: [issue(0, '', `YAML error: ${(error as Error).message}`)] };
  }
  const parsed = ExtendingRecipeSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((found) => {
      if (found.code === 'unrecognized_keys') {
        return issue(offsetOf(pairOf(found.keys[0])?.key) ?? 0, '', `a recipe with extends: only chooses — it may hold specVersion, extends, variant and with, not ${found.keys.join(', ')}`);
      }
      return issue(offsetOf(nodeAt(document.contents, found.path)) ?? 0, found.path.join('.'), found.message);
    });
    return { file, text, extendsAt, issues: issues.sort((left, right) => left.line - right.line || left.column - right.column) };
  }
  const chosen = parsed.data;
  const options = Object.fromEntries(Object.entries(chosen.with ?? {}).map(([name, value]) => [name, String(value)]));
  return { file, text, extendsAt, issues: [], choice: { extends: chosen.extends, selection: { variant: chosen.variant, options } } };
}

/** The recipe `reference` names, from the directory of the recipe extending it; `chain` holds the files read so far, the user's first. */
async function readExtended(recipe: ExtendingRecipe, reference: string, chain: readonly string[]): Promise<{ file: string; text: string }> {
  const problem = (message: string, hint = 'A recipe with extends: names the recipe it builds on: one holding jail, launch and probes, or another choice that leads to one.') =>
    new RecipeError([{ file: recipe.file, ...recipe.extendsAt, path: 'extends', message }], hint);
  if (chain.length > MAX_DEPTH) throw problem(`recipes extend one another more than ${MAX_DEPTH} deep here: extend the recipe you build on directly`);
  try {
    const file = await resolveRecipeReference(reference, { cwd: dirname(recipe.file) });
    if (chain.includes(file)) {
      throw problem(`${JSON.stringify(reference)} leads back to ${file}: these recipes extend one another in a loop (${[...chain.slice(chain.indexOf(file)), file].join(' → ')})`);
    }
    return { file, text: await readRecipeText(file) };
  } catch (error) {
    if (error instanceof RecipeError || !(error instanceof JailwrightError)) throw error;
    throw problem(error.message, error.hint);
  }
}

/** The deepest node of the document along `path`. */
function nodeAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    const next = isMap(node) ? node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))?.value : undefined;
    if (!next) break;
    node = next;
  }
  return node;
}
