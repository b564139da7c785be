// tfjs for the whole app: tfjs-core with its gradients, and tfjs-layers. No backend is registered here: the code that
// picks one imports it (train/backend.ts; the test setups). The umbrella @tensorflow/tfjs is not used (eslint.config.js).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
