import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// `vite build` writes dist/, which the gateway serves at / (Gateway.WebDir). `vite` (pnpm dev) serves
// the UI on :5173 and sends API and sign-in requests to a gateway on :8080 (npm start).
const gateway = process.env.WHARF_GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
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
