#!/usr/bin/env node
// The CLI lives in dist/ (built by `npm install`); this file only hands over the arguments.
import { main } from '../dist/engine/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.message ? err.message : err);
    process.exitCode = 1;
  },
);
