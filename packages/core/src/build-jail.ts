import { applyPlan, type ApplyResult } from './apply/apply.js';
import { assertRoot } from './apply/root-safety.js';
import { ensureSystemAccount } from './host/accounts.js';
import { HostView } from './host/host-view.js';
import { planJail } from './plan/plan.js';
import type { Plan } from './plan/types.js';
import { loadRecipe, type LoadedRecipe, resolveRecipeReference } from './recipe/index.js';
import { ENGINE_VERSION } from './version.js';

/** What `buildJail` is asked to do. */
export interface BuildJailOptions {
  /** A recipe.yaml path, a recipe package name (`@jailwright/bind`) or a short name (`bind`). */
  recipe: string;
  /** The jail root; defaults to /srv/jails/<recipe name>. */
  root?: string | undefined;
  /** Plan only: read the host, write nothing. */
  dryRun?: boolean | undefined;
  link?: 'copy' | 'hard' | undefined;
  force?: boolean | undefined;
  waitMs?: number | undefined;
  cwd?: string | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
  onWait?: ((holderPid: number) => void) | undefined;
}

/** What `buildJail` did: the plan always, the build result unless it was a dry run. */
export interface BuildJailOutcome {
  loaded: LoadedRecipe;
  root: string;
  plan: Plan;
  createdAccounts: string[];
  result?: ApplyResult;
}

/** The default place of a recipe's jail. */
export function defaultJailRoot(recipeName: string): string {
  return `/srv/jails/${recipeName}`;
}

/** Loads a recipe, plans its jail against this host, and (unless a dry run) builds it atomically. */
export async function buildJail(options: BuildJailOptions): Promise<BuildJailOutcome> {
  const file = await resolveRecipeReference(options.recipe, { cwd: options.cwd });
  const loaded = await loadRecipe(file);
  const root = options.root ?? defaultJailRoot(loaded.recipe.name);
  const host = new HostView();
  let plan = await planJail(loaded.recipe, host, { link: options.link });
  if (options.dryRun) return { loaded, root, plan, createdAccounts: [] };

  assertRoot('building a jail');
  const createdAccounts: string[] = [];
  if (plan.accountsToCreate.length > 0) {
    for (const account of plan.accountsToCreate) {
      if (await ensureSystemAccount(account, await host.accounts())) createdAccounts.push(account.name);
      host.forgetAccounts();
    }
    plan = await planJail(loaded.recipe, host, { link: options.link });
  }
  const result = await applyPlan(plan, root, {
    force: options.force,
    waitMs: options.waitMs,
    recipeFile: loaded.file,
    engineVersion: ENGINE_VERSION,
    onProgress: options.onProgress,
    onWait: options.onWait,
  });
  return { loaded, root, plan, createdAccounts, result };
}
