import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { allowMissingSymbolsOption, missingSymbolsVerdict } from './missing-symbols-check.js';

/** `jailwright update <root>`: re-plan a jail against today's host and swap it in. */
export function registerUpdateCommand(program: Command): void {
  program
    .command('update')
    .summary("rebuild a jail from its recipe against today's host, with rollback")
    .description(
      'Plan the jail again from the recipe that built it, against the host as it is now: the ELF closure is resolved ' +
        'afresh, so a library whose soname changed, a new dependency or a file the host removed come out right. The new ' +
        'generation is built beside the old one and swapped in with one rename; the previous generation is kept until the ' +
        "next build. The service's data (logs, spool) is carried over. With --restart the service is restarted and its " +
        'probes must pass; when they do not, the root is pointed back at the previous generation and the service is ' +
        'started there. Like build, it audits the new generation and looks for symbols something in it needs and nothing ' +
        'in it defines (see jailwright symbols). Exit code 0 updated (or nothing to do), 1 rolled back, the audit failed ' +
        'or the new generation misses symbols (unless --allow-missing-symbols), 2 not a jailwright jail or its recipe is ' +
        'gone, 3 not root.',
    )
    .argument('<root>', 'the jail root, e.g. /srv/jails/demo')
    .option('--dry-run', 'print what would change, path by path, and write nothing')
    .option('--restart', 'restart the service, wait for its probes, and roll back if they fail')
    .option('--json', 'print the report as JSON (schemaVersion 1)')
    .addOption(allowMissingSymbolsOption())
    .addHelpText(
      'after',
      `
Examples:
  sudo jailwright update /srv/jails/www --dry-run
  sudo jailwright update /srv/jails/www --restart
  sudo jailwright update /srv/jails/www --json | jq '.changes[] | select(.change == "added")'`,
    )
    .action(async (root: string, options: { dryRun?: boolean; restart?: boolean; json?: boolean; allowMissingSymbols?: boolean }) => {
      const { updateJail, formatUpdateText } = await import('../lifecycle/update-jail.js');
      const progress = !options.json && process.stderr.isTTY;
      const report = await updateJail(root, {
        dryRun: options.dryRun,
        restart: options.restart,
        onProgress: progress ? (done, total) => process.stderr.write(`\rbuilding: ${done}/${total}`) : undefined,
      });
      if (progress) process.stderr.write('\r\x1b[K');
      const symbolsVerdict = await missingSymbolsVerdict(report.symbols, options.allowMissingSymbols);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatUpdateText(report)}${symbolsVerdict.text}`);
      process.exitCode = report.restart?.rolledBack || report.audit?.passed === false || symbolsVerdict.failed ? ExitCode.findings : ExitCode.ok;
    });
}
