#!/usr/bin/env node
// Installed entry point: run the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
