import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { applySourceEdits, formatSourceEdits } from '@jailwright/core';
import { BOA_BUILDS } from '../../src/index.js';

const execFileAsync = promisify(execFile);

/** What a source build made, and its log. */
export interface BuiltBoa {
  version: keyof typeof BOA_BUILDS;
  boa: string;
  indexer: string;
  log: string[];
}

/**
 * Builds Boa from a tarball or tree the way the recipe declares it (its source edits, then `./configure
 * && make` where the release keeps its configure script), in `workdir`, never touching `source`.
 * A stand-in for `jailwright compile` in these tests until compile lands; it uses core's own edit engine.
 */
export async function buildBoaFromSource(source: string, workdir: string): Promise<BuiltBoa> {
  await mkdir(workdir, { recursive: true });
  const unpacked = path.join(workdir, 'unpacked');
  await mkdir(unpacked);
  if ((await stat(source)).isDirectory()) await cp(source, path.join(unpacked, 'boa'), { recursive: true });
  else await execFileAsync('tar', ['-xf', source, '-C', unpacked]);
  const entries = await readdir(unpacked);
  if (entries.length !== 1) throw new Error(`${source}: expected one top directory, found ${entries.join(', ')}`);
  const tree = path.join(unpacked, entries[0]!);
  const defines = await readFile(path.join(tree, 'src/defines.h'), 'utf8');
  const version = /SERVER_VERSION\s+"Boa\/([^"]+)"/.exec(defines)?.[1];
  if (version !== '0.94.13' && version !== '0.94.14rc21') throw new Error(`${source}: Boa ${version ?? '(no SERVER_VERSION in src/defines.h)'} is not a release this recipe knows (0.94.13, 0.94.14rc21)`);
  const build = BOA_BUILDS[version];
  const log = formatSourceEdits(await applySourceEdits(tree, build.edits));
  const directory = path.join(tree, build.directory);
  for (const [command, args] of [['./configure', []], ['make', []]] as const) {
    try {
      const { stdout, stderr } = await execFileAsync(command, [...args], { cwd: directory, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
      log.push(`$ ${command}`, stdout.split('\n').slice(-3).join('\n'), stderr.split('\n').filter((line) => /\berror:/.test(line)).join('\n'));
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string };
      throw new Error(`${command} failed in ${directory}:\n${(failure.stderr ?? '').split('\n').slice(-20).join('\n')}`);
    }
  }
  return { version, boa: path.join(tree, build.programs.boa), indexer: path.join(tree, build.programs.indexer), log };
}
