#!/usr/bin/env node
// The `ibee-mock` executable: the CLI bundled into one file by the build (npm run build, run by `prepare` on
// npm ci/install), which starts faster than the module tree in dist/mock-server.
import { main } from '../dist/bundle/ibee-mock.js';

await main(process.argv);
