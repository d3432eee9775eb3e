// A loopback HTTP reverse proxy in front of several Propusk nodes, standing in
// for the load balancer of a production setup. The test decides which node
// gets each later request, so a flow can start on one node and finish on
// another while the browser and the relying party see one issuer URL.
import { createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  /** http://127.0.0.1:PORT, the issuer URL of the nodes behind it. */
  url: string;
  /** Send every later request to the node on this port. */
  routeTo(port: number): void;
  close(): Promise<void>;
}

/**
 * Start the proxy on a free port. Until routeTo is called, and whenever the
 * chosen node cannot be reached, it returns 502 as a real balancer would.
 */
export async function startLoadBalancer(): Promise<LoadBalancer> {
  let target: number | undefined;

  const server = createServer((incoming, outgoing) => {
    const badGateway = (reason: string) => {
      if (outgoing.headersSent) {
        outgoing.destroy();
        return;
      }
      outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`load balancer: ${reason}`);
    };
    if (target === undefined) {
      badGateway('no node chosen');
      return;
    }
    // agent: false opens a connection per request, so no pooled socket can lead to a node that was killed.
    const upstream = forward(
      { host: '127.0.0.1', port: target, method: incoming.method, path: incoming.url, headers: incoming.headers, agent: false },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', (error) => badGateway(`node on port ${target} failed: ${error.message}`));
    incoming.pipe(upstream);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    routeTo(nodePort) {
      target = nodePort;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
