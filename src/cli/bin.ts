#!/usr/bin/env node
/**
 * The `secitem` executable: main() on the real process (process-io.ts).
 * The exit status is set, not forced, so that the process ends on its own
 * once stdin is let go.
 * @module
 */
import { main } from './main.js';
import { processIo } from './process-io.js';

process.exitCode = await main(process.argv.slice(2), processIo());
