// Registers tfjs's CPU backend for the tests in Node: src/core/tf.ts registers none, and most tests run on it.
import '@tensorflow/tfjs-backend-cpu';
