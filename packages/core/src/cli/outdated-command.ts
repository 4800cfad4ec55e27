import type { Command } from 'commander';
import { ExitCode } from '../errors.js';

/** `jailwright outdated <root>`: what the host changed since the jail was built. */
export function registerOutdatedCommand(program: Command): void {
  program
    .command('outdated')
    .summary('list jail files the host has changed since the build, by Debian package')
    .description(
      'Compare every file the build copied with its host source by sha256 (not mtime): changed on the host, or gone ' +
        'from it. Changed files are grouped by the Debian package that owns the host file (one dpkg-query call). When ' +
        "the jail's service runs, its processes' /proc/PID/maps are read and every library they still map in a copy " +
        'the host has since replaced is named (after an update without --restart, too). ' +
        'Exit code 0 up to date, 1 something is outdated, 2 not a jailwright jail, 3 the manifest is unreadable.',
    )
    .argument('<root>', 'the jail root, e.g. /srv/jails/demo')
    .option('--json', 'print the report as JSON (schemaVersion 1)')
    .addHelpText(
      'after',
      `
Examples:
  sudo jailwright outdated /srv/jails/www
  sudo jailwright outdated /srv/jails/www --json | jq -r '.packages[].package'
  sudo jailwright outdated /srv/jails/www || sudo jailwright update /srv/jails/www --restart`,
    )
    .action(async (root: string, options: { json?: boolean }) => {
      const { findOutdated, formatOutdatedText } = await import('../lifecycle/outdated.js');
      const report = await findOutdated(root);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatOutdatedText(report));
      process.exitCode = report.outdated ? ExitCode.findings : ExitCode.ok;
    });
}
