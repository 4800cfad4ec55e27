import { defineConfig } from 'tsup';
import { recipeTsupConfig } from '@jailwright/core/tsup-config';

export default defineConfig(recipeTsupConfig);
