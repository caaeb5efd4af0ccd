/** Vite build, dev server (127.0.0.1 only) and vitest settings for the workstation. */
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: './',
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    // Vendor code in its own long-cached chunks: an app change does not re-download AG Grid.
    rollupOptions: {
      output: {
        manualChunks: (id: string) =>
          id.includes('node_modules/ag-grid') ? 'vendor-aggrid' : id.includes('node_modules/react') ? 'vendor-react' : undefined,
      },
    },
  },
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
    pool: 'threads',
    // graphql-ws's server helper (used by the real-socket test) must share the test's graphql module.
    server: { deps: { inline: ['graphql-ws'] } },
  },
});
