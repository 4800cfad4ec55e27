/**
 * The article's "nm loop", done by reading ELF files: every undefined dynamic symbol (and every symbol
 * version, e.g. GLIBC_2.34) that an object in the jail needs and no object in the jail defines, with the
 * host libraries that would define it.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { buildCacheDirectory, ENGINE_BUILD, privateDirectory, pruneCacheDirectory, readCacheFile, writeCacheFile } from '../cache-directory.js';
import { forEachConcurrently } from '../for-each-concurrently.js';
import { readDynamicSymbols, readElf, type DynamicSymbol } from '../host/elf-file.js';
import { isElf } from '../host/library-resolver.js';
import { loadLdCache } from '../host/ld-so-cache.js';

/** An undefined symbol no object in the jail defines. */
export interface MissingSymbol {
  symbol: string;
  /** The version the reference asks for (`GLIBC_2.34`), if versioned. */
  version?: string | undefined;
  /** The soname the version must come from (vn_file). */
  versionFile?: string | undefined;
  /** Jail paths of the objects that need it. */
  neededBy: string[];
  /** Host libraries that define it (with the version, when one is asked for). */
  providers: string[];
}

/** A symbol version an object needs from a library that, in the jail, does not define it. */
export interface MissingVersion {
  version: string;
  file: string;
  neededBy: string[];
  /** Jail path of the object with that soname, if the jail has one. */
  inJail?: string | undefined;
}

/** What `symbols` found. */
export interface MissingSymbolsReport {
  root: string;
  /** ELF objects read. */
  objects: number;
  missing: MissingSymbol[];
  missingVersions: MissingVersion[];
}

/** Options of {@link findMissingSymbols}. */
export interface MissingSymbolsOptions {
  /** Host directories whose libraries are searched for providers before those of the host's ld.so.cache. */
  searchDirectories?: readonly string[] | undefined;
  /** Do not search the host for providers. */
  noProviders?: boolean | undefined;
}

const SKIPPED = new Set(['/proc', '/sys', '/dev']);

/** Every regular ELF file under a directory, without following symlinks; paths relative to it, absolute in jail terms. */
async function jailElfFiles(directory: string, from = '/'): Promise<string[]> {
  const out: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(posix.join(directory, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = posix.join(relative, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED.has(path)) await walk(path);
      } else if (entry.isFile() && (await isElf(posix.join(directory, path)))) out.push(path);
    }
  };
  await walk(from);
  return out.sort();
}

const key = (name: string, version: string | undefined) => (version === undefined ? name : `${name}@${version}`);

/** Finds what the jail's objects need and nothing in the jail defines. */
export async function findMissingSymbols(root: string, options: MissingSymbolsOptions = {}): Promise<MissingSymbolsReport> {
  const directory = await realpath(root);
  const files = await jailElfFiles(directory);
  const objects = await readObjects(directory, files);
  // First what the jail defines, then only the references it leaves undefined: most references are met,
  // and recording every one (with who needs it) only to drop it again was most of the check's time.
  const defined = new Set<string>();
  const definedNames = new Set<string>();
  const versionsBySoname = new Map<string, { path: string; versions: Set<string> }>();
  for (const { file, soname, symbols } of objects) {
    const versions = new Set<string>();
    for (const symbol of symbols) {
      if (!symbol.defined) continue;
      defined.add(key(symbol.name, symbol.version));
      definedNames.add(symbol.name);
      if (symbol.version) versions.add(symbol.version);
    }
    for (const name of [soname, posix.basename(file)]) if (name && !versionsBySoname.has(name)) versionsBySoname.set(name, { path: file, versions });
  }
  const references = new Map<string, MissingSymbol>();
  const needs = new Map<string, { version: string; file: string; neededBy: string[] }>();
  for (const { file, symbols } of objects) {
    for (const symbol of symbols) {
      if (symbol.defined || symbol.binding !== 'GLOBAL') continue;
      if (!(symbol.version ? defined.has(key(symbol.name, symbol.version)) : definedNames.has(symbol.name))) {
        const id = key(symbol.name, symbol.version);
        const entry = references.get(id) ?? { symbol: symbol.name, version: symbol.version, versionFile: symbol.versionFile, neededBy: [], providers: [] };
        entry.neededBy.push(file);
        references.set(id, entry);
      }
      if (symbol.version && symbol.versionFile && !versionsBySoname.get(symbol.versionFile)?.versions.has(symbol.version)) {
        const needKey = `${symbol.versionFile}\0${symbol.version}`;
        const need = needs.get(needKey) ?? { version: symbol.version, file: symbol.versionFile, neededBy: [] };
        if (!need.neededBy.includes(file)) need.neededBy.push(file);
        needs.set(needKey, need);
      }
    }
  }
  const missing = [...references.values()];
  const missingVersions = [...needs.values()].map((need) => ({ ...need, inJail: versionsBySoname.get(need.file)?.path }));
  if (missing.length > 0 && !options.noProviders) await findProviders(missing, options.searchDirectories ?? []);
  missing.sort((a, b) => a.symbol.localeCompare(b.symbol));
  return { root, objects: files.length, missing, missingVersions };
}

/** The soname and dynamic symbols of each ELF file (read a few at a time), in the order of `files`; unreadable ones left out. */
async function readObjects(directory: string, files: readonly string[]): Promise<{ file: string; soname: string | undefined; symbols: DynamicSymbol[] }[]> {
  const read = new Array<{ file: string; soname: string | undefined; symbols: DynamicSymbol[] } | undefined>(files.length);
  await forEachConcurrently(files, 8, async (file, index) => {
    const host = posix.join(directory, file);
    const [elf, symbols] = await Promise.all([readElf(host).catch(() => undefined), readDynamicSymbols(host).catch(() => undefined)]);
    if (elf && symbols) read[index] = { file, soname: elf.soname, symbols };
  });
  return read.filter((object) => object !== undefined);
}

/** A path of a jail as its manifest records it: what the symbol check's verdict depends on. */
export interface JailContentEntry {
  path: string;
  type: string;
  sha256?: string | undefined;
  target?: string | undefined;
}

/**
 * The symbol check of a jail a build has just made: the paths `entries` lists, plus whatever the build carried
 * into `carried` directories from the previous generation (the service's data). When those hold no ELF object,
 * the verdict depends only on the listed paths and their content, so a clean one is kept in the build cache
 * under a digest of both (and of the engine version): building the same jail again, into another root or as
 * an update, does not read every object's symbol tables again. Otherwise, and for a verdict with missing
 * symbols (whose host providers can change), the whole check runs.
 */
export async function findMissingSymbolsOfBuild(root: string, entries: readonly JailContentEntry[], carried: readonly string[] = []): Promise<MissingSymbolsReport> {
  const real = await realpath(root);
  for (const directory of carried) if ((await jailElfFiles(real, directory)).length > 0) return findMissingSymbols(root);
  const directory = await privateDirectory(posix.join(buildCacheDirectory(), 'symbols'));
  const digest = createHash('sha256').update(`${ENGINE_BUILD}\n`);
  for (const entry of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (entry.type === 'file' || entry.type === 'symlink') digest.update(`${entry.type}\0${entry.path}\0${entry.sha256 ?? ''}\0${entry.target ?? ''}\n`);
  }
  const file = directory && posix.join(directory, `${digest.digest('hex')}.json`);
  const cached = file ? await readCacheFile(file, (bytes) => JSON.parse(bytes.toString('utf8')) as { objects?: unknown } | null) : undefined;
  if (typeof cached?.objects === 'number') return { root, objects: cached.objects, missing: [], missingVersions: [] };
  const report = await findMissingSymbols(root);
  if (file && directory && report.missing.length === 0 && report.missingVersions.length === 0) {
    await writeCacheFile(file, JSON.stringify({ objects: report.objects }));
    await pruneCacheDirectory(directory);
  }
  return report;
}

/** Reads the dynamic symbols of candidate host libraries (given directories first, then ld.so.cache) until every missing symbol has its providers. */
async function findProviders(missing: MissingSymbol[], searchDirectories: readonly string[]): Promise<void> {
  const candidates: string[] = [];
  for (const dir of searchDirectories) {
    for (const name of (await readdir(dir).catch(() => [])).sort()) if (/\.so(\.|$)/.test(name)) candidates.push(posix.join(dir, name));
  }
  const cache = await loadLdCache();
  for (const entry of cache?.cache.entries ?? []) if (entry.hwcapsSubdir === undefined) candidates.push(entry.path);
  const seen = new Set<string>();
  const wanted = new Map(missing.map((entry) => [key(entry.symbol, entry.version), entry]));
  const byName = new Map(missing.map((entry) => [entry.symbol, entry]));
  for (const candidate of candidates) {
    const real = await realpath(candidate).catch(() => undefined);
    if (!real || seen.has(real)) continue;
    seen.add(real);
    if (!(await lstat(real).then((info) => info.isFile(), () => false))) continue;
    let symbols: DynamicSymbol[] | undefined;
    try {
      symbols = await readDynamicSymbols(real);
    } catch {
      continue;
    }
    for (const symbol of symbols ?? []) {
      if (!symbol.defined || symbol.binding === 'LOCAL') continue;
      const entry = wanted.get(key(symbol.name, symbol.version)) ?? (byName.get(symbol.name)?.version === undefined ? byName.get(symbol.name) : undefined);
      if (entry && !entry.providers.includes(candidate)) entry.providers.push(candidate);
    }
  }
}

/** The report for people: one line per missing symbol or version, with who needs it and who has it. */
export function formatMissingSymbols(report: MissingSymbolsReport): string {
  const lines: string[] = [];
  for (const entry of report.missing) {
    const name = entry.version ? `${entry.symbol}@${entry.version}` : entry.symbol;
    const providers = entry.providers.length > 0 ? `defined on the host by ${entry.providers.slice(0, 3).join(', ')}` : 'defined by no host library searched';
    lines.push(`missing symbol ${name}: needed by ${entry.neededBy.join(', ')}; ${providers}`);
  }
  for (const need of report.missingVersions) {
    lines.push(`missing version ${need.version} of ${need.file}: needed by ${need.neededBy.join(', ')}; ${need.inJail ? `${need.inJail} in the jail does not define it (an older build?)` : `no ${need.file} in the jail`}`);
  }
  if (lines.length === 0) lines.push(`symbols: every undefined symbol of the ${report.objects} ELF objects in ${report.root} is defined in the jail`);
  return `${lines.join('\n')}\n`;
}
