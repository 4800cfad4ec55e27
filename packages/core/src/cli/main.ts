#!/usr/bin/env node
console.log('jailwright: not yet');
