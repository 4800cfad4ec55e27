import type { Options } from 'tsup';

/** The build of every recipe package (each recipe's tsup.config.ts). */
export declare const recipeTsupConfig: Options;
