import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultJailRoot } from './build-jail.js';

/** What a recipe package tells its command line about itself. */
export interface RecipePackage {
  /** The recipe's name, e.g. "apache": the default jail root is /srv/jails/<name>. */
  name: string;
  /** The command, e.g. "jailwright-apache". */
  bin: string;
  /** Absolute path of the package's recipe.yaml. */
  file: string;
  /** One line saying what the recipe jails. */
  summary: string;
}

/** Core commands that take a recipe as their first argument. */
const RECIPE_COMMANDS = ['build', 'start', 'stop', 'restart', 'status', 'check', 'logs', 'export', 'compile', 'lint'] as const;

/** Core commands that take a jail root as their first argument (`--root DIR` here, the default root otherwise). */
const ROOT_COMMANDS = ['audit', 'verify', 'outdated', 'update'] as const;

/**
 * The command line of a recipe package (`jailwright-apache build --root DIR`): core's own commands with
 * the package's recipe filled in, so a user who installed one recipe never names a recipe file.
 * Returns the exit code of the core command.
 */
export async function runRecipeCli(recipe: RecipePackage, argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage(recipe));
    return command === undefined ? 2 : 0;
  }
  if (command === 'recipe') {
    process.stdout.write(`${recipe.file}\n`);
    return 0;
  }
  let args: string[];
  if ((RECIPE_COMMANDS as readonly string[]).includes(command)) {
    args = [command, recipe.file, ...rest];
  } else if ((ROOT_COMMANDS as readonly string[]).includes(command)) {
    const rootIndex = rest.indexOf('--root');
    const root = (rootIndex >= 0 ? rest[rootIndex + 1] : undefined) ?? defaultJailRoot(recipe.name);
    const others = rootIndex >= 0 ? rest.filter((_, index) => index !== rootIndex && index !== rootIndex + 1) : rest;
    args = [command, root, ...(command === 'audit' ? ['--recipe', recipe.file] : []), ...others];
  } else if (command === '--version' || command === '-V') {
    args = ['--version'];
  } else {
    process.stderr.write(`${recipe.bin}: unknown command "${command}"\n\n${usage(recipe)}`);
    return 2;
  }
  const core = fileURLToPath(new URL('./cli/main.js', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [core, ...args], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function usage(recipe: RecipePackage): string {
  return `Usage: ${recipe.bin} <command> [options]

${recipe.summary}

Commands (options as in \`jailwright <command> --help\`; the jail root defaults to ${defaultJailRoot(recipe.name)}):
  build [--root DIR] [--dry-run] [--json]   build or refresh the jail, then audit it
    [--variant NAME] [--option name=value]  ...as one of the recipe's variants, with option values
  start [--root DIR] [--restart on-failure] start the service in its jail, supervised
  stop | restart | status [--json]          stop, restart, or tell whether it runs
  check [--json]                            run the recipe's probes against the running service
  logs [-n N]                               where the logs are, and their last lines
  audit [--root DIR] [--json]               audit the jail (static checks)
  verify | outdated [--root DIR] [--json]   the jail against its manifest; its copies against the host
  update [--root DIR] [--dry-run] [--restart] rebuild against today's host, atomically, with rollback
  export --format tar|oci|systemd|sysv --out PATH
                                            the jail as a tarball or OCI image, a systemd unit, an init script
  compile --source TARBALL [--profile NAME] build the service from source; later builds jail the result
  lint [--json]                             check the recipe against the review rules
  recipe                                    print the path of the recipe file

Example:
  sudo ${recipe.bin} build && sudo ${recipe.bin} start && sudo ${recipe.bin} check
`;
}
