import { ExitCode, JailwrightError } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import { OPTION_PLACEHOLDER, OptionsSchema, type OptionDeclaration } from './options-schema.js';
import type { RecipeSelection } from './selection.js';

type PathSegment = string | number;

/** A problem in the recipe text itself, reported at its place in the file. */
export interface SelectionIssue {
  path: PathSegment[];
  message: string;
}

/** The recipe's sections a variant replaces, each as a whole. */
export const VARIANT_SECTIONS = ['description', 'jail', 'launch', 'syslog', 'probes', 'audit'] as const;

/** Option values, defaults filled: strings, and numbers for `port` options. */
export type OptionValues = Record<string, string | number>;

function badInput(message: string, hint: string): JailwrightError {
  return new JailwrightError(message, { exitCode: ExitCode.badInput, hint });
}

function listOf(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}

function checkValue(name: string, declaration: OptionDeclaration, value: string | number): string | number {
  const text = String(value);
  if (declaration.type === 'port') {
    const port = Number(text);
    if (!/^\d+$/.test(text) || port < 1 || port > 65_535) {
      throw badInput(`option ${name}: ${JSON.stringify(text)} is not a port (a whole number from 1 to 65535)`, `${name}: ${declaration.description}`);
    }
    return port;
  }
  if ((declaration.type ?? 'string') === 'string' && text.includes('\n')) {
    throw badInput(`option ${name}: a string option holds one line, and this value has ${text.split('\n').length}`, `${name}: ${declaration.description}`);
  }
  if (declaration.pattern !== undefined && !new RegExp(declaration.pattern).test(text)) {
    throw badInput(`option ${name}: ${JSON.stringify(text)} does not match ${declaration.pattern}`, `${name}: ${declaration.description}`);
  }
  return text;
}

/**
 * Every declared option's value: the user's, as given (checked against the option's type), else the
 * default with the other options it names filled in. A default naming itself through others is a recipe error.
 */
export function resolveOptionValues(declarations: Readonly<Record<string, OptionDeclaration>>, given: Readonly<Record<string, string>> = {}): { values: OptionValues; issues: SelectionIssue[] } {
  const names = Object.keys(declarations);
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declarations, name)) {
      const suggestion = didYouMean(name, names);
      throw badInput(
        `unknown option ${JSON.stringify(name)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''} — this recipe's options: ${listOf(names)}`,
        'Options are declared under `options:` in the recipe; give each as --option name=value.',
      );
    }
  }
  const values: OptionValues = {};
  const issues: SelectionIssue[] = [];
  const resolving: string[] = [];
  const resolve = (name: string): string | number | undefined => {
    if (Object.hasOwn(values, name)) return values[name];
    const declaration = declarations[name];
    if (!declaration) return undefined;
    if (Object.hasOwn(given, name)) return (values[name] = checkValue(name, declaration, given[name]!));
    if (resolving.includes(name)) {
      issues.push({ path: ['options', name, 'default'], message: `the default of ${name} names itself through ${[...resolving.slice(resolving.indexOf(name)), name].join(' → ')}` });
      return (values[name] = '');
    }
    resolving.push(name);
    const substituted = substitute(declaration.default, resolve, ['options', name, 'default'], issues, names);
    resolving.pop();
    if (Object.hasOwn(values, name)) return values[name];
    try {
      values[name] = checkValue(name, declaration, substituted as string | number);
    } catch (error) {
      issues.push({ path: ['options', name, 'default'], message: `the default is not a valid value: ${(error as Error).message}` });
      values[name] = String(substituted);
    }
    return values[name];
  };
  for (const name of names) resolve(name);
  return { values, issues };
}

/** Replaces `{{name}}` in every string under `value`; a string that is one placeholder takes the value's type (a port stays a number). */
function substitute(value: unknown, lookup: (name: string) => string | number | undefined, path: PathSegment[], issues: SelectionIssue[], declared: readonly string[]): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}$/.exec(value);
    const replace = (name: string) => {
      const found = lookup(name);
      if (found === undefined) issues.push({ path, message: `{{${name}}} names no option — declare it under options: (declared: ${listOf(declared)})` });
      return found;
    };
    if (whole) return replace(whole[1]!) ?? value;
    return value.replace(OPTION_PLACEHOLDER, (text, name: string) => String(replace(name) ?? text));
  }
  if (Array.isArray(value)) return value.map((item, index) => substitute(item, lookup, [...path, index], issues, declared));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, lookup, [...path, key], issues, declared)]));
  }
  return value;
}

/**
 * The recipe document for one variant and one set of option values, before schema validation: option
 * values substituted everywhere (variants included, so every variant is checked whichever is chosen),
 * then the chosen variant's sections put in place of the top-level ones. `variants` is dropped.
 * Unknown variant or option names, and bad values, are the user's input (exit 2); problems in the recipe
 * text come back as issues with their paths.
 */
export function applySelection(data: Record<string, unknown>, selection: RecipeSelection = {}): { substituted: Record<string, unknown>; selected: Record<string, unknown>; values: OptionValues; issues: SelectionIssue[] } {
  const parsedOptions = data.options === undefined ? { success: true as const, data: {} } : OptionsSchema.safeParse(data.options);
  if (!parsedOptions.success) {
    // The schema validation that follows reports these at their lines; substitute nothing meanwhile.
    return { substituted: data, selected: data, values: {}, issues: [] };
  }
  const declarations = parsedOptions.data;
  const { values, issues } = resolveOptionValues(declarations, selection.options);
  const { options, ...rest } = data;
  const substituted: Record<string, unknown> = { ...(substitute(rest, (name) => (Object.hasOwn(values, name) ? values[name] : undefined), [], issues, Object.keys(declarations)) as Record<string, unknown>), ...(options === undefined ? {} : { options }) };

  const variants = (substituted.variants ?? {}) as Record<string, Record<string, unknown>>;
  const selected: Record<string, unknown> = { ...substituted };
  delete selected.variants;
  if (selection.variant !== undefined) {
    const names = typeof variants === 'object' && variants !== null ? Object.keys(variants) : [];
    const chosen = Object.hasOwn(variants, selection.variant) ? variants[selection.variant] : undefined;
    if (!chosen) {
      const suggestion = didYouMean(selection.variant, names);
      throw badInput(
        `unknown variant ${JSON.stringify(selection.variant)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''} — this recipe's variants: ${listOf(names)}`,
        'Variants are declared under `variants:` in the recipe; without --variant the recipe is used as written at its top level.',
      );
    }
    for (const section of VARIANT_SECTIONS) if (Object.hasOwn(chosen, section)) selected[section] = chosen[section];
  }
  return { substituted, selected, values, issues };
}

