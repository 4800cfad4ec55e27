import type { Command } from 'commander';

/** `jailwright lint <recipe>`: the review rules for a recipe, each finding at its file:line. */
export function registerLintCommand(program: Command): void {
  program
    .command('lint')
    .summary('check a recipe against the rules a reviewer would check by hand')
    .description(
      'Check a recipe without building it: valid against the schema; specVersion, name, description, jail, ' +
        'launch and probes present; top-level and jail keys in the canonical order; every sha256 64 hex digits; ' +
        'every source URL https; the service not running as root; devices only from the allow-list (null, zero, ' +
        'full, random, urandom); no setuid or setgid mode unless the file keeps it with keepSetuid and a reason; ' +
        'every host file named (and not optional) present on this host; at least one probe. A recipe with extends: ' +
        'is checked as one that only chooses (specVersion, extends, variant, with, in that order), its extends: followed ' +
        'and the recipe its choice produces checked too, findings there at the lines of that file; a recipe extends: ' +
        'names that is not there, or a loop, is a finding at the extends: line, as is a variant or option it does not declare. ' +
        'Each finding is printed as file:line:column: rule: message. Exit 0 when clean, 1 on findings, 2 when the recipe cannot be read.',
    )
    .argument('<recipe>', 'a recipe.yaml path, a recipe directory (recipes/bind), a recipe package or an installed short name')
    .option('--json', 'print { file, findings: [{ rule, file, line, column, message }] }')
    .addHelpText(
      'after',
      `
Examples:
  jailwright lint recipes/bind
  jailwright lint ./recipe.yaml --json | jq '.findings[] | select(.rule == "order")'`,
    )
    .action(async (recipe: string, options: { json?: boolean }) => {
      const { lintRecipe, formatLintFinding } = await import('../lint/lint-recipe.js');
      const { file, findings } = await lintRecipe(recipe);
      if (options.json) process.stdout.write(`${JSON.stringify({ file, findings }, null, 2)}\n`);
      else {
        for (const finding of findings) process.stdout.write(`${formatLintFinding(finding)}\n`);
        process.stdout.write(findings.length === 0 ? `${file}: lint clean\n` : `${file}: ${findings.length} finding${findings.length === 1 ? '' : 's'}\n`);
      }
      process.exitCode = findings.length === 0 ? 0 : 1;
    });
}
