import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode, type Pair } from 'yaml';
import { z } from 'zod';
import { applyCompiledBinaries } from '../compile/compiled-binaries.js';
import { normalizeRecipe, type NormalizedRecipe } from './normalize.js';
import { readRecipeText } from './read-recipe-text.js';
import { RecipeError, type RecipeIssue } from './recipe-error.js';
import { didYouMean } from './did-you-mean.js';
import { RecipeSchema, SPEC_VERSIONS, type Recipe } from './schema.js';

/** A recipe read from disk: normalized, with where it came from (hooks and relative paths resolve against `directory`). */
export interface LoadedRecipe {
  recipe: NormalizedRecipe;
  /** Absolute path of the recipe file. */
  file: string;
  /** Absolute path of the directory holding it. */
  directory: string;
}

type PathSegment = string | number;

/** `jail.files[2].mode` */
export function formatRecipePath(path: readonly PathSegment[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text === '' ? segment : `${text}.${segment}`;
  }, '');
}

interface Located {
  /** Deepest node found along the path. */
  node: YamlNode | undefined;
  /** How many segments of the path were found. */
  depth: number;
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function locate(root: YamlNode | null | undefined, path: readonly PathSegment[]): Located {
  let node: YamlNode | undefined = root ?? undefined;
  let depth = 0;
  for (const segment of path) {
    let next: unknown;
    if (isMap(node)) next = node.items.find((pair) => String(keyOf(pair)) === String(segment))?.value;
    else if (isSeq(node) && typeof segment === 'number') next = node.items[segment];
    if (next === undefined || next === null || typeof next !== 'object') break;
    node = next as YamlNode;
    depth += 1;
  }
  return { node, depth };
}

function valueAt(data: unknown, path: readonly PathSegment[]): { found: boolean; value: unknown } {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return { found: false, value: undefined };
    value = (value as Record<PathSegment, unknown>)[segment];
  }
  return { found: true, value };
}

function describe(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The object schema at `path`, following the branch of a union that matches the data there. */
function objectKeysAt(path: readonly PathSegment[], data: unknown): string[] | undefined {
  let schema: unknown = RecipeSchema;
  let value = data;
  const unwrap = () => {
    for (;;) {
      if (schema instanceof z.ZodOptional) schema = schema.unwrap();
      else if (schema instanceof z.ZodUnion) {
        const options = schema.options as unknown[];
        const wanted = value !== null && typeof value === 'object' && !Array.isArray(value) ? z.ZodObject : Array.isArray(value) ? z.ZodArray : undefined;
        schema = options.find((option) => wanted !== undefined && option instanceof wanted);
      } else return;
    }
  };
  for (const segment of path) {
    unwrap();
    if (schema instanceof z.ZodObject && typeof segment === 'string') schema = (schema.shape as Record<string, unknown>)[segment];
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else return undefined;
    value = value !== null && typeof value === 'object' ? (value as Record<PathSegment, unknown>)[segment] : undefined;
  }
  unwrap();
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

interface RawIssue {
  path: PathSegment[];
  message: string;
  /** Offset in the text of the node the issue points at. */
  offset: number;
  /** A missing key, or an unknown key's did-you-mean: a misspelt key hides the "missing" it causes. */
  related?: { kind: 'missing' | 'misspelt'; key: string };
}

/** Zod reports a failed `string | object` union as alternatives; keep the one the user evidently meant. */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PathSegment[], data: unknown): Array<z.core.$ZodIssue & { fullPath: PathSegment[] }> {
  const flattened: Array<z.core.$ZodIssue & { fullPath: PathSegment[] }> = [];
  for (const issue of issues) {
    const fullPath = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
      flattened.push({ ...issue, fullPath });
      continue;
    }
    const rootTypeMismatch = (branch: readonly z.core.$ZodIssue[]) =>
      branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0;
    const meant = issue.errors.filter((branch) => !rootTypeMismatch(branch));
    if (meant.length > 0) {
      flattened.push(...flattenIssues(meant[0] ?? [], fullPath, data));
      continue;
    }
    const expected = issue.errors.map((branch) => (branch[0]?.code === 'invalid_type' ? branch[0].expected : 'something else'));
    const wording = expected.map((type) => (type === 'object' ? 'a mapping' : `a ${type}`)).join(' or ');
    flattened.push({ ...issue, fullPath, message: `expected ${wording}, got ${describe(valueAt(data, fullPath).value)}` });
  }
  return flattened;
}

function schemaIssues(document: Document.Parsed, data: unknown): RawIssue[] {
  const root = document.contents;
  const offsetOf = (node: YamlNode | undefined) => node?.range?.[0] ?? 0;

  const specVersion = valueAt(data, ['specVersion']);
  if (specVersion.found && !SPEC_VERSIONS.includes(specVersion.value as never)) {
    // A recipe for another format version would drown its one real problem in noise: report only that.
    const result = RecipeSchema.shape.specVersion.safeParse(specVersion.value);
    return [{ path: ['specVersion'], message: result.error?.issues[0]?.message ?? 'unsupported specVersion', offset: offsetOf(locate(root, ['specVersion']).node) }];
  }

  const result = RecipeSchema.safeParse(data);
  if (result.success) return [];
  const issues = flattenIssues(result.error.issues, [], data).flatMap((issue): RawIssue[] => {
    const path = issue.fullPath;
    const located = locate(root, path);
    if (issue.code === 'unrecognized_keys') {
      const expected = objectKeysAt(path, data) ?? [];
      return issue.keys.map((key) => {
        const pair = isMap(located.node) ? located.node.items.find((item) => String(keyOf(item)) === key) : undefined;
        const suggestion = didYouMean(key, expected);
        return {
          path,
          offset: offsetOf((pair?.key as YamlNode | undefined) ?? located.node),
          ...(suggestion ? { related: { kind: 'misspelt', key: suggestion } } : {}),
          message:
            `unknown key ${JSON.stringify(key)} — expected one of ${expected.join(', ')}` +
            (suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''),
        };
      });
    }
    const parentPath = path.slice(0, -1);
    const key = path.at(-1);
    if (typeof key === 'string' && !valueAt(data, path).found && valueAt(data, parentPath).found) {
      const versions = key === 'specVersion' ? ` — this engine reads specVersion ${SPEC_VERSIONS.join(', ')}: start the recipe with "specVersion: 1"` : '';
      return [{ path: parentPath, offset: offsetOf(locate(root, parentPath).node), related: { kind: 'missing', key }, message: `missing required key ${JSON.stringify(key)}${versions}` }];
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) {
      const expected = issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
      message = `expected ${expected}, got ${describe(valueAt(data, path).value)}`;
    }
    return [{ path, offset: offsetOf(located.node), message }];
  });
  const where = (issue: RawIssue) => `${formatRecipePath(issue.path)}\0${issue.related?.key}`;
  const misspelt = new Set(issues.filter((issue) => issue.related?.kind === 'misspelt').map(where));
  return issues.filter((issue) => issue.related?.kind !== 'missing' || !misspelt.has(where(issue)));
}

/** The mapping entry whose key starts at `offset`, and the path of its mapping. */
function keyStartingAt(node: unknown, offset: number, path: PathSegment[]): { pair: Pair; path: PathSegment[] } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if ((pair.key as YamlNode | null)?.range?.[0] === offset) return { pair, path };
      const found = keyStartingAt(pair.value, offset, [...path, String(keyOf(pair))]);
      if (found) return found;
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const found = keyStartingAt(item, offset, [...path, index]);
      if (found) return found;
    }
  }
  return undefined;
}

function syntaxIssues(document: Document.Parsed, text: string): RawIssue[] {
  return document.errors.map((error) => {
    const offset = error.pos[0];
    if (error.code === 'DUPLICATE_KEY') {
      const found = keyStartingAt(document.contents, offset, []);
      const key = found ? String(keyOf(found.pair)) : text.slice(error.pos[0], error.pos[1]);
      return { path: found?.path ?? [], offset, message: `duplicate key ${JSON.stringify(key)}: each key may appear only once in a mapping` };
    }
    const message = error.message.split('\n')[0] ?? '';
    // The parser recurses per nesting level; a recipe is a few levels deep, so this is hostile or broken input.
    if (/Maximum call stack/.test(message)) return { path: [], offset, message: 'the recipe nests too deeply here: a recipe is a few levels of mappings and lists' };
    return { path: [], offset, message: `YAML syntax error: ${message}` };
  });
}

function throwIssues(raw: RawIssue[], lineCounter: LineCounter, file: string): never {
  const issues: RecipeIssue[] = raw
    .map((issue) => {
      const { line, col } = lineCounter.linePos(issue.offset);
      return { file, line, column: col, path: formatRecipePath(issue.path), message: issue.message };
    })
    .sort((left, right) => left.line - right.line || left.column - right.column);
  throw new RecipeError(issues);
}

/** Parses and validates recipe YAML; `file` is only used in messages. Throws RecipeError with file:line:column for every problem. */
export function parseRecipe(text: string, file: string): Recipe {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  if (document.errors.length > 0) throwIssues(syntaxIssues(document, text), lineCounter, file);

  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throwIssues([{ path: [], offset: 0, message: `YAML error: ${(error as Error).message}` }], lineCounter, file);
  }
  if (data === null || data === undefined) {
    throwIssues([{ path: [], offset: 0, message: 'the recipe is empty: it needs at least specVersion, name and jail' }], lineCounter, file);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throwIssues([{ path: [], offset: document.contents?.range?.[0] ?? 0, message: `a recipe is a mapping of keys (specVersion, name, jail, …), not ${describe(data)}` }], lineCounter, file);
  }

  const issues = schemaIssues(document, data);
  if (issues.length > 0) throwIssues(issues, lineCounter, file);
  return data as Recipe;
}

/** Reads, validates and normalizes a recipe file, with the binaries `jailwright compile` built for it when there are any. */
export async function loadRecipe(file: string): Promise<LoadedRecipe> {
  const absolute = resolve(file);
  const text = await readRecipeText(absolute);
  const recipe = applyCompiledBinaries(normalizeRecipe(parseRecipe(text, file)));
  return { recipe, file: absolute, directory: dirname(absolute) };
}
