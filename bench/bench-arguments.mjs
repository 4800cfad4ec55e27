// Command-line handling the lifecycle benchmarks share: numeric options, --parent, --json, --help.

/** Prints `message` to stderr and exits with `code` (2: usage or prerequisites, 1: a step failed). */
export function fail(code, message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(code);
}

/** Parses `--<name> N` for each key of `numbers` (integers >= 1), `--parent DIR`, `--json` and `--help`. */
export function parseBenchArguments(argv, numbers, usage) {
  const options = { ...numbers, parent: '/srv', json: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const name = argument.startsWith('--') ? argument.slice(2) : '';
    if (name in numbers) {
      options[name] = Number(argv[++index]);
      if (!Number.isInteger(options[name]) || options[name] < 1) fail(2, `${argument} must be an integer >= 1`);
    } else if (argument === '--parent') options.parent = resolvePath(argv[++index]);
    else if (argument === '--json') options.json = true;
    else if (argument === '-h' || argument === '--help') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    } else fail(2, `unknown argument ${argument}\n\n${usage}`);
  }
  return options;
}

function resolvePath(value) {
  if (!value?.startsWith('/')) fail(2, '--parent needs an absolute directory');
  return value;
}
