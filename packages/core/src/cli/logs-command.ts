import { type Command, InvalidArgumentError } from 'commander';

/** `jailwright logs <recipe>`: where a jail's logs are, and their last lines. */
export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .summary("show where a jail's logs are, and their last lines")
    .description("The service's stdout and stderr and the supervisor's log (kept outside the jail), and where the\njail's syslog messages go (the recipe's syslog method).")
    .argument('<recipe>', 'a recipe.yaml path, a recipe package or an installed short name')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>)')
    .option('-n, --lines <count>', 'how many last lines of each log to show', parseCount, 20)
    .option('--json', 'print as JSON')
    .action(async (recipe: string, options: { root?: string; lines: number; json?: boolean }) => {
      const { serviceLogs } = await import('../launch/service-logs.js');
      const report = await serviceLogs({ recipe, root: options.root }, options.lines);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const out: string[] = [`${report.recipe} in ${report.root}`, `syslog: ${report.syslog}`];
      for (const log of report.logs) {
        out.push(`${log.what}: ${log.path}${log.exists ? '' : ' (not written yet)'}`);
        for (const line of log.lastLines) out.push(`  ${line}`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError('expected a whole number of lines');
  return count;
}
