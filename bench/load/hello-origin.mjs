// The trivial fast origin for the load benchmark: node:http answering every
// request with a 13-byte body, or a 1 KB HTML page (BYTES=1024), and
// `cache-control: no-store` (so Rampart's micro-cache cannot answer for it and
// every request crosses the proxy). Plain JavaScript (no loader) so the
// origin pays nothing for tsx.
// Usage: node bench/load/hello-origin.mjs PORT [BYTES]  → prints "listening PORT".
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const bytes = Number(process.argv[3] ?? 0);
const page = (n) => {
  const head = '<!doctype html><html><head><title>Campaign</title></head><body><p>';
  const tail = '</p></body></html>\n';
  return Buffer.from(head + 'x'.repeat(Math.max(0, n - head.length - tail.length)) + tail);
};
const body = bytes > 0 ? page(bytes) : Buffer.from('hello, world\n');
const type = bytes > 0 ? 'text/html; charset=utf-8' : 'text/plain';
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-store' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening ${typeof a === 'object' && a ? a.port : port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
