import { ExitCode, JailwrightError } from '../errors.js';
import { RECIPE_SCHEMA_URL } from './schema.js';

/** One problem in a recipe, located at the YAML node that causes it. */
export interface RecipeIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the recipe, e.g. `jail.files[2]`; empty for the top level. */
  path: string;
  message: string;
}

/** `recipe.yaml:4:3: jail: unknown key …` — the form editors and terminals turn into links. */
export function formatRecipeIssue(issue: RecipeIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/** A recipe that cannot be read: every problem found, each with file:line:column. Exit code 2. */
export class RecipeError extends JailwrightError {
  readonly issues: readonly RecipeIssue[];

  /** `hint` replaces the one about the recipe format, for a problem that is not one of format (a recipe `extends:` names that is not there). */
  constructor(issues: readonly RecipeIssue[], hint?: string) {
    super(issues.map(formatRecipeIssue).join('\n'), {
      exitCode: ExitCode.badInput,
      hint: hint ?? `The recipe format is described by @jailwright/core/recipe.schema.json; make "# yaml-language-server: $schema=${RECIPE_SCHEMA_URL}" the first line of the recipe for completion and checks in your editor.`,
    });
    this.name = 'RecipeError';
    this.issues = issues;
  }
}
