import { defineConfig } from 'vitest/config';
import { recipeTestConfig } from '../../scripts/recipe-vitest.mjs';

export default defineConfig(recipeTestConfig());
