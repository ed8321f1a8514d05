#!/usr/bin/env node
// The `ibee-mock` executable: the compiled CLI (npm run build, run by `prepare` on npm ci/install).
import { main } from '../dist/mock-server/cli.js';

await main(process.argv);
