import { type Command, InvalidArgumentError } from 'commander';

interface LearnCommandOptions {
  root?: string;
  write?: boolean;
  maxIterations: number;
  configScan: boolean;
  json?: boolean;
}

/** `jailwright learn <recipe>`: build, run under strace, add what the run missed, repeat. */
export function registerLearnCommand(program: Command): void {
  program
    .command('learn')
    .summary("learn what a recipe's jail lacks by running its service under strace")
    .description(
      'Build the jail, run the service in it as start would (namespaces, dropped privileges) under strace ' +
        'running outside the chroot, and collect what the run asked for and did not get: files and libraries the ' +
        'host has (with their ELF closure), directories it writes in, devices, its account, libraries that define ' +
        'missing symbols, directories it lists (with their content), and host files named by the config the recipe ' +
        "provides, read as the service reads it: the files it opened, the files in config directories it listed, what " +
        'Include lines name, ${NAME} from launch.env; so every Apache LoadModule is learned in one run. Every run is ' +
        "printed; add, rebuild, repeat until the recipe's probes pass and nothing new is missing. /proc, /sys, " +
        '/etc/shadow and keys are never added (they are reported as skipped), nor setuid bits. Prints a diff of the ' +
        'recipe, or writes it with --write (comments kept). Exit code 1 when it does not converge or the service ' +
        'never ran, saying what is still missing and why.',
    )
    .argument('<recipe>', 'a recipe.yaml path (with a launch section and probes)')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>)')
    .option('--write', 'write the additions into the recipe file, keeping its comments and layout')
    .option('--max-iterations <n>', 'give up after this many runs', parseCount, 6)
    .option('--no-config-scan', 'do not read the config the recipe provides (and its includes) for host files it names')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  sudo jailwright learn ./recipe.yaml --root /srv/jails/apache\n  sudo jailwright learn ./recipe.yaml --root /srv/jails/apache --write && sudo jailwright start ./recipe.yaml --root /srv/jails/apache')
    .action(async (recipe: string, options: LearnCommandOptions) => {
      const { learnRecipe, formatIteration } = await import('../trace/learn-loop.js');
      const result = await learnRecipe({
        recipe,
        root: options.root,
        write: options.write,
        maxIterations: options.maxIterations,
        configScan: options.configScan,
        onIteration: options.json ? undefined : (iteration) => process.stdout.write(formatIteration(iteration)),
      });
      if (options.json) {
        const { learnedText: _text, ...rest } = result;
        process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
      } else {
        const seconds = (result.durationMs / 1000).toFixed(1);
        if (result.converged) process.stdout.write(`learned in ${result.iterations.length} run${result.iterations.length === 1 ? '' : 's'} (${seconds} s): ${result.additions.length} addition${result.additions.length === 1 ? '' : 's'}\n`);
        else process.stdout.write(`not converged after ${result.iterations.length} runs (${seconds} s):\n${result.problem ?? ''}\n`);
        if (result.additions.length > 0) process.stdout.write(result.written ? `wrote ${result.recipeFile}\n` : result.diff);
      }
      if (!result.converged) process.exitCode = 1;
    });
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError('expected a positive whole number');
  return count;
}
