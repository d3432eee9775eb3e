// Write docs/configuration.md from the configuration schema, so the table
// and the defaults can never disagree. `npm run docs:config`.
import { writeFileSync } from 'node:fs';
import { renderConfigurationDocs } from '../src/config/docs.js';

const target = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(target, renderConfigurationDocs());
console.log(`wrote ${target.pathname}`);
