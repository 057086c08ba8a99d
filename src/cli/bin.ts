#!/usr/bin/env node
/**
 * The `secitem` executable: main() on the real process. The exit status is
 * set, not forced, so piped output is flushed before the process ends. The
 * streams are created when first used (node builds each on first access),
 * so a command that never reads stdin does not pay for it.
 * @module
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get stdin() {
    return process.stdin;
  },
  env: process.env,
});
