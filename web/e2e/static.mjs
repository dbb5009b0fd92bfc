// Serves the static export (web/out) the way the gateway does: `/route/` → out/route/index.html,
// `/route` → redirect to `/route/`, unknown paths → out/404.html.
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export function serveStatic(outDir, req, res) {
  const url = new URL(req.url, 'http://x');
  const rel = decodeURIComponent(url.pathname);
  const file = path.join(outDir, rel);
  if (!file.startsWith(path.resolve(outDir))) {
    res.writeHead(400).end();
    return;
  }
  let target = null;
  if (existsSync(file) && statSync(file).isFile()) target = file;
  else if (existsSync(path.join(file, 'index.html'))) {
    if (!rel.endsWith('/')) {
      res.writeHead(308, { location: `${rel}/${url.search}` }).end();
      return;
    }
    target = path.join(file, 'index.html');
  }
  if (!target) {
    const nf = path.join(outDir, '404.html');
    res.writeHead(404, { 'content-type': TYPES['.html'] });
    if (existsSync(nf)) createReadStream(nf).pipe(res);
    else res.end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(target)] ?? 'application/octet-stream',
    'cache-control': rel.startsWith('/_next/static/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  createReadStream(target).pipe(res);
}
