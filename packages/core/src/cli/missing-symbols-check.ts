/** The missing-symbol check `build` and `update` run on a new generation: one flag, one verdict, one report. */
import { Option } from 'commander';
import type { MissingSymbolsReport } from '../trace/missing-symbols.js';

/** `--allow-missing-symbols`, as `build` and `update` take it. */
export function allowMissingSymbolsOption(): Option {
  return new Option('--allow-missing-symbols', 'warn, instead of failing, when something in the jail needs a symbol nothing in the jail defines');
}

/**
 * The verdict on the symbols a new generation misses (`report` is absent when none was built): `failed`
 * (exit 1) unless they are allowed, and the lines to print — a warning when allowed, nothing when none is missing.
 */
export async function missingSymbolsVerdict(report: MissingSymbolsReport | undefined, allow: boolean | undefined): Promise<{ failed: boolean; text: string }> {
  if (!report || report.missing.length + report.missingVersions.length === 0) return { failed: false, text: '' };
  const { formatMissingSymbols } = await import('../trace/missing-symbols.js');
  return { failed: !allow, text: `${allow ? 'warning: ' : ''}${formatMissingSymbols(report)}` };
}
