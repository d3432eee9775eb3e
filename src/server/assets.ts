import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const ASSETS: Record<string, string> = {
  'propusk.css': 'text/css; charset=utf-8',
  'propusk.js': 'text/javascript; charset=utf-8',
};

/** Serve the stylesheet and the progressive-enhancement script, read once at start. */
export function registerAssets(app: FastifyInstance): void {
  for (const [name, type] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(`../ui/assets/${name}`, import.meta.url));
    app.get(`/assets/${name}`, async (_request, reply) =>
      reply.type(type).header('cache-control', 'public, max-age=3600').send(body),
    );
  }
}
