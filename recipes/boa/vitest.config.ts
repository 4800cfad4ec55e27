import { defineConfig } from 'vitest/config';
import { recipeTestConfig } from '@jailwright/core/testing/vitest-config';

export default defineConfig(recipeTestConfig());
