// `npm run playground`: builds the playground (scripts/buildPlayground.mjs) and serves dist/playground/
// on 127.0.0.1, printing the URL. The folder is static: any web server can host it instead.
// Usage: node scripts/playground.mjs [--port N] [--no-build] [--dev]   (--dev: unminified, with source maps)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildPlayground } from './buildPlayground.mjs';

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.c': 'text/plain; charset=utf-8',
  '.o': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
};

/** Serves `dir` read-only on 127.0.0.1; resolves to the server and its URL. Paths never leave `dir`. */
export function servePlayground(dir, port = 0) {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (file.endsWith(path.sep) || file === root) file = path.join(file, 'index.html');
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        if (process.env.PLAYGROUND_LOG) console.error(`404 ${url.pathname}`);
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}\n`);
        return;
      }
      res.writeHead(200, {
        'content-type': types[path.extname(file)] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      resolve({ server, url: `http://127.0.0.1:${p}/` });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const portArg = argv.indexOf('--port');
  const port = portArg >= 0 ? Number(argv[portArg + 1]) : 8790;
  const dir = path.resolve(import.meta.dirname, '../dist/playground');
  if (!argv.includes('--no-build')) {
    const { ms, sizes } = await buildPlayground();
    const total = sizes.filter((s) => !s.file.endsWith('.map')).reduce((a, s) => a + s.bytes, 0);
    console.log(`built dist/playground (${(total / 1048576).toFixed(1)} MiB) in ${ms} ms`);
  }
  let served;
  try {
    served = await servePlayground(dir, port);
  } catch (e) {
    if (e.code !== 'EADDRINUSE') throw e;
    served = await servePlayground(dir, 0);
  }
  console.log(`XDP Lab playground: ${served.url}  (Ctrl+C to stop)`);
}
