#!/usr/bin/env node
import { runRecipeCli } from '@jailwright/core/recipe-cli';
import { recipeFile, recipeName } from './index.js';

process.exitCode = await runRecipeCli({
  name: recipeName,
  bin: 'jailwright-bind',
  file: recipeFile,
  summary:
    "ISC BIND named in its own chroot (-u jw-named -t <root>) on Debian's bind9, serving the test zone example.test on 127.0.0.1:5353, " +
    'or your zone and port: --option zone=NAME --option records=@FILE (or zoneFile=@FILE) --option port=N.',
});
