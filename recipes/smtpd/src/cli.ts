#!/usr/bin/env node
import { runRecipeCli } from '@jailwright/core/recipe-cli';
import { recipeFile, recipeName } from './index.js';

process.exitCode = await runRecipeCli({
  name: recipeName,
  bin: 'jailwright-smtpd',
  file: recipeFile,
  summary: 'Obtuse SMTPD built from source (in /usr/local/sbin): smtpd -D chrooting itself into the spool jail as jw-smtpd on 127.0.0.1:2525, smtpfwdd outside it handing messages to /usr/sbin/sendmail.',
});
