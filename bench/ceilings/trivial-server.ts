// Ceiling 2: the cheapest HTTP server Node offers, which returns a short text
// for every request. It measures what the HTTP layer alone costs per request.
//
// Usage: node --import tsx bench/ceilings/trivial-server.ts PORT
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
if (!Number.isInteger(port)) {
  throw new Error('usage: trivial-server.ts PORT');
}
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
}).listen(port, '127.0.0.1');
