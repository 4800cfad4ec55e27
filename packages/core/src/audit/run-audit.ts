import { ExitCode, type ExitCodeValue } from '../errors.js';
import { builtRecipeFile, readTreeManifest } from '../apply/current-generation.js';
import { deliberateChoices } from './deliberate-choices.js';
import { loadRecipe } from '../recipe/load.js';
import { resolveRecipeReference } from '../recipe/resolve-reference.js';
import { auditJail } from './audit-jail.js';
import { failingFindings, type AuditReport, type AuditSeverity } from './finding.js';
import { formatAuditJson, formatAuditText, type AuditVerdict } from './format-report.js';

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
  const manifest = await readTreeManifest(root);
  const recipeFile = options.recipe !== undefined ? await resolveRecipeReference(options.recipe, { cwd: options.cwd }) : await builtRecipeFile(manifest);
  // The recipe as the tree was built: its variant and option values, and its --link.
  const recipe = recipeFile ? (await loadRecipe(recipeFile, manifest?.inputs?.selection)).recipe : undefined;
  const report = await auditJail(root, {
    allow: recipe ? deliberateChoices(recipe, manifest?.inputs?.link) : undefined,
    allowTty: recipe ? recipe.jail.devices.includes('tty') : undefined,
  });
  const failing = failingFindings(report.findings, failOn).length;
  const verdict: AuditVerdict = { recipe: recipeFile ?? null, failOn, failing, passed: failing === 0 };
  const output = options.json ? formatAuditJson(report, verdict) : formatAuditText(report, verdict);
  return { report, verdict, output, exitCode: verdict.passed ? ExitCode.ok : ExitCode.findings };
}
