import { type Command, InvalidArgumentError } from 'commander';

interface TraceCommandOptions {
  duration?: number;
  probe: string[];
  out?: string;
  json?: boolean;
  log?: string;
}

/** `jailwright trace -- CMD ARGS`: what a jail for a program needs, from one traced run on the host. */
export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .summary('run a program under strace and report what its jail needs')
    .description(
      'Run the command on this host under strace -f and report what a jail for it needs: libraries (found ' +
        'by ELF reading or dlopen\'d), config and data files, directories it writes, devices, unix sockets, ' +
        'listening ports, and the account files it reads. /proc, /sys, /etc/shadow and keys are reported as ' +
        'skipped, never suggested. The program is stopped by PID after --duration or once every --probe passes.',
    )
    .argument('<command...>', 'the program and its arguments (after --)')
    .option('--duration <seconds>', 'stop the program after this many seconds', parseSeconds)
    .option('--probe <probe>', 'stop once this passes: tcp:8080, http:8080/, dns:www.example.test@5353, or "{type: http, port: 8080}" (repeatable)', collect, [])
    .option('--out <file>', 'write the findings as a recipe (review it, then build)')
    .option('--log <file>', 'keep the raw strace log in this file')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  sudo jailwright trace --probe http:8080/ --out apache.yaml -- /usr/sbin/apache2 -f /tmp/httpd.conf -DFOREGROUND\n  jailwright trace --duration 2 -- /usr/bin/id nobody')
    .action(async (command: string[], options: TraceCommandOptions) => {
      const [{ traceProgram }, { parseProbeShorthand }, { formatTraceReport }] = await Promise.all([
        import('../trace/trace-program.js'),
        import('../trace/probe-shorthand.js'),
        import('../trace/recipe-fragment.js'),
      ]);
      const probes = options.probe.map(parseProbeShorthand);
      const { run, report } = await traceProgram({ command, durationMs: options.duration === undefined ? undefined : options.duration * 1000, probes, out: options.out, logFile: options.log });
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ...report, stoppedBy: run.stoppedBy, exitCode: run.exitCode, probes: run.probeResults }, null, 2)}\n`);
      } else {
        process.stdout.write(formatTraceReport(report));
        process.stdout.write(`stopped: ${run.stoppedBy === 'exit' ? `the program exited (code ${run.exitCode})` : run.stoppedBy === 'probes' ? 'every probe passed' : run.stoppedBy}\n`);
        if (options.out) process.stdout.write(`recipe written to ${options.out}\n`);
      }
      if (options.probe.length > 0 && !run.probesPassed) process.exitCode = 1;
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return seconds;
}
