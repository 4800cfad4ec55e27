import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { applySourceEdits, formatSourceEdits } from '@jailwright/core';
import { SMTPD_EDITS, smtpdMakeArguments, type SmtpdBuildOptions } from '../../src/index.js';

const execFileAsync = promisify(execFile);

/** The first directory under `top` holding smtpd.c, smtpfwdd.c and a Makefile (the OpenBSD tree's libexec/smtpd/src, or a release's top). */
async function sourceDirectory(top: string): Promise<string | undefined> {
  const entries = await readdir(top, { withFileTypes: true });
  const names = entries.map((entry) => entry.name);
  if (['smtpd.c', 'smtpfwdd.c', 'Makefile'].every((name) => names.includes(name))) return top;
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const found = await sourceDirectory(path.join(top, entry.name));
    if (found) return found;
  }
  return undefined;
}

/**
 * Builds Obtuse SMTPD from a tarball or tree as the recipe declares it (its source edits, then make with the
 * recipe's Makefile variables) in `workdir`, never touching `source`. A stand-in for `jailwright compile`
 * in these tests until compile lands.
 */
export async function buildSmtpdFromSource(source: string, workdir: string, options: SmtpdBuildOptions): Promise<{ smtpd: string; smtpfwdd: string; log: string[] }> {
  const unpacked = path.join(workdir, 'unpacked');
  await mkdir(unpacked, { recursive: true });
  if ((await stat(source)).isDirectory()) await cp(source, path.join(unpacked, 'smtpd'), { recursive: true });
  else await execFileAsync('tar', ['-xf', source, '-C', unpacked]);
  const directory = await sourceDirectory(unpacked);
  if (!directory) throw new Error(`${source}: no directory holds smtpd.c, smtpfwdd.c and a Makefile`);
  const log = formatSourceEdits(await applySourceEdits(directory, SMTPD_EDITS));
  try {
    const { stdout } = await execFileAsync('make', smtpdMakeArguments(options), { cwd: directory, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    log.push('$ make', stdout.split('\n').slice(-4).join('\n'));
  } catch (error) {
    throw new Error(`make failed in ${directory}:\n${((error as { stderr?: string }).stderr ?? '').split('\n').slice(-20).join('\n')}`);
  }
  return { smtpd: path.join(directory, 'smtpd'), smtpfwdd: path.join(directory, 'smtpfwdd'), log };
}
