#!/usr/bin/env node
/**
 * The `git-credential-secitem` executable (credential-helper.ts): what git
 * runs for `credential.helper secitem`. Bundled into one file by
 * src/bridges/bundle.ts for a fast start.
 * @module
 */
import { credentialHelperMain } from './credential-helper.js';

process.exitCode = await credentialHelperMain(process.argv.slice(2));
