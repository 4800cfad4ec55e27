import type { Command } from 'commander';

/** `jailwright new <name>`: a recipe package from the template, pre-filled from a trace when given a binary. */
export function registerNewCommand(program: Command): void {
  program
    .command('new')
    .summary('create a recipe package from the template')
    .description(
      'Create <dir>/<name> as a recipe package: package.json (@jailwright/<name>, command jailwright-<name>, ' +
        'core as a peer dependency), recipe.yaml with its schema line, README, src (the command, via ' +
        '@jailwright/core/recipe-cli), tsup, vitest and tsconfig files, a test using describeRecipe from ' +
        "@jailwright/core/testing, and a changeset in the workspace's .changeset. With --from-binary, the " +
        'program runs for a few seconds under jailwright trace and its files, libraries, directories and ' +
        'devices fill the jail. The package builds, lints and tests at once; its probe test fails, saying ' +
        'so, until you write a probe of what the service serves.',
    )
    .argument('<name>', 'the recipe name: lower-case letters, digits and "-"')
    .option('--from-binary <path>', "the service's program: traced (strace) to pre-fill the jail")
    .option('--source <url-or-tarball>', 'where the source comes from: an https URL, or a tarball here (its sha256 is recorded)')
    .option('--dir <dir>', 'the folder of recipe packages', 'recipes')
    .addHelpText(
      'after',
      `
Examples:
  jailwright new boa --source https://www.boa.org/boa-0.94.14rc21.tar.gz
  sudo jailwright new nsd --from-binary /usr/sbin/nsd
  npm install && npx turbo run test --filter=@jailwright/nsd    # then write its probe (CONTRIBUTING.md)`,
    )
    .action(async (name: string, options: { fromBinary?: string; source?: string; dir: string }) => {
      const { newRecipe } = await import('../new/new-recipe.js');
      const result = await newRecipe({ name, directory: options.dir, fromBinary: options.fromBinary, source: options.source });
      for (const file of result.files) process.stdout.write(`created ${file}\n`);
      if (result.changeset) process.stdout.write(`created ${result.changeset}\n`);
      for (const line of result.traced ?? []) process.stdout.write(`traced ${line}\n`);
      process.stdout.write(
        `\nNext: npm install (links the new workspace), then in ${result.packageDirectory}: npm run build && npm run lint && npm test.\n` +
          'Its probe test fails until you write a probe of what the service serves under probes: in recipe.yaml.\n',
      );
    });
}
