import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { SyslogNgSyslog } from '../recipe/syslog-schema.js';
import { jailSocketPath } from './jail-socket.js';

/** The file name of a jail's syslog-ng snippet. */
export function syslogNgSnippetName(jailName: string): string {
  return `jailwright-${jailName}.conf`;
}

/** The syslog-ng source and log path that listen on the jail's /dev/log. */
export function syslogNgSnippet(settings: SyslogNgSyslog, context: { jailRoot: string; jailName: string }): string {
  const source = `s_jailwright_${context.jailName.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const destination = settings.destination ?? 'd_syslog';
  return (
    `# Written by jailwright for the jail "${context.jailName}"; \`jailwright stop --purge\` removes it.\n` +
    `source ${source} { unix-dgram("${jailSocketPath(context.jailRoot)}" create-dirs(yes)); };\n` +
    `log { source(${source}); destination(${destination}); };\n`
  );
}

/** Where the snippet goes. */
export function syslogNgSnippetPath(settings: SyslogNgSyslog, jailName: string): string {
  return posix.join(settings.snippetDirectory ?? '/etc/syslog-ng/conf.d', syslogNgSnippetName(jailName));
}

/** Writes the snippet (atomically); reloading syslog-ng is left to its init system (`syslog-ng-ctl reload`). */
export async function writeSyslogNgSnippet(settings: SyslogNgSyslog, context: { jailRoot: string; jailName: string }): Promise<string> {
  const file = syslogNgSnippetPath(settings, context.jailName);
  await mkdir(posix.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, syslogNgSnippet(settings, context), { mode: 0o644 });
  await rename(temporary, file);
  return file;
}

/** Removes the snippet. */
export async function removeSyslogNgSnippet(settings: SyslogNgSyslog, jailName: string): Promise<void> {
  await rm(syslogNgSnippetPath(settings, jailName), { force: true });
}
