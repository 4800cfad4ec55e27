/**
 * /etc/ld.so.conf parser. ld.so never reads this file (it reads the cache ldconfig builds from it),
 * but a jail needs the directory list to rebuild its own cache and to explain where a library came from.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Options for {@link readLdSoConf}. */
export interface LdSoConfOptions {
  /** Host root the file and its includes live under (default `/`); returned directories are relative to it. */
  root?: string;
}

/** Reads ld.so.conf (default `/etc/ld.so.conf`) and its includes; returns directories in ldconfig order, deduplicated. */
export async function readLdSoConf(file = '/etc/ld.so.conf', options: LdSoConfOptions = {}): Promise<string[]> {
  const root = options.root ?? '/';
  const dirs: string[] = [];
  const seenFiles = new Set<string>();
  await parseFile(root, file, dirs, seenFiles);
  return [...new Set(dirs)];
}

/** Parses ld.so.conf text; `include` targets are returned, not followed, so callers decide on I/O. */
export function parseLdSoConfText(text: string): Array<{ kind: 'dir'; path: string } | { kind: 'include'; pattern: string }> {
  const out: Array<{ kind: 'dir'; path: string } | { kind: 'include'; pattern: string }> = [];
  for (const rawLine of text.split('\n')) {
    const hash = rawLine.indexOf('#');
    const line = (hash >= 0 ? rawLine.slice(0, hash) : rawLine).trim();
    if (line === '') continue;
    const m = /^(include|hwcap)[ \t]+(.*)$/.exec(line);
    if (m?.[1] === 'include') {
      // ldconfig accepts several space-separated patterns on one include line.
      for (const pattern of (m[2] ?? '').split(/[ \t]+/).filter(Boolean)) out.push({ kind: 'include', pattern });
      continue;
    }
    // `hwcap` lines configured legacy hwcap subdirectories; glibc 2.37 dropped them and they name no directory.
    if (m?.[1] === 'hwcap') continue;
    // ldconfig splits on ':', ',', tab and space too, and drops trailing slashes.
    for (const part of line.split(/[:, \t]+/)) {
      const dir = part.length > 1 ? part.replace(/\/+$/, '') : part;
      // The ancient `dir=TYPE` syntax forced a library type; only the directory matters now.
      if (dir !== '') out.push({ kind: 'dir', path: dir.replace(/=.*$/, '') });
    }
  }
  return out;
}

async function parseFile(root: string, file: string, dirs: string[], seen: Set<string>): Promise<void> {
  // Include loops would recurse forever; ldconfig itself does not guard, but a tool must.
  if (seen.has(file)) return;
  seen.add(file);
  let text: string;
  try {
    text = await readFile(path.join(root, file), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const item of parseLdSoConfText(text)) {
    if (item.kind === 'dir') {
      dirs.push(item.path);
      continue;
    }
    const pattern = path.isAbsolute(item.pattern) ? item.pattern : path.join(path.dirname(file), item.pattern);
    for (const match of await expandGlob(root, pattern)) await parseFile(root, match, dirs, seen);
  }
}

/** Expands a glob(3)-style pattern (`*`, `?`, `[...]`) under root, sorted like glob(3) does. */
async function expandGlob(root: string, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter((p) => p !== '');
  let current = ['/'];
  for (const part of parts) {
    const next: string[] = [];
    if (!/[*?[]/.test(part)) {
      for (const c of current) next.push(path.posix.join(c, part));
    } else {
      const re = globToRegExp(part);
      for (const c of current) {
        let names: string[];
        try {
          names = await readdir(path.join(root, c));
        } catch {
          continue;
        }
        for (const n of names.sort()) {
          // glob(3) does not let wildcards match a leading dot.
          if (n.startsWith('.') && !part.startsWith('.')) continue;
          if (re.test(n)) next.push(path.posix.join(c, n));
        }
      }
    }
    current = next;
  }
  return current;
}

function globToRegExp(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const ch = part[i] ?? '';
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[') {
      const close = part.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = part.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}
