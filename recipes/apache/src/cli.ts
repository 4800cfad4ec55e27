#!/usr/bin/env node
import { runRecipeCli } from '@jailwright/core/recipe-cli';
import { recipeFile, recipeName } from './index.js';

process.exitCode = await runRecipeCli({
  name: recipeName,
  bin: 'jailwright-apache',
  file: recipeFile,
  summary:
    "Apache httpd in a chroot jail on Debian's apache2, serving 127.0.0.1:8080 (--option port=N): the article's walk-through " +
    '(chrooted by the engine, as www-data), or --variant chrootdir (Apache\'s own ChrootDir: workers chroot themselves, as jw-apache).',
});
