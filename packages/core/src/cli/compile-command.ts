import { type Command, InvalidArgumentError, Option } from 'commander';
import { BUILD_OPERATING_SYSTEMS } from '../compile/operating-systems.js';

interface CompileCommandOptions {
  source?: string;
  profile?: string;
  prefix?: string;
  jobs?: number;
  log?: string;
  workDir?: string;
  keep?: boolean;
  os?: (typeof BUILD_OPERATING_SYSTEMS)[number];
  dryRun?: boolean;
  forget?: boolean;
  json?: boolean;
}

/** `jailwright compile <recipe> --source <tarball-or-dir>`: build the service from source for the recipe's jail. */
export function registerCompileCommand(program: Command): void {
  program
    .command('compile')
    .summary("build the service from source with the recipe's build profile, for its jail")
    .description(
      "Build the recipe's service from a release tarball or a source tree with one of the recipe's build profiles " +
        '(configure flags, make variables or steps, declared in its `build:` section): unpack into a scratch directory, ' +
        "check the tarball's sha256 when the recipe knows the release, build with the output in a log file, install into " +
        'a staging DESTDIR, then move the prefix into place. The compile is recorded (in $JAILWRIGHT_STATE_DIR/compiled/<recipe>.json, ' +
        'default /var/lib/jailwright): from then on `build` copies the built files into the jail instead of the host\'s, and ' +
        '`start` runs the built program, until `--forget`.',
    )
    .argument('<recipe>', 'a recipe.yaml path, a recipe package (@jailwright/bind) or an installed short name (bind)')
    .option('--source <path>', 'the release tarball (.tar.gz, .tar.xz, …) or an unpacked source tree (copied, never built in place)')
    .option('--profile <name>', "the recipe's build profile (default: its defaultProfile, else \"default\")")
    .option('--prefix <dir>', "install here instead of the profile's prefix")
    .option('--jobs <n>', 'parallel make jobs (default: the number of CPUs)', parseJobs)
    .option('--log <file>', 'write the full build output here (default: /var/tmp/jailwright-compile/<recipe>-compile.log)')
    .option('--work-dir <dir>', 'unpack and build here (default: a new directory under /var/tmp/jailwright-compile)')
    .option('--keep', 'keep the build tree after a successful build')
    .addOption(new Option('--os <system>', 'the system the profile builds for: {os} in its paths, and its os-only files and steps').choices(BUILD_OPERATING_SYSTEMS).default('linux'))
    .option('--dry-run', 'check the source and print the files and commands of the build; build nothing (no root needed)')
    .option('--forget', 'drop the compile record: the next build takes the host\'s binaries again (the prefix stays)')
    .option('--json', 'print the outcome as JSON (no progress lines)')
    .addHelpText(
      'after',
      `
Exit codes: 0 built (or planned), 1 a build step failed (see the log), 2 bad input (no build section, unknown profile,
a tarball whose sha256 is not the release's), 3 environment (not root, a build tool missing).

Examples:
  jailwright compile bind --source bind-9.18.49.tar.xz --dry-run
  sudo nice -n 10 jailwright compile bind --source bind-9.18.49.tar.xz --jobs 2
  sudo jailwright build bind && sudo jailwright start bind        # the jail now holds the built named
  jailwright compile bind --profile bind8 --os solaris --source ./bind-8.2.3 --dry-run   # the article's Makefile.set
  sudo jailwright compile bind --forget                           # back to the host's named`,
    )
    .action(async (recipe: string, options: CompileCommandOptions) => {
      const { JailwrightError } = await import('../errors.js');
      if (options.forget) {
        const [{ forgetCompiledBinaries, compiledBinariesFile }, { resolveRecipeReference }, { loadRecipe }] = await Promise.all([
          import('../compile/compiled-binaries.js'),
          import('../recipe/resolve-reference.js'),
          import('../recipe/load.js'),
        ]);
        const { recipe: loaded } = await loadRecipe(await resolveRecipeReference(recipe));
        const existed = await forgetCompiledBinaries(loaded.name);
        const file = compiledBinariesFile(loaded.name);
        if (options.json) process.stdout.write(`${JSON.stringify({ recipe: loaded.name, forgotten: existed, recordFile: file })}\n`);
        else process.stdout.write(existed ? `forgot ${file}: the next build of ${loaded.name} takes the host's binaries\n` : `${loaded.name} has no compile record\n`);
        return;
      }
      if (!options.source) throw new JailwrightError('compile needs --source <tarball-or-dir>', { hint: 'e.g. jailwright compile bind --source bind-9.18.49.tar.xz' });
      const { compileRecipe } = await import('../compile/compile.js');
      const progress = !options.json;
      const outcome = await compileRecipe({
        recipe,
        source: options.source,
        profile: options.profile,
        prefix: options.prefix,
        jobs: options.jobs,
        log: options.log,
        workDirectory: options.workDir,
        keep: options.keep,
        os: options.os,
        dryRun: options.dryRun,
        onPhase: progress
          ? (event) =>
              process.stderr.write(
                event.state === 'start' ? `[${event.index}/${event.total}] ${event.phase}...\n` : `[${event.index}/${event.total}] ${event.phase} done in ${event.seconds}s\n`,
              )
          : undefined,
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
        return;
      }
      const { source, plan } = outcome;
      const check = source.kind === 'directory'
        ? 'a source tree (no checksum to check)'
        : source.verified
          ? `sha256 matches release ${source.version}`
          : `sha256 ${source.sha256} (not a release the recipe knows: unverified)`;
      process.stdout.write(`source: ${source.path}: ${check}\n`);
      if (options.dryRun) {
        process.stdout.write(`profile ${plan.profile} (${plan.os}), prefix ${plan.prefix}\n`);
        for (const file of plan.files) process.stdout.write(`write ${file.path}:\n${file.content.replace(/^(?=.)/gm, '  ')}`);
        for (const step of plan.steps) process.stdout.write(`run (${step.directory}): ${step.argv.join(' ')}\n`);
        for (const [host, built] of Object.entries(plan.replaces)) process.stdout.write(`then build uses ${built} for ${host}\n`);
        return;
      }
      const seconds = outcome.phases.reduce((sum, phase) => sum + phase.seconds, 0);
      process.stdout.write(
        `compiled ${outcome.recipe} (profile ${plan.profile}) into ${plan.prefix} in ${Math.round(seconds)}s\nlog: ${outcome.log}\n` +
          `recorded ${outcome.recordFile}: \`jailwright build ${outcome.recipe}\` now jails the built files:\n`,
      );
      for (const [host, built] of Object.entries(plan.replaces)) process.stdout.write(`  ${built} for ${host}\n`);
    });
}

function parseJobs(value: string): number {
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) throw new InvalidArgumentError('expected a whole number of jobs, 1 or more');
  return jobs;
}
