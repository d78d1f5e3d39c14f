#!/usr/bin/env node
// Thin shim: all of concur lives in dist/ (built from src/ by `npm install`).
import { main } from '../dist/cli.js';

await main(process.argv);
