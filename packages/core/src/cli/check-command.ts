import type { Command } from 'commander';

/** `jailwright check <recipe>`: run the recipe's probes against its running service. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .summary("run a recipe's probes against its running service")
    .description(
      "Run every probe of the recipe's probes section: http, dns, smtp and tcp as a client on this host would, " +
        'process against the service and every process it started (non-root, rooted in the jail), log in the ' +
        'jail it runs in. Each failure says what was expected and what came back. Exit 0 when all pass, 1 when not.',
    )
    .argument('<recipe>', 'a recipe.yaml path, a recipe package or an installed short name')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>)')
    .option('--json', 'print the results as JSON')
    .action(async (recipe: string, options: { root?: string; json?: boolean }) => {
      const [{ checkService, checkExitCode }, { formatProbeResult }] = await Promise.all([
        import('../check/check-service.js'),
        import('../check/probe-result.js'),
      ]);
      const report = await checkService({ recipe, root: options.root });
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const result of report.results) process.stdout.write(`${formatProbeResult(result)}\n`);
        const failed = report.results.filter((result) => !result.ok).length;
        process.stdout.write(`${report.recipe} in ${report.root}: ${failed === 0 ? 'all probes passed' : `${failed} of ${report.results.length} failed`}\n`);
      }
      process.exitCode = checkExitCode(report);
    });
}
