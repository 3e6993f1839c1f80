import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The agent serves dist/ from its own origin under a strict CSP (scripts and styles from 'self' only),
 * so: relative asset paths, no inline scripts or styles, nothing fetched from elsewhere. Fonts are the
 * system's (Noto CJK on Linux), never downloaded.
 *
 * `vite dev` proxies /ws to an agent on SOCKETSCOPE_AGENT (default 127.0.0.1:8787).
 */
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const agent = env['SOCKETSCOPE_AGENT'] ?? '127.0.0.1:8787';

export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/ws': { target: `ws://${agent}`, ws: true, changeOrigin: false } },
  },
});
