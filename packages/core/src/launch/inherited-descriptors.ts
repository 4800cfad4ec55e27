import { closeSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/**
 * Closes every descriptor above 2 this process inherited without close-on-exec. Node opens all of its own
 * descriptors close-on-exec, so what is left open across exec is exactly what a caller leaked to us (a
 * directory fd outside the jail is a way out of it); util-linux and coreutils tools close none of them.
 * Returns the descriptors closed.
 */
export function closeInheritedDescriptors(): number[] {
  const closed: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return closed;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    let flags: number;
    try {
      const match = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (!match?.[1]) continue;
      flags = Number.parseInt(match[1], 8);
    } catch {
      continue; // The directory listing's own descriptor, gone by now.
    }
    if (flags & O_CLOEXEC) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // Already closed.
    }
  }
  return closed;
}
