import { type Command, Option } from 'commander';

/** `jailwright restart <recipe>`: stop, then start. */
export function registerRestartCommand(program: Command): void {
  program
    .command('restart')
    .summary("restart a jail's service")
    .description(
      'Stop the service (as stop does), then start it again (as start does, waiting for its probes). The new run keeps ' +
        "the last run's restart policy unless --restart is given; its restarts counter starts again at 0.",
    )
    .argument('<recipe>', 'a recipe.yaml path, a recipe package or an installed short name')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>)')
    .addOption(new Option('--restart <policy>', "restart policy for the new run (default: the last run's)").choices(['no', 'on-failure']))
    .option('--json', 'print the new status as JSON')
    .action(async (recipe: string, options: { root?: string; restart?: 'no' | 'on-failure'; json?: boolean }) => {
      const [{ restartService }, { formatStatus }] = await Promise.all([import('../launch/service-control.js'), import('./status-command.js')]);
      const { stopped, started } = await restartService({ recipe, root: options.root, restart: options.restart });
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ...started.status, wasRunning: stopped.wasRunning, killed: stopped.killed }, null, 2)}\n`);
        return;
      }
      const how = !stopped.wasRunning ? 'was not running; started' : stopped.killed ? 'restarted (the old run was killed after the stop timeout)' : 'restarted';
      process.stdout.write(`${how}: ${formatStatus(started.status)}`);
    });
}
