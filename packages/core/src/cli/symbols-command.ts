import type { Command } from 'commander';

/** `jailwright symbols <root>`: undefined symbols and versions no object in the jail defines. */
export function registerSymbolsCommand(program: Command): void {
  program
    .command('symbols')
    .summary('find undefined symbols no library in the jail defines')
    .description(
      "The article's nm loop, by reading ELF files: every undefined dynamic symbol and symbol version " +
        '(e.g. GLIBC_2.34) of every ELF object in the jail that no object in the jail defines, and the host ' +
        "libraries (in ld.so.cache, or in --search directories) that define it. Exit code 1 when any is missing.",
    )
    .argument('<root>', 'the jail root, e.g. /srv/jails/demo')
    .option('--search <dir>', 'also look for providers in this host directory (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--json', 'print the report as JSON')
    .action(async (root: string, options: { search: string[]; json?: boolean }) => {
      const { findMissingSymbols, formatMissingSymbols } = await import('../trace/missing-symbols.js');
      const { existsSync } = await import('node:fs');
      if (!existsSync(root)) {
        const { JailwrightError } = await import('../errors.js');
        throw new JailwrightError(`no jail at ${root}`, { hint: 'Build it first (jailwright build <recipe> --root <dir>).' });
      }
      const report = await findMissingSymbols(root, { searchDirectories: options.search });
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatMissingSymbols(report));
      if (report.missing.length > 0 || report.missingVersions.length > 0) process.exitCode = 1;
    });
}
