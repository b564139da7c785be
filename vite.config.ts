import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // tfjs and Dawn keep native handles and global backends: one process per file keeps them apart.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
