import { type Command, Option } from 'commander';
import { formatStatus } from './status-command.js';

interface StartCommandOptions {
  root?: string;
  restart?: 'no' | 'on-failure';
  foreground?: boolean;
  plainRoot?: boolean;
  json?: boolean;
}

/** `jailwright start <recipe>`: launch the service in its jail under a supervisor. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .summary("start a jail's service, supervised")
    .description(
      "Start the service the recipe's launch section describes, in the jail built at --root, under a detached " +
        'supervisor: new mount/pid/ipc/uts namespaces, the jail remounted nodev,nosuid, no_new_privs, a cut ' +
        'capability bounding set, only the groups the recipe names, only fds 0-2, a new session, and Landlock ' +
        'scopes: no abstract unix socket and no signal reaches outside the jail (Linux 6.12 or later; on an older ' +
        'kernel, or without a C compiler for the small step that applies them, start says WARNING and runs without). The pidfile, ' +
        "state and the service's log are kept in the jail's state directory, outside the jail. When the recipe has " +
        'probes, start returns once they pass (all but log probes), or exits 1 naming the failing probe after ' +
        'launch.readyTimeoutSeconds, leaving the service running. A service account shared with nobody, or with ' +
        'another running process, is refused unless the recipe sets launch.sharedUser.',
    )
    .argument('<recipe>', 'a recipe.yaml path, a recipe package (@jailwright/bind) or an installed short name (bind)')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>)')
    .addOption(new Option('--restart <policy>', 'restart policy (default: the recipe\'s launch.restart, else "no")').choices(['no', 'on-failure']))
    .option('--plain-root', 'the --root is a plain directory tree jailwright did not build, e.g. the rootfs of an image exported with `export --format oci` and unpacked by umoci: launch in it as it is')
    .option('--foreground', 'supervise in this process until SIGTERM or SIGINT instead of detaching')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExamples:\n  sudo jailwright start ./recipe.yaml --root /srv/jails/demo --restart on-failure\n  sudo jailwright status ./recipe.yaml --root /srv/jails/demo')
    .action(async (recipe: string, options: StartCommandOptions) => {
      const [{ startService }, { formatProbeResult }] = await Promise.all([import('../launch/service-control.js'), import('../check/probe-result.js')]);
      const outcome = await startService({ recipe, root: options.root, restart: options.restart, foreground: options.foreground, plainRoot: options.plainRoot });
      if (options.json) process.stdout.write(`${JSON.stringify({ ...outcome.status, alreadyRunning: outcome.alreadyRunning, ready: outcome.ready }, null, 2)}\n`);
      else if (options.foreground) process.stdout.write(formatStatus(outcome.status));
      else {
        process.stdout.write(`${outcome.alreadyRunning ? 'already running: ' : 'started: '}${formatStatus(outcome.status)}`);
        for (const result of outcome.ready ?? []) process.stdout.write(`  ready: ${formatProbeResult(result)}\n`);
      }
    });
}
