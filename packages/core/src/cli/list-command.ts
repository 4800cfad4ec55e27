import type { Command } from 'commander';

/** `jailwright list`: every jail of this host. */
export function registerListCommand(program: Command): void {
  program
    .command('list')
    .summary('list the jails of this host')
    .description(
      'Every jail jailwright built on this host, from its registry (/var/lib/jailwright/jails, one file per root, written ' +
        'by build and verify; JAILWRIGHT_REGISTRY moves it): root, recipe, current generation, engine and recipe ' +
        "version, state (running; stale: running in an older generation, restart it; stopped), whether a host file the " +
        'last build read has changed since, and the last verify. A recorded root that no longer holds a jail is dropped ' +
        'from the registry. Exit code 0.',
    )
    .option('--json', 'print the list as JSON (schemaVersion 1, sorted by root)')
    .addHelpText(
      'after',
      `
Examples:
  sudo jailwright list
  sudo jailwright list --json | jq -r '.jails[] | select(.state == "stale") | .root'`,
    )
    .action(async (options: { json?: boolean }) => {
      const { listJails, formatJailList } = await import('../lifecycle/list-jails.js');
      const list = await listJails();
      process.stdout.write(options.json ? `${JSON.stringify(list, null, 2)}\n` : formatJailList(list));
    });
}
