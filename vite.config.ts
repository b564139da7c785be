import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serviceWorker } from './scripts/service-worker-plugin.js';

const packageJson = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  plugins: [
    svelte(),
    // Offline use after the first visit; MNIST is the default dataset (src/core/config.ts), so it is cached on install.
    serviceWorker({ source: 'src/offline/sw.ts', precacheDatasets: ['mnist'] }),
  ],
  base: './',
  // Stamped into result links and exports, so a shared result says which app version measured it.
  define: { 'import.meta.env.VITE_APP_VERSION': JSON.stringify(packageJson.version) },
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
    // src/core/tf.ts registers tfjs-core's gradients and chained ops from its ES modules; bundled once here, rather
    // than hundreds of files transformed again for every test file (the rest of tfjs loads as its CommonJS build).
    deps: {
      optimizer: {
        ssr: {
          enabled: true,
          include: [
            '@tensorflow/tfjs-core/dist/register_all_gradients',
            '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops',
          ],
        },
      },
    },
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      {
        // Node with tfjs's CPU backend.
        extends: true,
        test: {
          name: 'unit', include: ['tests/unit/**/*.test.ts'], exclude: ['tests/unit/**/*.webgpu.test.ts'],
          setupFiles: ['tests/setup/node-cpu.ts'],
        },
      },
      {
        // tfjs's WebGPU backend on Dawn (npm `webgpu`); on machines without a GPU, Vulkan via Chromium's SwiftShader.
        // The setup file installs navigator.gpu before any test imports tfjs-backend-webgpu and fails (never skips)
        // with what is missing when no adapter can be had.
        extends: true,
        test: {
          name: 'webgpu',
          include: ['tests/unit/**/*.webgpu.test.ts'],
          setupFiles: ['tests/setup/node-cpu.ts', 'tests/setup/node-webgpu.ts'],
          pool: 'forks',
        },
      },
      {
        // `npm run bench:engine`: the fused engine against stock tfjs kernels on Dawn. A measurement, not a test: the
        // test scripts name their projects, so this one never runs with them.
        extends: true,
        test: {
          name: 'engine-bench',
          include: ['scripts/engine-bench.ts'],
          setupFiles: ['tests/setup/node-cpu.ts', 'tests/setup/node-webgpu.ts'],
        },
      },
    ],
  },
});
