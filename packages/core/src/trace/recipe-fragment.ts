/** A trace report as text for people and as a recipe (or a fragment to merge) in the recipe format. */
import { posix } from 'node:path';
import { stringify } from 'yaml';
import { RECIPE_SCHEMA_URL } from '../recipe/schema.js';
import type { TraceReport } from './trace-report.js';

/** The `jail:` section a trace report calls for: the files, libraries, directories and devices the run used. */
export function traceToJail(report: TraceReport): Record<string, unknown> {
  const dlopened = report.libraries.filter((library) => library.via === 'dlopen');
  const jail: Record<string, unknown> = { include: ['base'] };
  // The engine writes these itself (passwd/group with only the named accounts, nsswitch from the base preset).
  const written = new Set(['/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/localtime', '/etc/hosts', '/etc/gai.conf', '/etc/host.conf', '/etc/resolv.conf']);
  const files = [...report.executables, ...report.files.filter((file) => !written.has(file)), ...dlopened.filter((library) => !library.soname).map((library) => library.path)];
  if (files.length > 0) jail.files = [...new Set(files)];
  const libraries = [...new Set(dlopened.flatMap((library) => (library.soname ? [library.soname] : [])))];
  if (libraries.length > 0) jail.libraries = libraries;
  const directories = report.directoriesWritten.filter((directory) => !['/tmp', '/var/tmp', '/run', '/dev'].includes(directory));
  if (directories.length > 0) jail.directories = directories;
  const devices = [...new Set(report.devices.flatMap((device) => (device.device ? [device.device] : [])))];
  if (devices.length > 0) jail.devices = devices;
  return jail;
}

/** The report as a recipe: what the trace saw the program need, ready to build (after review). */
export function traceToRecipe(report: TraceReport, options: { name?: string | undefined } = {}): string {
  const program = report.command[0] ?? 'program';
  const name = (options.name ?? posix.basename(program)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'traced';
  const jail = traceToJail(report);
  const recipe = {
    specVersion: 1,
    name,
    description: `traced from: ${report.command.join(' ')}`,
    jail,
    launch: { mode: 'engine-chroot', command: report.command, user: 'nobody' },
  };
  const notes = [
    `# Written by jailwright trace from one run of: ${report.command.join(' ')}`,
    '# Review it: a run only shows what that run touched. Set launch.user to the service account (nobody is a placeholder);',
    '# directories written need it as their owner.',
    ...(report.accountLookups.length > 0 ? [`# It read /etc/${report.accountLookups.join(' and /etc/')}: name the accounts it needs in jail.users / jail.groups.`] : []),
    ...report.skipped.map((entry) => `# skipped ${entry.path}: ${entry.reason}`),
  ];
  return `# yaml-language-server: $schema=${RECIPE_SCHEMA_URL}\n${notes.join('\n')}\n${stringify(recipe, { lineWidth: 0 })}`;
}

/** The report for people, one section per kind of need. */
export function formatTraceReport(report: TraceReport): string {
  const lines: string[] = [`trace of: ${report.command.join(' ')}`];
  const section = (title: string, items: string[]) => {
    if (items.length === 0) return;
    lines.push(`${title}:`);
    for (const item of items) lines.push(`  ${item}`);
  };
  section('executables', report.executables);
  section('libraries (ELF closure)', report.libraries.filter((library) => library.via === 'elf').map((library) => library.path));
  section('libraries (dlopen)', report.libraries.filter((library) => library.via === 'dlopen').map((library) => `${library.path}${library.soname ? ` (${library.soname})` : ''}`));
  section('files read', report.files);
  section('directories listed', report.directoriesRead);
  section('directories written', report.directoriesWritten);
  section('devices', report.devices.map((device) => device.path));
  section('unix sockets', report.unixSockets.map((socket) => `${socket.syscall} ${socket.path}${socket.ok ? '' : ' (failed)'}`));
  section('listening', report.listening.map((address) => `${address.host}:${address.port}`));
  section('accounts looked up', report.accountLookups.map((database) => `/etc/${database}`));
  section('skipped', report.skipped.map((entry) => `${entry.path}: ${entry.reason}`));
  return `${lines.join('\n')}\n`;
}
