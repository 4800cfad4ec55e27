import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path, { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExitCode, JailwrightError } from '../errors.js';
import { corePackageFile } from '../package-file.js';
import { measure } from './measure.js';
import { requireRecipe, requireTree, resolveExportTarget } from './export-target.js';
import { scratchBeside, writeOciLayout, type OciExport } from './oci-layout.js';
import { systemdUnit } from './systemd-unit.js';
import { sysvScript } from './sysv-script.js';
import { sourceDateEpoch, tarTree, type TarSkipped } from './tar-writer.js';

/** The formats `jailwright export` writes. */
export const EXPORT_FORMATS = ['tar', 'oci', 'systemd', 'sysv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Options of `export`. */
export interface ExportOptions {
  format: ExportFormat;
  /** Where the export goes: a file (tar, systemd, sysv; oci when it ends in .tar) or a directory (oci). */
  out: string;
  /** The jail root, when the argument is a recipe. */
  root?: string | undefined;
  /** The OCI reference name in index.json. Default: latest. */
  tag?: string | undefined;
  cwd?: string | undefined;
}

/** What `export` wrote. */
export interface ExportOutcome {
  format: ExportFormat;
  recipe: string | null;
  root: string;
  out: string;
  /** sha256 of the file written (for oci into a directory: of index.json). */
  sha256: string;
  /** Paths of the jail left out of archives (sockets). */
  skipped: TarSkipped[];
  oci?: Omit<OciExport, 'skipped'> | undefined;
}

/** Writes an archive of `directory` to `file` through a temporary file, returning its sha256. */
async function writeTarFile(directory: string, file: string, mtime: number): Promise<{ sha256: string; skipped: TarSkipped[] }> {
  const archive = await tarTree(directory, { mtime });
  const hashing = measure();
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await pipeline(Readable.from(archive.chunks), hashing.stream, createWriteStream(temporary, { mode: 0o600 }));
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return { sha256: hashing.digest().slice('sha256:'.length), skipped: archive.skipped };
}

async function writeTextFile(file: string, text: string, mode: number): Promise<string> {
  await writeFile(file, text, { mode });
  await chmod(file, mode);
  return createHash('sha256').update(text).digest('hex');
}

/** An OCI layout directory must be new or empty: blobs of another image would be mixed in. */
async function assertEmptyOrAbsent(directory: string): Promise<void> {
  const info = await stat(directory).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory() || (await readdir(directory)).length > 0) {
    throw new JailwrightError(`--out ${directory} exists and is not an empty directory`, {
      hint: 'Name a new directory (or FILE.tar for the layout as one archive); remove the old export first to replace it.',
    });
  }
}

/**
 * `jailwright export <root|recipe>`: the jail as a reproducible tar archive, an OCI image layout, a
 * systemd unit or an LSB init script. Archives are byte-identical for the same jail (entries sorted, one
 * mtime: SOURCE_DATE_EPOCH or 0, numeric owners).
 */
export async function exportJail(argument: string, options: ExportOptions): Promise<ExportOutcome> {
  const cwd = options.cwd ?? process.cwd();
  const out = path.resolve(cwd, options.out);
  const target = await resolveExportTarget(argument, { root: options.root, cwd });
  const mtime = sourceDateEpoch();
  const parent = posix.dirname(out);
  if (!(await stat(parent).catch(() => undefined))?.isDirectory()) {
    throw new JailwrightError(`cannot write ${out}: ${parent} is not a directory`, { exitCode: ExitCode.badInput, hint: 'Create the directory first.' });
  }
  const base = { format: options.format, recipe: target.recipe?.file ?? null, root: target.root, out, skipped: [] as TarSkipped[] };
  switch (options.format) {
    case 'tar': {
      const { sha256, skipped } = await writeTarFile(requireTree(target, 'tar'), out, mtime);
      return { ...base, sha256, skipped };
    }
    case 'oci': {
      const loaded = requireRecipe(target, 'oci');
      const tree = requireTree(target, 'oci');
      const tag = options.tag ?? 'latest';
      const recipeSha256 = target.manifest?.inputs?.recipeSha256;
      if (out.endsWith('.tar')) {
        const scratch = await scratchBeside(out);
        try {
          const { skipped, ...oci } = await writeOciLayout(tree, loaded, scratch.directory, { tag, mtime, recipeSha256 });
          const { sha256 } = await writeTarFile(scratch.directory, out, mtime);
          return { ...base, sha256, skipped, oci };
        } finally {
          await scratch.remove();
        }
      }
      await assertEmptyOrAbsent(out);
      await mkdir(out, { recursive: true });
      const { skipped, ...oci } = await writeOciLayout(tree, loaded, out, { tag, mtime, recipeSha256 });
      return { ...base, sha256: createHash('sha256').update(await readFile(posix.join(out, 'index.json'))).digest('hex'), skipped, oci };
    }
    case 'systemd': {
      const loaded = requireRecipe(target, 'systemd');
      return { ...base, sha256: await writeTextFile(out, systemdUnit(loaded, target.root), 0o644) };
    }
    case 'sysv': {
      const loaded = requireRecipe(target, 'sysv');
      const script = sysvScript(loaded, target.root, { node: process.execPath, cli: corePackageFile('dist/cli/main.js') });
      return { ...base, sha256: await writeTextFile(out, script, 0o755) };
    }
  }
}
