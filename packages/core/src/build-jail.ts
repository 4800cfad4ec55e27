import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ApplyResult } from './apply/apply.js';
import type { AuditReport, AuditVerdict } from './audit/index.js';
import { findUpToDateJail } from './apply/up-to-date.js';
import type { Plan } from './plan/types.js';
import type { MissingSymbolsReport } from './trace/missing-symbols.js';
import type { AuditSeverity, NormalizedRecipe } from './recipe/index.js';
import { EXTENDS_LINE, readRecipeText } from './recipe/read-recipe-text.js';
import { resolveRecipeReference } from './recipe/resolve-reference.js';
import { canonicalSelection, layerSelection } from './recipe/selection.js';
import { applyCompiledBinaries, parseCompiledBinaries, readCompiledBinariesText } from './compile/compiled-binaries.js';
import { ENGINE_VERSION } from './version.js';

/** What `buildJail` is asked to do. */
export interface BuildJailOptions {
  /** A recipe.yaml path, a recipe package name (`@jailwright/bind`) or a short name (`bind`). */
  recipe: string;
  /** The jail root; defaults to /srv/jails/<recipe name>. */
  root?: string | undefined;
  /** Plan only: read the host, write nothing. */
  dryRun?: boolean | undefined;
  link?: 'copy' | 'hard' | undefined;
  force?: boolean | undefined;
  waitMs?: number | undefined;
  cwd?: string | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
  onWait?: ((holderPid: number) => void) | undefined;
  /** Audit a new generation when it is built (default true), failing at this severity (default high). */
  audit?: boolean | undefined;
  auditFailOn?: AuditSeverity | undefined;
  /**
   * Trust what earlier builds recorded (default true): the sha256 of host files that are provably unchanged
   * (previous manifest, the build cache), a clean symbol check of the same jail content, and the validated
   * recipe of the same text. False validates the recipe, reads and hashes every host file and runs the
   * whole symbol check.
   */
  cache?: boolean | undefined;
  /** Look for undefined symbols no object in a new generation defines (default true). */
  symbols?: boolean | undefined;
  /** Keep the previous generation after the swap, for a rollback (see applyPlan). */
  keepPrevious?: boolean | undefined;
  /** The recipe variant to build (`variants:`); default: the recipe's top level. */
  variant?: string | undefined;
  /** Values for the recipe's `options:`, as the user gave them. */
  options?: Readonly<Record<string, string>> | undefined;
}

/** What `buildJail` did. `plan` is absent when the jail was found up to date without planning. */
export interface BuildJailOutcome {
  recipeFile: string;
  recipeName: string;
  root: string;
  plan?: Plan;
  createdAccounts: string[];
  result?: ApplyResult;
  /** The audit of the new generation (absent for dry runs, unchanged jails, or with audit off). */
  audit?: { report: AuditReport; verdict: AuditVerdict };
  /** The article's nm loop over the new generation: symbols and versions nothing in the jail defines. */
  symbols?: MissingSymbolsReport;
}

/** The default place of a recipe's jail. */
export function defaultJailRoot(recipeName: string): string {
  return `/srv/jails/${recipeName}`;
}

/**
 * Loads a recipe, plans its jail against this host, and (unless a dry run) builds it atomically.
 * When the recipe bytes and every host path the last plan consulted are unchanged, it answers
 * "up to date" without planning; the planner, YAML and schema modules are loaded only when needed.
 */
export async function buildJail(options: BuildJailOptions): Promise<BuildJailOutcome> {
  const recipeFile = await resolveRecipeReference(options.recipe, { cwd: options.cwd });
  const ownText = await readRecipeText(recipeFile);
  // A recipe that extends another is only a choice: parse the one it extends, and hash every text read.
  const source = EXTENDS_LINE.test(ownText)
    ? await (await import('./recipe/extends.js')).readRecipeSource(recipeFile)
    : { file: recipeFile, text: ownText, selection: {}, texts: [ownText] };
  const text = source.text;
  const inputsText = source.texts.join('\0');
  // The name is only a hint (the default root, the compile record); the recipe hash decides whether the jail is current.
  const nameHint = /^name:\s*["']?([a-z0-9-]+)/m.exec(text)?.[1] ?? '';
  let recipeSha256 = recipeInputsSha256(inputsText, nameHint);
  const link = options.link ?? null;
  const selection = canonicalSelection({ variant: options.variant, options: options.options });

  if (!options.dryRun && !options.force) {
    const root = options.root ?? defaultJailRoot(nameHint);
    const current = findUpToDateJail(root, { recipeSha256, engineVersion: ENGINE_VERSION, link, selection });
    if (current) {
      return {
        recipeFile,
        recipeName: current.manifest.recipe,
        root: path.resolve(root),
        createdAccounts: [],
        result: {
          changed: false,
          root: path.resolve(root),
          generation: current.generation,
          manifestPath: current.manifestPath,
          operations: current.manifest.entries.length,
          bytesCopied: 0,
          previousGeneration: current.generation,
        },
      };
    }
  }

  const [{ normalizedRecipe }, { HostView }, { planJail }] = await Promise.all([
    import('./recipe/recipe-cache.js'),
    import('./host/host-view.js'),
    import('./plan/plan.js'),
  ]);
  const recipe = applyCompiledBinaries(await normalizedRecipe(text, source.file, layerSelection(source.selection, selection), options.cache !== false));
  if (recipe.name !== nameHint) recipeSha256 = recipeInputsSha256(inputsText, recipe.name);
  const root = path.resolve(options.root ?? defaultJailRoot(recipe.name));
  const host = new HostView();
  const compiled = readCompiledBinariesText(recipe.name);
  const planned = async () => {
    const result = await planJail(recipe, host, { link: options.link });
    if (compiled !== undefined) result.notes.push(compiledNote(recipe.name, compiled));
    return result;
  };
  let plan = await planned();
  if (options.dryRun) return { recipeFile, recipeName: recipe.name, root, plan, createdAccounts: [] };

  const [{ applyPlan }, { assertRoot }, { ensureSystemAccount }, { stampInputs }] = await Promise.all([
    import('./apply/apply.js'),
    import('./apply/root-safety.js'),
    import('./host/accounts.js'),
    import('./host/input-stamps.js'),
  ]);
  assertRoot('building a jail');
  const createdAccounts: string[] = [];
  if (plan.accountsToCreate.length > 0) {
    for (const account of plan.accountsToCreate) {
      if (await ensureSystemAccount(account, await host.accounts())) createdAccounts.push(account.name);
      host.forgetAccounts();
    }
    plan = await planned();
  }
  const result = await applyPlan(plan, root, {
    force: options.force,
    waitMs: options.waitMs,
    recipeFile,
    engineVersion: ENGINE_VERSION,
    inputs: { recipeSha256, engineVersion: ENGINE_VERSION, link, paths: stampInputs(host.consulted()), ...(selection ? { selection } : {}) },
    onProgress: options.onProgress,
    onWait: options.onWait,
    keepPrevious: options.keepPrevious,
    reuseDigests: options.cache !== false,
  });
  // The registry of this host's jails (jailwright list); a registry that cannot be written never fails a build.
  const { registerJail } = await import('./lifecycle/registry.js');
  await registerJail({ root, recipe: recipe.name, recipeFile }).catch(() => undefined);
  const outcome: BuildJailOutcome = { recipeFile, recipeName: recipe.name, root, plan, createdAccounts, result };
  if (!result.changed) return outcome;
  if (options.audit !== false) outcome.audit = await auditBuiltJail(root, recipe, recipeFile, link, options);
  if (options.symbols !== false) outcome.symbols = await checkBuiltSymbols(root, result, options.cache !== false);
  return outcome;
}

/**
 * The article's nm loop over a new generation: from the build cache when the jail holds what a jail of the same
 * content held before (the service data a rebuild carried over is looked at for objects), or read in full.
 */
async function checkBuiltSymbols(root: string, result: ApplyResult, cache: boolean): Promise<MissingSymbolsReport> {
  const [{ findMissingSymbols, findMissingSymbolsOfBuild }, { readManifest }, { carriedDataDirectories }] = await Promise.all([
    import('./trace/missing-symbols.js'),
    import('./apply/manifest.js'),
    import('./apply/service-data.js'),
  ]);
  const manifest = cache ? await readManifest(result.manifestPath) : undefined;
  if (!manifest) return findMissingSymbols(root);
  return findMissingSymbolsOfBuild(root, manifest.entries, result.previousGeneration === undefined ? [] : carriedDataDirectories(manifest.entries));
}

/** The recipe's bytes and, when it was compiled from source, the compile record: a new compile rebuilds the jail. */
function recipeInputsSha256(text: string, recipeName: string): string {
  const compiled = recipeName ? readCompiledBinariesText(recipeName) : undefined;
  return createHash('sha256').update(text).update(compiled === undefined ? '' : `\0compiled\0${compiled}`).digest('hex');
}

function compiledNote(recipeName: string, text: string): string {
  const record = parseCompiledBinaries(text, recipeName);
  return (
    `built from source by \`jailwright compile\` (profile ${record.profile}, ${record.prefix}): ${Object.keys(record.replaces).length} host files replaced; ` +
    `\`jailwright compile ${recipeName} --forget\` goes back to the host's`
  );
}

/** Audits a freshly built generation, allowing what the recipe chose on purpose (see deliberateChoices). */
async function auditBuiltJail(
  root: string,
  recipe: NormalizedRecipe,
  recipeFile: string,
  link: 'copy' | 'hard' | null,
  options: BuildJailOptions,
): Promise<{ report: AuditReport; verdict: AuditVerdict }> {
  const [{ auditJail, failingFindings }, { deliberateChoices }] = await Promise.all([import('./audit/index.js'), import('./audit/deliberate-choices.js')]);
  const allow = deliberateChoices(recipe, link);
  const report = await auditJail(root, { allow, allowTty: recipe.jail.devices.includes('tty') });
  const failOn = options.auditFailOn ?? 'high';
  const failing = failingFindings(report.findings, failOn).length;
  return { report, verdict: { recipe: recipeFile, failOn, failing, passed: failing === 0 } };
}
