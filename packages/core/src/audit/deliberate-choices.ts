import type { AuditAllowEntry, NormalizedRecipe } from '../recipe/index.js';

/**
 * What a recipe chose on purpose, allowed with the recipe's own words: setuid bits it keeps (with their
 * reason) and, when the jail is built with link: hard (by the recipe or --link hard), the inodes it shares
 * with the host and with every other jail of the recipe. Used by the build's audit and by `jailwright audit`.
 */
export function deliberateChoices(recipe: NormalizedRecipe, link: 'copy' | 'hard' | null | undefined): AuditAllowEntry[] {
  const allow: AuditAllowEntry[] = [...(recipe.audit?.allow ?? [])];
  for (const file of recipe.jail.files.filter((entry) => entry.keepSetuid)) {
    const reason = `kept by the recipe (keepSetuid): ${file.reason ?? 'no reason given'}`;
    allow.push({ check: 'setuid-file', path: file.to, reason }, { check: 'setgid-file', path: file.to, reason });
  }
  if ((link ?? recipe.jail.link) === 'hard') {
    const reason = 'built with link: hard: host files are hard-linked, shared with the host and with every jail of this recipe, on purpose (no copy per jail)';
    allow.push({ check: 'host-inode', path: '/**', reason }, { check: 'hard-link', path: '/**', reason });
  }
  return allow;
}
