/** Which variant and which option values a jail is built with (kept free of zod: the up-to-date check reads it). */
export interface RecipeSelection {
  /** A name under `variants:`; absent means the recipe as written at its top level. */
  variant?: string | undefined;
  /** Option values as the user gave them (strings; `port` options are checked and converted). */
  options?: Readonly<Record<string, string>> | undefined;
}

/** A selection in one canonical shape (no empty parts, option names sorted), as recorded in a jail's manifest. */
export function canonicalSelection(selection: RecipeSelection = {}): RecipeSelection | undefined {
  const names = Object.keys(selection.options ?? {}).sort();
  const canonical: RecipeSelection = {
    ...(selection.variant === undefined ? {} : { variant: selection.variant }),
    ...(names.length === 0 ? {} : { options: Object.fromEntries(names.map((name) => [name, selection.options![name]!])) }),
  };
  return Object.keys(canonical).length === 0 ? undefined : canonical;
}

/** Whether two selections choose the same variant and option values. */
export function sameSelection(left: RecipeSelection | undefined, right: RecipeSelection | undefined): boolean {
  return JSON.stringify(canonicalSelection(left)) === JSON.stringify(canonicalSelection(right));
}

/** Selections layered: `over` wins where it says something. */
export function layerSelection(under: RecipeSelection, over: RecipeSelection = {}): RecipeSelection {
  return { variant: over.variant ?? under.variant, options: { ...under.options, ...over.options } };
}
