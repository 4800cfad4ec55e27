import { readdir, readFile } from 'node:fs/promises';

/** The parent PID from the text of /proc/PID/stat; the command name (field 2) may hold spaces and parentheses, so read after the last ")". */
export function parentFromStat(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const parent = Number(fields[1]);
  return Number.isInteger(parent) ? parent : undefined;
}

/** Every live descendant of `pid` (children, grandchildren, …), read from /proc/*\/stat, parents before children. */
export async function listDescendants(pid: number, proc = '/proc'): Promise<number[]> {
  const children = new Map<number, number[]>();
  const entries = await readdir(proc);
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        // A process may exit between readdir and readFile; it is simply no longer part of the tree.
        const stat = await readFile(`${proc}/${entry}/stat`, 'utf8').catch(() => undefined);
        const parent = stat === undefined ? undefined : parentFromStat(stat);
        if (parent === undefined) return;
        const siblings = children.get(parent) ?? [];
        siblings.push(Number(entry));
        children.set(parent, siblings);
      }),
  );
  const descendants: number[] = [];
  const queue = [pid];
  const seen = new Set(queue);
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    for (const child of (children.get(current) ?? []).sort((a, b) => a - b)) {
      if (seen.has(child)) continue;
      seen.add(child);
      descendants.push(child);
      queue.push(child);
    }
  }
  return descendants;
}

/** `pid` and all its descendants: "every process of the service" for the process probe. */
export async function processTree(pid: number, proc = '/proc'): Promise<number[]> {
  return [pid, ...(await listDescendants(pid, proc))];
}
