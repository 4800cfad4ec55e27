import { type Command, Option } from 'commander';
import { formatStatus } from './status-command.js';

/** `jailwright restart <recipe>`: stop, then start. */
export function registerRestartCommand(program: Command): void {
  program
    .command('restart')
    .summary("restart a jail's service")
    .argument('<recipe>', 'a recipe.yaml path, a recipe package or an installed short name')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>)')
    .addOption(new Option('--restart <policy>', 'restart policy for the new run').choices(['no', 'on-failure']))
    .action(async (recipe: string, options: { root?: string; restart?: 'no' | 'on-failure' }) => {
      const { startService, stopService } = await import('../launch/service-control.js');
      await stopService({ recipe, root: options.root });
      const outcome = await startService({ recipe, root: options.root, restart: options.restart });
      process.stdout.write(`restarted: ${formatStatus(outcome.status)}`);
    });
}
