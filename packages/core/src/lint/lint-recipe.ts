/** `jailwright lint`: the rules a reviewer of a recipe would otherwise check by hand, each finding at its file:line. */
import { existsSync } from 'node:fs';
import { JailwrightError } from '../errors.js';
import { followExtends, type ExtendingRecipe } from '../recipe/extends.js';
import { readRecipeText } from '../recipe/read-recipe-text.js';
import { parseRecipe, recipePositions, type RecipePositions } from '../recipe/load.js';
import { RecipeError } from '../recipe/recipe-error.js';
import { resolveRecipeReference } from '../recipe/resolve-reference.js';
import { applySelection, VARIANT_SECTIONS } from '../recipe/select.js';
import { layerSelection, type RecipeSelection } from '../recipe/selection.js';

/** The ids of the lint rules, with what each asks of a recipe. */
export const LINT_RULES = {
  schema: 'the recipe is valid against the recipe schema',
  required: 'the fields a reviewer needs are present: specVersion, name, description, jail, launch, probes',
  order: 'top-level keys, and the keys of jail, are written in the canonical order',
  sha256: 'every sha256 is 64 lower-case hex digits',
  https: 'every source URL is https',
  'service-user': 'the service does not run as root',
  devices: 'devices come from the allow-list',
  setuid: 'no setuid/setgid mode unless the file keeps it with keepSetuid and a reason',
  'file-exists': 'every host file the recipe names (not marked optional) exists on this host',
  probe: 'at least one probe checks the service',
  extends: 'every extends: names a recipe that can be read, without a loop, and chooses a variant and option values it declares',
} as const;

export type LintRule = keyof typeof LINT_RULES;

/** One finding: rule, where, and what to do. */
export interface LintFinding {
  rule: LintRule;
  file: string;
  line: number;
  column: number;
  message: string;
}

/** The canonical order of a recipe's top-level keys: what it is, where it comes from, what goes in, how it runs, how it is checked. */
export const TOP_LEVEL_ORDER = ['specVersion', 'name', 'description', 'source', 'options', 'build', 'jail', 'launch', 'syslog', 'probes', 'audit', 'variants'] as const;

/** The canonical order of `jail:` keys: what comes in, who, where, what is generated. */
export const JAIL_ORDER = ['include', 'files', 'libraries', 'users', 'groups', 'directories', 'devices', 'symlinks', 'write', 'link'] as const;

/** The canonical order of a recipe that extends another: what it is, what it builds on, what it chooses. */
export const EXTENDS_ORDER = ['specVersion', 'extends', 'variant', 'with'] as const;

const REQUIRED = ['specVersion', 'name', 'description', 'jail', 'launch', 'probes'] as const;

/** Device nodes lint accepts without question; a terminal has no place in a daemon's jail. */
export const LINT_DEVICE_ALLOW_LIST = ['null', 'zero', 'full', 'random', 'urandom'] as const;

const SETUID_BITS = 0o6000;

type Path = (string | number)[];

/**
 * Lints the recipe text; `file` names it in findings and anchors nothing else. With a `selection` (what a
 * recipe extending this one chose; it must name declared options and variants), the rules read the recipe
 * it produces — options filled in, the variant's sections in place — and point at the lines those come from.
 */
export function lintRecipeText(text: string, file: string, selection?: RecipeSelection): LintFinding[] {
  const positions = recipePositions(text);
  const { findings, add: addInText } = collector(file, positions);

  try {
    parseRecipe(text, file, selection);
  } catch (error) {
    if (!(error instanceof RecipeError)) throw error;
    for (const issue of error.issues) findings.push({ rule: 'schema', file, line: issue.line, column: issue.column, message: `${issue.path ? `${issue.path}: ` : ''}${issue.message}` });
  }
  const written = positions.data;
  if (!isRecord(written)) return sortFindings(findings);
  const data = selection ? applySelection(written, selection).selected : written;
  const variantName = selection?.variant;
  const variant = variantName !== undefined && isRecord(written.variants) ? written.variants[variantName] : undefined;
  // A section the chosen variant replaces is written under variants.<name>.
  const add: Add = (rule, path, message, key) => {
    const fromVariant = isRecord(variant) && (VARIANT_SECTIONS as readonly unknown[]).includes(path[0]) && Object.hasOwn(variant, path[0]!);
    addInText(rule, fromVariant ? ['variants', variantName!, ...path] : path, message, key);
  };

  for (const key of REQUIRED) {
    if (!(key in data)) add('required', [], `missing ${key}: ${requiredWhy(key)}`);
  }
  checkOrder(positions, [], TOP_LEVEL_ORDER, addInText);
  if (isRecord(written.jail)) checkOrder(positions, ['jail'], JAIL_ORDER, addInText);
  checkValues(data, add);

  const launch = isRecord(data.launch) ? data.launch : undefined;
  const user = launch?.user;
  if (typeof user === 'string' && (user === 'root' || /^0+$/.test(user))) {
    add('service-user', ['launch', 'user'], 'the service runs as root: root can break out of a chroot; name an unprivileged account (jail.users: [{ name: …, create: true }])');
  }

  const jail = isRecord(data.jail) ? data.jail : {};
  if (Array.isArray(jail.devices)) {
    jail.devices.forEach((device, index) => {
      if (!(LINT_DEVICE_ALLOW_LIST as readonly unknown[]).includes(device)) {
        add('devices', ['jail', 'devices', index], `device ${JSON.stringify(device)} is not on the allow-list (${LINT_DEVICE_ALLOW_LIST.join(', ')}): a service jail needs no other node`);
      }
    });
  }

  const files = Array.isArray(jail.files) ? jail.files : [];
  files.forEach((entry, index) => {
    const path = typeof entry === 'string' ? entry : isRecord(entry) && typeof entry.path === 'string' ? entry.path : undefined;
    const optional = isRecord(entry) && entry.optional === true;
    if (path !== undefined && path.startsWith('/') && !optional && !existsSync(path)) {
      add('file-exists', ['jail', 'files', index], `${path} does not exist on this host: install what provides it, or mark the entry optional: true if the service runs without it`);
    }
    if (isRecord(entry) && hasSetuidMode(entry.mode) && !(entry.keepSetuid === true && typeof entry.reason === 'string' && entry.reason.trim() !== '')) {
      add('setuid', ['jail', 'files', index, 'mode'], `mode ${String(entry.mode)} sets setuid/setgid bits: drop them, or keep them with keepSetuid: true and a reason the audit prints`);
    }
    if (isRecord(entry) && entry.keepSetuid === true && !(typeof entry.reason === 'string' && entry.reason.trim() !== '')) {
      add('setuid', ['jail', 'files', index, 'keepSetuid'], 'keepSetuid: true without a reason: say why the service needs this file setuid inside its jail');
    }
  });
  for (const section of ['write', 'directories'] as const) {
    const entries = Array.isArray(jail[section]) ? jail[section] : [];
    entries.forEach((entry, index) => {
      if (isRecord(entry) && hasSetuidMode(entry.mode)) {
        add('setuid', ['jail', section, index, 'mode'], `mode ${String(entry.mode)} sets setuid/setgid bits on a ${section === 'write' ? 'generated file' : 'directory'}: nothing in a jail is made setuid by the recipe`);
      }
    });
  }

  if (!Array.isArray(data.probes) || data.probes.length === 0) {
    if ('probes' in data) add('probe', ['probes'], 'probes is empty: add at least one probe (http, dns, smtp, tcp, log or process) so `check` can prove the service works');
  }
  return sortFindings(findings);
}

/** Lints a recipe given as a path, package or short name (as `build` takes it), following `extends:`. */
export async function lintRecipe(reference: string, options: { cwd?: string } = {}): Promise<{ file: string; findings: LintFinding[] }> {
  const file = await resolveRecipeReference(reference, options);
  const findings: LintFinding[] = [];
  const chain: ExtendingRecipe[] = [];
  try {
    for await (const link of followExtends(file, await readRecipeText(file))) {
      if (!link.extending) {
        findings.push(...lintExtendedRecipe(link.text, link.file, chain));
        break;
      }
      findings.push(...lintExtendingRecipe(link.extending));
      chain.push(link.extending);
    }
  } catch (error) {
    // A target that cannot be found or read, or that loops: a finding at the extends: line naming it.
    if (!(error instanceof RecipeError)) throw error;
    findings.push(...error.issues.map((issue) => ({ rule: 'extends' as const, file: issue.file, line: issue.line, column: issue.column, message: issue.message })));
  }
  return { file, findings };
}

/** A recipe with `extends:` holds only its choice: valid as such, in the canonical order. */
function lintExtendingRecipe(extending: ExtendingRecipe): LintFinding[] {
  const positions = recipePositions(extending.text);
  const { findings, add } = collector(extending.file, positions);
  for (const issue of extending.issues) findings.push({ rule: 'schema', file: issue.file, line: issue.line, column: issue.column, message: `${issue.path ? `${issue.path}: ` : ''}${issue.message}` });
  checkOrder(positions, [], EXTENDS_ORDER, add);
  checkValues(positions.data, add);
  return sortFindings(findings);
}

/**
 * The recipe at the end of the chain, as the chain's choices produce it: each choice is checked against what
 * it declares first (at the line of the recipe that made it); when one is not declared, the recipe as written.
 */
function lintExtendedRecipe(text: string, file: string, chain: readonly ExtendingRecipe[]): LintFinding[] {
  const written = recipePositions(text).data;
  const findings: LintFinding[] = [];
  let selection: RecipeSelection = {};
  for (const extending of chain) {
    if (!extending.choice || !isRecord(written)) continue;
    const { add } = collector(extending.file, recipePositions(extending.text), findings);
    const { variant, options = {} } = extending.choice.selection;
    const check = (path: Path, chosen: RecipeSelection) => {
      try {
        applySelection(written, chosen);
      } catch (error) {
        if (!(error instanceof JailwrightError)) throw error;
        add('extends', path, `${error.message} (in ${file})`);
      }
    };
    if (variant !== undefined) check(['variant'], { variant });
    for (const [name, value] of Object.entries(options)) check(['with', name], { options: { [name]: value } });
    // What a nearer recipe chose wins over what the one it extends chose.
    selection = layerSelection(extending.choice.selection, selection);
  }
  return [...findings, ...lintRecipeText(text, file, findings.length === 0 ? selection : undefined)];
}

/** `recipe.yaml:12:5: order: …` */
export function formatLintFinding(finding: LintFinding): string {
  return `${finding.file}:${finding.line}:${finding.column}: ${finding.rule}: ${finding.message}`;
}

function requiredWhy(key: (typeof REQUIRED)[number]): string {
  switch (key) {
    case 'specVersion':
      return 'start the recipe with "specVersion: 1"';
    case 'name':
      return 'the service name, which names the jail and the package';
    case 'description':
      return 'one line saying what the recipe jails, shown in listings and the package';
    case 'jail':
      return 'what goes into the jail';
    case 'launch':
      return 'how the service is started, and as whom';
    case 'probes':
      return 'how `jailwright check` proves the service works';
  }
}

type Add = (rule: LintRule, path: Path, message: string, key?: boolean) => void;

/** Findings in one file, and how to add one at a path of its YAML (at the key with `key`, else at the value). */
function collector(file: string, positions: RecipePositions, findings: LintFinding[] = []): { findings: LintFinding[]; add: Add } {
  const add: Add = (rule, path, message, key = false) => {
    const where = (key ? positions.keyPositionOf(path) : undefined) ?? positions.positionOf(path);
    findings.push({ rule, file, line: where.line, column: where.column, message });
  };
  return { findings, add };
}

/** Every sha256 a digest and every source URL https, wherever they stand. */
function checkValues(data: unknown, add: Add): void {
  walk(data, [], (value, path) => {
    const key = path.at(-1);
    if (key === 'sha256' && !(typeof value === 'string' && /^[0-9a-f]{64}$/.test(value))) {
      add('sha256', path, `sha256 ${JSON.stringify(value)} is not 64 lower-case hex digits: write the digest \`sha256sum\` prints for the release file`);
    }
    if ((key === 'url' || key === 'source') && typeof value === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(value) && !value.startsWith('https://')) {
      add('https', path, `${JSON.stringify(value)} is not an https URL: fetch sources over https (with their sha256), so nobody on the way can swap them`);
    }
  });
}

function checkOrder(positions: RecipePositions, path: Path, order: readonly string[], add: Add): void {
  const keys = positions.keysAt(path).filter((key) => order.includes(key));
  let latest: string | undefined;
  for (const key of keys) {
    if (latest !== undefined && order.indexOf(key) < order.indexOf(latest)) {
      const where = path.length === 0 ? 'the recipe' : path.join('.');
      add('order', [...path, key], `${key} must come before ${latest} (${where}'s canonical order: ${order.filter((name) => keys.includes(name)).join(', ')})`, true);
    } else latest = key;
  }
}

function hasSetuidMode(mode: unknown): boolean {
  return typeof mode === 'string' && /^[0-7]{3,4}$/.test(mode) && (Number.parseInt(mode, 8) & SETUID_BITS) !== 0;
}

function walk(value: unknown, path: Path, visit: (value: unknown, path: Path) => void): void {
  visit(value, path);
  if (Array.isArray(value)) value.forEach((item, index) => walk(item, [...path, index], visit));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) walk(item, [...path, key], visit);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sortFindings(findings: LintFinding[]): LintFinding[] {
  return findings.sort((left, right) => left.line - right.line || left.column - right.column || left.rule.localeCompare(right.rule));
}
