#!/usr/bin/env node
/**
 * The `secitem` executable: main() on the real process. The exit status is
 * set, not forced, so piped output is flushed before the process ends.
 * @module
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
