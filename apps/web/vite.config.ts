import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { PRELOADS } from './src/api/preload';

/** Writes dist/preload.json: the API answers the gateway tells the browser to read with each page (src/api/preload.ts). */
const preloads = (): Plugin => ({
  name: 'wharf-preloads',
  apply: 'build',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'preload.json', source: `${JSON.stringify(PRELOADS, null, 2)}\n` });
  },
});

// `vite build` writes dist/, which the gateway serves at / (Gateway.WebDir). `vite` (pnpm dev) serves
// the UI on :5173 and sends API and sign-in requests to a gateway on :8080 (npm start).
const gateway = process.env.WHARF_GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), preloads()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The gateway's CSP allows no inline scripts, styles or data: URLs besides images.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: { '/api': gateway, '/auth': gateway },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    css: false,
    testTimeout: 30_000,
  },
});
