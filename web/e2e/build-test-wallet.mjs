// Builds e2e/test-wallet.ts into one standalone browser script, e2e/dist/test-wallet.js.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('./test-wallet.ts', import.meta.url).pathname],
  outfile: new URL('./dist/test-wallet.js', import.meta.url).pathname,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
console.log('built e2e/dist/test-wallet.js');
