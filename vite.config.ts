import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  plugins: [svelte()],
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // The app, and the benchmark page that scripts/bench.mjs drives (bench/README.md).
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./bench.html', import.meta.url)),
      },
    },
  },
  test: {
    // tfjs and Dawn keep native handles and global backends: one process per file keeps them apart.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      {
        // Node with tfjs's CPU backend.
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], exclude: ['tests/unit/**/*.webgpu.test.ts'] },
      },
      {
        // tfjs's WebGPU backend on Dawn (npm `webgpu`); on machines without a GPU, Vulkan via Chromium's SwiftShader.
        // The setup file installs navigator.gpu before any test imports tfjs-backend-webgpu and fails (never skips)
        // with what is missing when no adapter can be had.
        extends: true,
        test: {
          name: 'webgpu',
          include: ['tests/unit/**/*.webgpu.test.ts'],
          setupFiles: ['tests/setup/node-webgpu.ts'],
          pool: 'forks',
        },
      },
    ],
  },
});
