/**
 * The resolver must agree with ldd (glibc's own loader in trace mode) on every dynamic ELF file of the
 * host's main binary and library directories. ldd is only the oracle here; the resolver itself never runs
 * anything: it only opens files for reading (see library-resolver.ts), so no binary under test is executed by it.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { createLibraryResolver, isElf, resolveLibraries } from '../../src/host/library-resolver.js';
import type { RootClosure } from '../../src/host/library-resolver.js';
import { asLdd, runLdd } from './ldd-oracle.js';

const DIRS = ['/usr/bin', '/usr/sbin', '/usr/lib/x86_64-linux-gnu', '/usr/lib/apache2/modules'];

/** Files where we knowingly differ from ldd, with the reason. Keep this empty. */
const EXCEPTIONS: Record<string, string> = {};

async function walk(dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    // Symlinks are skipped: their targets are regular files in these same trees (or outside them).
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

test('resolveLibraries matches ldd on every ELF file of the host', { timeout: 240_000 }, async () => {
  const files: string[] = [];
  for (const d of DIRS) await walk(d, files);
  const elfFiles = (await mapLimit(files, 32, async (f) => ((await isElf(f)) ? f : undefined))).filter((f): f is string => f !== undefined);

  const t0 = performance.now();
  const oracle = await mapLimit(elfFiles, 8, (f) => runLdd(f));
  const lddMs = performance.now() - t0;

  const resolver = createLibraryResolver();
  const t1 = performance.now();
  const ours: Array<RootClosure | undefined> = [];
  for (const f of elfFiles) ours.push(await resolver.resolveOne(f));
  const oursMs = performance.now() - t1;

  let compared = 0;
  const diffs: string[] = [];
  const skipped = new Map<string, number>();
  const skippedFiles: string[] = [];
  let withMissing = 0;
  for (const [i, f] of elfFiles.entries()) {
    const want = oracle[i];
    if (!want || want.kind === 'refused') {
      const reason = want?.reason ?? 'no result';
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
      skippedFiles.push(`${f} (${reason})`);
      // Not compared line by line, but where ldd sees no dependencies we must not invent any.
      const got = ours[i];
      if (got && (got.libraries.length > 0 || got.missing.length > 0)) diffs.push(`${f}: ldd says "${reason}" but we found dependencies`);
      continue;
    }
    compared++;
    if (want.missing.size > 0) withMissing++;
    const got = ours[i];
    const gotShape = got ? asLdd(got) : undefined;
    let same = true;
    try {
      expect(gotShape).toEqual(want);
    } catch {
      same = false;
    }
    if (same !== (EXCEPTIONS[f] === undefined)) {
      diffs.push(same ? `${f}: listed in EXCEPTIONS but now matches` : `${f}:\n  ldd: ${JSON.stringify(want, replacer)}\n  ours: ${JSON.stringify(gotShape, replacer)}`);
    }
  }
  console.log(
    `ldd equivalence: ${compared} files compared (${elfFiles.length} ELF files of ${files.length} regular files), ` +
      `skipped ${JSON.stringify(Object.fromEntries(skipped))}, exceptions ${Object.keys(EXCEPTIONS).length}; ` +
      `${withMissing} with 'not found' entries; ldd ${Math.round(lddMs)} ms, resolver ${Math.round(oursMs)} ms\n` +
      `skipped files:\n  ${skippedFiles.join('\n  ')}`,
  );
  expect(diffs).toEqual([]);
  expect(compared).toBeGreaterThan(100);
  // CI installs apache2; its modules are the dlopen'd objects the apache recipe depends on.
  expect(elfFiles.some((f) => f.startsWith('/usr/lib/apache2/modules/'))).toBe(true);
});

function replacer(_k: string, v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries(v);
  if (v instanceof Set) return [...v].sort();
  return v;
}

test('the closure of Apache and all its modules takes well under a second', async () => {
  const modDir = '/usr/lib/apache2/modules';
  const modules = (await readdir(modDir).catch(() => [] as string[])).filter((n) => n.endsWith('.so')).map((n) => path.join(modDir, n));
  if (modules.length === 0) return console.log('apache2 not installed; skipped');
  const t0 = performance.now();
  const closure = await resolveLibraries(['/usr/sbin/apache2', ...modules]);
  const ms = performance.now() - t0;
  console.log(`apache closure: ${closure.roots.length} roots, ${closure.libraries.length} libraries, ${Math.round(ms)} ms`);
  expect(closure.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
  expect(closure.missing).toEqual([]);
  expect(ms).toBeLessThan(1000);
});
