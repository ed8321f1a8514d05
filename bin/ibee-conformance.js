#!/usr/bin/env node
// Thin shim: the TypeScript is compiled to dist/ by `npm run build` (run by `prepare` on npm ci).
import '../dist/suites/cli.js';
