import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { buildJail } from '../build-jail.js';
import { ExitCode } from '../errors.js';
import { formatPlan } from './format-plan.js';
import { allowMissingSymbolsOption, missingSymbolsVerdict } from './missing-symbols-check.js';

interface BuildCommandOptions {
  root?: string;
  dryRun?: boolean;
  json?: boolean;
  link?: 'copy' | 'hard';
  force?: boolean;
  wait?: number | true;
  audit: boolean;
  auditFailOn?: 'critical' | 'high' | 'medium';
  allowMissingSymbols?: boolean;
  cache: boolean;
  variant?: string;
  option: Record<string, string>;
}

/** `jailwright build <recipe>`: plan a jail from a recipe and build it atomically. */
export function registerBuildCommand(program: Command): void {
  program
    .command('build')
    .summary('build (or refresh) a jail from a recipe')
    .description(
      'Plan the jail a recipe describes against this host and build it: a new tree is built beside the ' +
        'old one and swapped in with one rename, so a running service or a killed build never sees a mixture. ' +
        'A rebuild of an unchanged recipe on an unchanged host changes nothing and says so.',
    )
    .argument('<recipe>', 'a recipe.yaml path, a recipe package (@jailwright/bind) or an installed short name (bind)')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>); its parents must be root-owned and not writable by others')
    .option('--dry-run', 'print the ordered operations and write nothing (no root needed)')
    .option('--json', 'print the plan (with --dry-run) or the build result as JSON')
    .addOption(new Option('--link <mode>', 'copy files, or hard-link them when on the same filesystem').choices(['copy', 'hard']))
    .option('--force', 'build a new generation even when nothing changed')
    .option('--wait [seconds]', 'if another build of this jail is running, wait for it (default: refuse)', parseSeconds)
    .option('--no-audit', 'do not audit the new generation (see jailwright audit)')
    .addOption(new Option('--audit-fail-on <severity>', 'exit 1 when the audit finds this or worse (default: high)').choices(['critical', 'high', 'medium']))
    .option('--variant <name>', "build one of the recipe's variants (its variants: section), e.g. apache's chrootdir; start, check and stop then follow it")
    .option(
      '--option <name=value>',
      "set one of the recipe's options (its options: section), e.g. port=8081; repeat for more; a value @FILE is read from FILE",
      collectOption,
      {},
    )
    .option(
      '--no-cache',
      'validate the recipe, read and hash every host file and run the whole symbol check, instead of trusting what earlier builds recorded about the same recipe and unchanged files (the build cache: JAILWRIGHT_BUILD_CACHE, default /var/cache/jailwright/build, ~/.cache/jailwright/build without root); a jail that is up to date is left alone: add --force',
    )
    .addOption(allowMissingSymbolsOption())
    .addHelpText(
      'after',
      `
Examples:
  jailwright build ./recipe.yaml --root /srv/jails/demo --dry-run
  sudo jailwright build @jailwright/bind --root /srv/jails/bind
  sudo jailwright build bind --json | jq .result.generation
  sudo jailwright build apache --variant chrootdir --option port=8081
  sudo jailwright build bind --option zone=example.org --option records=@./records.txt`,
    )
    .action(async (recipe: string, options: BuildCommandOptions) => {
      const progress = !options.json && process.stderr.isTTY;
      const outcome = await buildJail({
        recipe,
        root: options.root,
        dryRun: options.dryRun,
        link: options.link,
        force: options.force,
        waitMs: options.wait === undefined ? 0 : options.wait === true ? Number.POSITIVE_INFINITY : options.wait * 1000,
        onProgress: progress ? (done, total) => process.stderr.write(`\rbuilding: ${done}/${total}`) : undefined,
        onWait: (pid) => process.stderr.write(`waiting for the build running as pid ${pid}...\n`),
        audit: options.audit,
        auditFailOn: options.auditFailOn,
        variant: options.variant,
        options: options.option,
        cache: options.cache,
      });
      if (outcome.audit && !outcome.audit.verdict.passed) process.exitCode = ExitCode.findings;
      const symbolsVerdict = await missingSymbolsVerdict(outcome.symbols, options.allowMissingSymbols);
      if (symbolsVerdict.failed) process.exitCode = ExitCode.findings;
      if (progress && outcome.result) process.stderr.write('\r\x1b[K');
      if (options.json) {
        const { recipeFile, root, plan, createdAccounts, result, audit, symbols } = outcome;
        process.stdout.write(`${JSON.stringify({ recipe: recipeFile, root, plan, createdAccounts, result, audit, symbols }, null, 2)}\n`);
        return;
      }
      if (!outcome.result) {
        if (outcome.plan) process.stdout.write(formatPlan(outcome.plan, outcome.root));
        return;
      }
      for (const name of outcome.createdAccounts) process.stdout.write(`created host system account ${name}\n`);
      for (const note of outcome.plan?.notes ?? []) process.stdout.write(`note: ${note}\n`);
      const result = outcome.result;
      if (!result.changed) {
        process.stdout.write(`${outcome.recipeName} in ${result.root} is up to date: nothing changed (${result.generation})\n`);
        return;
      }
      process.stdout.write(
        `built ${outcome.recipeName} in ${result.root}: ${result.generation}, ${result.operations} paths, ` +
          `${(result.bytesCopied / 1e6).toFixed(1)} MB copied\nmanifest: ${result.manifestPath}\n`,
      );
      if (outcome.audit) {
        const { report, verdict } = outcome.audit;
        const notable = report.findings.filter((finding) => finding.severity !== 'low' || !verdict.passed);
        if (notable.length === 0 && report.unchecked.length === 0) process.stdout.write('audit: nothing above low\n');
        else {
          const { formatAuditText } = await import('../audit/format-report.js');
          process.stdout.write(formatAuditText(report, verdict));
        }
      }
      process.stdout.write(symbolsVerdict.text);
    });
}

/** `--option name=value`, repeatable; `name=@FILE` takes the value from FILE (zone records, say). */
function collectOption(text: string, collected: Record<string, string>): Record<string, string> {
  const separator = text.indexOf('=');
  if (separator <= 0) throw new InvalidArgumentError('expected name=value, e.g. port=8081');
  const name = text.slice(0, separator);
  const value = text.slice(separator + 1);
  if (!value.startsWith('@')) return { ...collected, [name]: value };
  try {
    return { ...collected, [name]: readFileSync(value.slice(1), 'utf8') };
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${value.slice(1)} for option ${name}: ${(error as Error).message}`);
  }
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw new InvalidArgumentError('expected a number of seconds');
  return seconds;
}
