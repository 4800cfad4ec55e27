import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { isRunning, type ProcessIdentity } from '../host/processes.js';

/**
 * A rebuild swaps in a new generation and removes the old one; a service still running in the old
 * tree must keep it. Whoever starts a service pins the generation it runs in with the PID (and start
 * time) of the process that lives as long as the service; a build keeps every generation with a live pin.
 */
export function pinGeneration(generationDirectory: string, holder: ProcessIdentity): void {
  const pins = posix.join(posix.dirname(generationDirectory), 'pins');
  mkdirSync(pins, { recursive: true, mode: 0o700 });
  writeFileSync(posix.join(pins, `${posix.basename(generationDirectory)}.${holder.pid}`), `${JSON.stringify(holder)}\n`, { mode: 0o600 });
}

/** The generations some live process still runs in; pins of processes that are gone are removed on the way. */
export function pinnedGenerations(stateDirectory: string): Set<string> {
  const pins = posix.join(stateDirectory, 'pins');
  const pinned = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(pins);
  } catch {
    return pinned;
  }
  for (const name of names) {
    const file = posix.join(pins, name);
    let holder: ProcessIdentity | undefined;
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as ProcessIdentity;
    } catch {
      holder = undefined;
    }
    if (holder && isRunning(holder)) pinned.add(name.slice(0, name.lastIndexOf('.')));
    else rmSync(file, { force: true });
  }
  return pinned;
}
