import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A vitest globalSetup (`recipeTestConfig` names it): every build records its jail in the host's registry
 * (/var/lib/jailwright/jails), but tests build throwaway jails, so they record them in a registry of their
 * own, removed when the run ends.
 */
export default function setup(): () => void {
  const registry = mkdtempSync(path.join(tmpdir(), 'jailwright-test-registry-'));
  process.env.JAILWRIGHT_REGISTRY = path.join(registry, 'jails');
  return () => rmSync(registry, { recursive: true, force: true });
}
