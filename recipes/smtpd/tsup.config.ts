import { defineConfig } from 'tsup';
import { recipeTsupConfig } from '../../scripts/recipe-tsup.mjs';

export default defineConfig(recipeTsupConfig);
