/** Test-only helpers that run ldd (the oracle) and parse its output; production code never runs ldd. */
import { execFile } from 'node:child_process';
import type { RootClosure } from '../../src/host/library-resolver.js';

/** What ldd reported for one file. */
export type LddResult =
  | {
      kind: 'ok';
      /** `path (0x…)` lines: the loader itself, and DT_NEEDED entries that are paths. */
      bare: Set<string>;
      /** `name => path (0x…)` lines. */
      libraries: Map<string, string>;
      /** `name => not found` lines. */
      missing: Set<string>;
    }
  | { kind: 'refused'; reason: string };

/** Runs ldd on one file with a clean environment so LD_LIBRARY_PATH & co. cannot skew the oracle. */
export function runLdd(file: string, timeoutMs = 20_000): Promise<LddResult> {
  return new Promise((resolve) => {
    execFile('ldd', [file], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' }, timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const text = `${stdout}\n${stderr}`;
      if (/not a dynamic executable|statically linked/.test(text)) return resolve({ kind: 'refused', reason: text.includes('statically') ? 'statically linked' : 'not a dynamic executable' });
      if (err) return resolve({ kind: 'refused', reason: `ldd failed: ${(stderr || err.message).trim().split('\n')[0] ?? ''}` });
      resolve(parseLdd(stdout));
    });
  });
}

/** Parses `name => path (0x…)`, `name => not found` and `path (0x…)` lines; drops the vDSO. */
export function parseLdd(stdout: string): LddResult {
  const libraries = new Map<string, string>();
  const missing = new Set<string>();
  const bare = new Set<string>();
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('linux-vdso.so') || line.startsWith('linux-gate.so')) continue;
    let m = /^(\S+) => not found$/.exec(line);
    if (m?.[1]) {
      missing.add(m[1]);
      continue;
    }
    m = /^(\S+) => (\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (m?.[1] && m[2]) {
      libraries.set(m[1], m[2]);
      continue;
    }
    m = /^(\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (m?.[1]) {
      bare.add(m[1]);
      continue;
    }
    return { kind: 'refused', reason: `unparsed ldd line: ${line}` };
  }
  return { kind: 'ok', bare, libraries, missing };
}

/** Puts our closure in ldd's shape so a plain deep-equal compares them. */
export function asLdd(c: RootClosure): LddResult {
  const bare = new Set<string>();
  const libraries = new Map<string, string>();
  // ld.so drops itself from the printed list unless some DT_NEEDED refers to it (rtld.c, rtld_multiple_ref).
  if (c.interpreter && c.interpreterReferenced) bare.add(c.interpreter);
  for (const l of c.libraries) {
    if (l.soname === l.path) bare.add(l.path);
    else libraries.set(l.soname, l.path);
  }
  return { kind: 'ok', bare, libraries, missing: new Set(c.missing.map((m) => m.soname)) };
}
