import type { Command } from 'commander';

/** `jailwright stop <recipe>`: stop the service and its supervisor. */
export function registerStopCommand(program: Command): void {
  program
    .command('stop')
    .summary("stop a jail's service")
    .description("Send the recipe's stop signal (default SIGTERM), SIGKILL after launch.stop.timeoutSeconds, and wait until\nthe service, its launcher and its supervisor are gone. Only the processes this jail's state names are signalled.")
    .argument('<recipe>', 'a recipe.yaml path, a recipe package or an installed short name')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>)')
    .option('--purge', "also remove the syslog method's host files (rsyslog drop-in, syslog-ng snippet, relay state)")
    .action(async (recipe: string, options: { root?: string; purge?: boolean }) => {
      const { stopService } = await import('../launch/service-control.js');
      const outcome = await stopService({ recipe, root: options.root, purge: options.purge });
      if (!outcome.wasRunning) process.stdout.write(`${outcome.recipe} in ${outcome.root} was not running\n`);
      else process.stdout.write(`stopped ${outcome.recipe} in ${outcome.root}${outcome.killed ? ' (killed after the stop timeout)' : ''}\n`);
    });
}
