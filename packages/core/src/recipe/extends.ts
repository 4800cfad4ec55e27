import { dirname } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { EXTENDS_LINE, readRecipeText } from './read-recipe-text.js';
import { RecipeError } from './recipe-error.js';
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
    .record(z.string(), z.union([z.string(), z.number()]), { error: 'with maps option names to values, e.g. { port: 8081 }' })
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

/**
 * Reads a recipe, following `extends:` — a user's own recipe that names an installed one and sets its
 * variant and options (`extends: "@jailwright/bind"`, `with: { zone: example.org }`), so a choice can
 * live in a file instead of on the command line. References resolve from the extending file's directory.
 */
export async function readRecipeSource(file: string): Promise<RecipeSource> {
  const texts: string[] = [];
  let selection: RecipeSelection = {};
  let current = file;
  for (let depth = 0; ; depth++) {
    const text = await readRecipeText(current);
    texts.push(text);
    if (!EXTENDS_LINE.test(text)) return { file: current, text, selection, texts };
    if (depth === MAX_DEPTH) throw issueAt(current, text, 0, `recipes extend one another more than ${MAX_DEPTH} deep here: is there a loop?`);
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, uniqueKeys: true, version: '1.2' });
    const parsed = ExtendingRecipeSchema.safeParse(document.errors.length === 0 ? document.toJS({ maxAliasCount: 100 }) : undefined);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path[0];
      const pair = isMap(document.contents) ? document.contents.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined;
      const node = (issue.code === 'unrecognized_keys' ? pair?.key : pair?.value) as { range?: number[] } | undefined;
      const where = node?.range?.[0] ?? 0;
      const message =
        issue.code === 'unrecognized_keys'
          ? `a recipe with extends: only chooses — it may hold specVersion, extends, variant and with, not ${issue.keys.join(', ')}`
          : document.errors.length > 0
            ? `YAML syntax error: ${document.errors[0]!.message.split('\n')[0]}`
            : `${issue.path.join('.')}: ${issue.message}`;
      throw issueAt(current, text, where, message, lineCounter);
    }
    const chosen = parsed.data;
    const options = Object.fromEntries(Object.entries(chosen.with ?? {}).map(([name, value]) => [name, String(value)]));
    // What a nearer recipe chose wins over what the one it extends chose.
    selection = layerSelection({ variant: chosen.variant, options }, selection);
    current = await resolveRecipeReference(chosen.extends, { cwd: dirname(current) });
  }
}

function issueAt(file: string, text: string, offset: number, message: string, lineCounter?: LineCounter): RecipeError {
  const counter = lineCounter ?? new LineCounter();
  if (!lineCounter) parseDocument(text, { lineCounter: counter });
  const { line, col } = counter.linePos(offset);
  return new RecipeError([{ file, line, column: col, path: '', message }]);
}
