#!/usr/bin/env node
import { runRecipeCli } from '@jailwright/core/recipe-cli';
import { recipeFile, recipeName } from './index.js';

process.exitCode = await runRecipeCli({
  name: recipeName,
  bin: 'jailwright-apache',
  file: recipeFile,
  summary: "Apache httpd in a chroot jail: the article's walk-through on Debian's apache2, serving 127.0.0.1:8080 as www-data.",
});
