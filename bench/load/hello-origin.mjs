// The trivial fast origin for the load benchmark: node:http answering every
// request with a 13-byte body and `cache-control: no-store` (so Rampart's
// micro-cache cannot answer for it and every request crosses the proxy).
// Plain JavaScript (no loader) so the origin pays nothing for tsx.
// Usage: node bench/load/hello-origin.mjs PORT  → prints "listening PORT".
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from('hello, world\n');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'cache-control': 'no-store' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening ${typeof a === 'object' && a ? a.port : port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
