import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Visual harness for the ladder, state machine and buffer views, rendered with demo data (never the
 * app's real data). Not part of the production build: `vite build -c apps/web/harness/vite.config.ts`
 * writes to /tmp/ladder-harness, and harness/shoot.mjs screenshots it in Chromium.
 */
const path = (rel: string) => decodeURIComponent(new URL(rel, import.meta.url).pathname);

export default defineConfig({
  root: path('../src/views/ladder'),
  base: './',
  plugins: [react()],
  build: {
    outDir: '/tmp/ladder-harness',
    emptyOutDir: true,
    rollupOptions: { input: path('../src/views/ladder/harness.html') },
  },
  logLevel: 'warn',
});
