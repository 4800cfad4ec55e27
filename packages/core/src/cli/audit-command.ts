import { type Command, Option } from 'commander';

/** `jailwright audit <root>`: static checks of a jail tree, with a severity, why and fix for each finding. */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .summary('find the weaknesses of a jail tree')
    .description(
      'Check a jail without changing it: setuid files, file capabilities, device nodes, an unsafe root or ' +
        'parent, files root relies on that the service can write, kernel filesystems mounted inside, symlinks ' +
        'leading out, hard links, copied secrets, shells and other tools, world-writable paths, sockets and ' +
        'FIFOs, and copies that differ from their host source. Findings the recipe allows (audit.allow) are ' +
        'reported with their reason but do not fail the audit. ' +
        'Exit code 1 when a finding not allowed reaches --fail-on, 2 when the root is missing. ' +
        'With --running, the argument is a recipe and the live service is checked from /proc instead: non-root, ' +
        'NoNewPrivs, capabilities, bounding set, groups, namespaces, descriptors of directories outside the ' +
        'jail, root and cwd, for the service and every process it started, and whether Landlock scopes confine it ' +
        '(exit 1 when a failed check reaches --fail-on, 3 when it is not running).',
    )
    .argument('<root>', 'the jail root, e.g. /srv/jails/demo (with --running: the recipe)')
    .option('--running', 'audit the running service of the recipe named by the argument, from /proc')
    .option('--root <dir>', 'with --running: the jail root (default: the recipe\'s default root)')
    .option('--json', 'print the report as JSON (schemaVersion 1, findings sorted by severity, path, check)')
    .addOption(new Option('--fail-on <severity>', 'lowest severity that fails the audit').choices(['critical', 'high', 'medium']).default('high'))
    .option('--recipe <recipe>', 'recipe whose audit.allow applies (default: the recipe the jail was built from)')
    .addHelpText(
      'after',
      `
Examples:
  sudo jailwright audit /srv/jails/demo
  sudo jailwright audit /srv/jails/bind --json | jq '.findings[] | select(.severity == "critical")'
  sudo jailwright audit /srv/jails/apache --fail-on critical --recipe @jailwright/apache
  sudo jailwright audit --running @jailwright/bind --json
  sudo jailwright audit --running ./recipe.yaml --root /srv/jails/demo --fail-on medium`,
    )
    .action(async (root: string, options: { json?: boolean; failOn: 'critical' | 'high' | 'medium'; recipe?: string; running?: boolean; root?: string }) => {
      if (options.running) {
        const { runRunningAudit } = await import('../audit/running-audit.js');
        const result = await runRunningAudit({ recipe: root, root: options.root }, { json: options.json, failOn: options.failOn });
        process.stdout.write(result.output);
        process.exitCode = result.exitCode;
        return;
      }
      const { runAudit } = await import('../audit/run-audit.js');
      const result = await runAudit(root, { json: options.json, failOn: options.failOn, recipe: options.recipe });
      process.stdout.write(result.output);
      process.exitCode = result.exitCode;
    });
}
