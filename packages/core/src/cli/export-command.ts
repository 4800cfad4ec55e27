import { type Command, Option } from 'commander';

interface ExportCommandOptions {
  format: 'tar' | 'oci' | 'systemd' | 'sysv';
  out: string;
  root?: string;
  tag?: string;
  json?: boolean;
}

/** `jailwright export <root|recipe>`: the jail as a tarball, an OCI image, a systemd unit or an init script. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .summary('export a jail: reproducible tar, OCI image, systemd unit, SysV init script')
    .description(
      'Write the jail in another form. tar: the jail tree as a reproducible archive (entries in byte order, ' +
        'every mtime SOURCE_DATE_EPOCH or 0, numeric owners, hard links, symlinks and devices kept; sockets left ' +
        'out). oci: an OCI image layout (a directory, or one archive when --out ends in .tar) with one gzip\'d ' +
        "layer of the jail and a config from the recipe: its user as uid:gid, its launch command as entrypoint " +
        'and cmd, the ports of its probes, labels naming the recipe and the engine and recipe versions; unpack ' +
        'it with umoci and run it with start --plain-root, or hand it to podman or containerd. systemd: a ' +
        'service unit with RootDirectory= the jail and sandboxing that systemd-analyze security scores low. ' +
        "sysv: the article's Listing 4, an LSB init script (start, stop, restart, status) that calls this CLI " +
        'by absolute path. Two exports of the same jail are byte-identical.',
    )
    .argument('<root|recipe>', 'a jail root (its recipe is the one it was built from), or a recipe as for start (with --root)')
    .addOption(new Option('--format <format>', 'what to write').choices(['tar', 'oci', 'systemd', 'sysv']).makeOptionMandatory())
    .requiredOption('--out <path>', 'the file to write (oci: a new directory, or FILE.tar)')
    .option('--root <dir>', 'with a recipe: the jail root (default: /srv/jails/<recipe name>)')
    .option('--tag <name>', 'oci: the reference name in index.json (default: latest)')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Examples:
  sudo jailwright export /srv/jails/apache --format tar --out apache.tar
  sudo jailwright export @jailwright/apache --format oci --out apache-oci && umoci unpack --image apache-oci:latest bundle
  sudo jailwright start @jailwright/apache --root bundle/rootfs --plain-root
  sudo jailwright export @jailwright/bind --format systemd --out /etc/systemd/system/bind-jail.service
  sudo jailwright export @jailwright/apache --format sysv --out /etc/init.d/jailwright-apache`,
    )
    .action(async (argument: string, options: ExportCommandOptions) => {
      const { exportJail } = await import('../export/export-jail.js');
      const outcome = await exportJail(argument, { format: options.format, out: options.out, root: options.root, tag: options.tag });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
        return;
      }
      process.stdout.write(`wrote ${outcome.out} (${outcome.format}, sha256 ${outcome.sha256}) from ${outcome.root}\n`);
      if (outcome.oci) process.stdout.write(`  image ${outcome.out}:${outcome.oci.tag}, manifest ${outcome.oci.manifest.digest}, layer ${outcome.oci.layer.digest} (${outcome.oci.layer.size} bytes)\n`);
      for (const skipped of outcome.skipped) process.stdout.write(`  left out ${skipped.path}: ${skipped.reason}\n`);
    });
}
