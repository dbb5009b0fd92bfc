/** @type {import('next').NextConfig} */
const nextConfig = {
  // A static site: `npm run build` writes web/out/, which the Rust gateway serves at `/`.
  output: 'export',
  // Every page is exported as `<route>/index.html`, which any static file server (and the
  // gateway's directory service) finds for `/<route>/`.
  trailingSlash: true,
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
};

export default nextConfig;
