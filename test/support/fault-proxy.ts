import { createServer, request, type IncomingMessage, type Server } from 'node:http';

/** What the proxy does with the n-th request (counting from 1). */
export type Fault = 'pass' | 'fail-before' | 'fail-after' | 'down';

/**
 * An HTTP proxy in front of a server that injects faults: `fail-before` answers 500 without
 * forwarding, `fail-after` forwards, lets the server do the work, and answers 500 anyway (a lost
 * answer), `down` answers 503 to everything.
 */
export class FaultProxy {
  url = '';
  /** requests seen, and faults injected, by kind */
  readonly counts = { requests: 0, 'fail-before': 0, 'fail-after': 0, down: 0 };
  private server: Server | undefined;

  constructor(
    private readonly target: string,
    public policy: (n: number, req: IncomingMessage) => Fault = () => 'pass',
  ) {}

  async start(): Promise<void> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const n = ++this.counts.requests;
      const fault = this.policy(n, req);
      if (fault !== 'pass') this.counts[fault]++;
      if (fault === 'fail-before' || fault === 'down') {
        req.resume();
        res.writeHead(fault === 'down' ? 503 : 500, { 'content-type': 'text/plain' }).end('injected fault');
        return;
      }
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (answer) => {
          if (fault === 'fail-after') {
            answer.resume();
            answer.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end('injected fault after the server answered'));
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (e) => res.writeHead(502).end(String(e)));
      req.pipe(upstream);
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((done) => server.close(() => done()));
    server.closeAllConnections();
    await closed;
  }
}
