import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';

/**
 * Where jailwright records the jails of this host: one small JSON file per jail root in
 * /var/lib/jailwright/jails (JAILWRIGHT_REGISTRY overrides it), written by every build and by verify,
 * read and pruned (a root that no longer holds a jailwright jail) by `list`. One file per root, so
 * concurrent builds of different jails never write the same file.
 */
export function registryDirectory(): string {
  return process.env.JAILWRIGHT_REGISTRY ?? '/var/lib/jailwright/jails';
}

/** One jail as the registry knows it. */
export interface RegistryEntry {
  root: string;
  recipe: string;
  recipeFile?: string | undefined;
  registeredAt: string;
  /** The last `jailwright verify` of the jail. */
  lastVerify?: { at: string; generation: string; clean: boolean } | undefined;
}

function entryFile(root: string): string {
  return posix.join(registryDirectory(), `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`);
}

/** Reads the entry of one root, or undefined. */
export async function readRegistryEntry(root: string): Promise<RegistryEntry | undefined> {
  return parseEntry(await readFile(entryFile(root), 'utf8').catch(() => undefined));
}

/** Records (or updates) a jail: the fields given replace the ones recorded. */
export async function registerJail(entry: Omit<RegistryEntry, 'registeredAt'> & { registeredAt?: string }): Promise<void> {
  const previous = await readRegistryEntry(entry.root);
  const merged: RegistryEntry = { ...previous, ...entry, registeredAt: entry.registeredAt ?? previous?.registeredAt ?? new Date().toISOString() };
  await mkdir(registryDirectory(), { recursive: true, mode: 0o755 });
  const file = entryFile(entry.root);
  await writeFile(`${file}.${process.pid}.tmp`, `${JSON.stringify(merged)}\n`, { mode: 0o644 });
  await rename(`${file}.${process.pid}.tmp`, file);
}

/** Every recorded jail, with the file it is recorded in. */
export async function readRegistry(): Promise<{ entry: RegistryEntry; forget: () => Promise<void> }[]> {
  const names = await readdir(registryDirectory()).catch(() => [] as string[]);
  const entries: { entry: RegistryEntry; forget: () => Promise<void> }[] = [];
  for (const name of names.filter((candidate) => candidate.endsWith('.json')).sort()) {
    const file = posix.join(registryDirectory(), name);
    const entry = parseEntry(await readFile(file, 'utf8').catch(() => undefined));
    if (entry) entries.push({ entry, forget: () => rm(file, { force: true }) });
  }
  return entries;
}

function parseEntry(text: string | undefined): RegistryEntry | undefined {
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as RegistryEntry;
    return typeof entry.root === 'string' && typeof entry.recipe === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}
