import { defineConfig } from 'vite';

// Relative asset paths: the server serves dist/ at "/".
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/api': 'http://127.0.0.1:5170' } },
});
