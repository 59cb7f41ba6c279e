import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vitest/config'

const projectRoot = fileURLToPath(new URL('.', import.meta.url))

const apiPort = Number(process.env.PORT ?? 8080)

export default defineConfig({
  root: 'client',
  plugins: [react()],
  build: { outDir: '../dist/client', emptyOutDir: true, sourcemap: true },
  test: {
    root: projectRoot,
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
  server: {
    port: 5173,
    proxy: {
      // Trailing slashes keep Vite's own modules (e.g. a client file named api.ts) out of the proxy.
      '/api/': { target: `http://127.0.0.1:${apiPort}`, changeOrigin: false },
      '/collect/': `http://127.0.0.1:${apiPort}`,
      '/v1/': `http://127.0.0.1:${apiPort}`,
    },
  },
})
