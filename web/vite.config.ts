import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The editor only talks to the Pikflow server: in dev, /api is proxied to it;
// in production the server serves web/dist itself on the same origin.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2500 },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false } },
  },
});
