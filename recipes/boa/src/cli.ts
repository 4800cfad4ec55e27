#!/usr/bin/env node
import { runRecipeCli } from '@jailwright/core/recipe-cli';
import { recipeFile, recipeName } from './index.js';

process.exitCode = await runRecipeCli({
  name: recipeName,
  bin: 'jailwright-boa',
  file: recipeFile,
  summary: 'Boa 0.94.13 built from source (installed as /usr/local/sbin/boa), chrooting itself (-r <root>) and dropping to jw-boa, serving 127.0.0.1:8088.',
});
