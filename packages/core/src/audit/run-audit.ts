import { ExitCode, type ExitCodeValue } from '../errors.js';
import { type Manifest, readManifest } from '../apply/manifest.js';
import { deliberateChoices } from './deliberate-choices.js';
import { loadRecipe } from '../recipe/load.js';
import { resolveRecipeReference } from '../recipe/resolve-reference.js';
import { auditJail, generationManifestPath } from './audit-jail.js';
import { failingFindings, type AuditReport, type AuditSeverity } from './finding.js';
import { formatAuditJson, formatAuditText, type AuditVerdict } from './format-report.js';
import { realpath } from 'node:fs/promises';

/** What `jailwright audit` was asked. */
export interface AuditCommandOptions {
  json?: boolean | undefined;
  /** Fail (exit 1) on a non-allowed finding this severe or worse. Default: high. */
  failOn?: AuditSeverity | undefined;
  /** The recipe whose `audit.allow` applies. Default: the recipe file the manifest names, when it still exists. */
  recipe?: string | undefined;
  cwd?: string | undefined;
}

/** A finished audit run: the report, the verdict, the text to print and the exit code. */
export interface AuditCommandResult {
  report: AuditReport;
  verdict: AuditVerdict;
  output: string;
  exitCode: ExitCodeValue;
}

/**
 * Audits a jail the way the CLI does: the allow list and the tty permission come from the recipe
 * (given, or the one the jail was built from); exit code 1 when a non-allowed finding reaches `failOn`.
 */
export async function runAudit(root: string, options: AuditCommandOptions = {}): Promise<AuditCommandResult> {
  const failOn = options.failOn ?? 'high';
  const recipeFile = options.recipe !== undefined ? await resolveRecipeReference(options.recipe, { cwd: options.cwd }) : await builtFromRecipe(root);
  const recipe = recipeFile ? (await loadRecipe(recipeFile)).recipe : undefined;
  const report = await auditJail(root, {
    allow: recipe ? deliberateChoices(recipe, (await currentManifest(root))?.inputs?.link) : undefined,
    allowTty: recipe ? recipe.jail.devices.includes('tty') : undefined,
  });
  const failing = failingFindings(report.findings, failOn).length;
  const verdict: AuditVerdict = { recipe: recipeFile ?? null, failOn, failing, passed: failing === 0 };
  const output = options.json ? formatAuditJson(report, verdict) : formatAuditText(report, verdict);
  return { report, verdict, output, exitCode: verdict.passed ? ExitCode.ok : ExitCode.findings };
}

/** The manifest of the jail's current generation, when there is one. */
async function currentManifest(root: string): Promise<Manifest | undefined> {
  const directory = await realpath(root).catch(() => undefined);
  const manifestFile = directory ? generationManifestPath(directory) : undefined;
  return manifestFile ? readManifest(manifestFile) : undefined;
}

/** The recipe file the manifest of the jail's current generation names, when it still exists. */
export async function builtFromRecipe(root: string): Promise<string | undefined> {
  const recipeFile = (await currentManifest(root))?.recipeFile;
  if (!recipeFile) return undefined;
  return (await realpath(recipeFile).catch(() => undefined)) ? recipeFile : undefined;
}
