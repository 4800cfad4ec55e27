import type { Command } from 'commander';
import { ExitCode } from '../errors.js';

/** `jailwright verify <root>`: compare a jail with the manifest its build left beside it. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .summary('compare a jail with its manifest: catch a jail changed after its build')
    .description(
      'Compare every path of the jail with the manifest its build kept beside it, outside the jail: paths added, ' +
        'removed, or changed in type, content (sha256), mode, owner, symlink target or device numbers. A service that ' +
        'altered its own jail is caught. What the service writes inside its data directories (directories of the jail ' +
        'a non-root account owns or can write: logs, spool, run) is its data, not drift; the directories themselves are ' +
        'checked. The time and verdict are recorded for jailwright list. ' +
        'Exit code 0 clean, 1 drift, 2 not a jailwright jail, 3 the manifest is unreadable (run as root).',
    )
    .argument('<root>', 'the jail root, e.g. /srv/jails/demo')
    .option('--json', 'print the report as JSON (schemaVersion 1, drift sorted by path)')
    .addHelpText(
      'after',
      `
Examples:
  sudo jailwright verify /srv/jails/www
  sudo jailwright verify /srv/jails/www --json | jq -r '.drift[] | "\\(.change) \\(.path)"'`,
    )
    .action(async (root: string, options: { json?: boolean }) => {
      const { verifyJail, formatVerifyText } = await import('../lifecycle/verify-jail.js');
      const report = await verifyJail(root);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyText(report));
      process.exitCode = report.clean ? ExitCode.ok : ExitCode.findings;
    });
}
