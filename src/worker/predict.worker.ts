/// <reference lib="webworker" />
/**
 * "Try the model": loads a kept run's trained model (tfjs's save format, from the done event) and gives the class
 * probabilities of one image, off the main thread, on tfjs's CPU backend (one image needs no GPU, and a sweep may hold it).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../core/tf';
import { IMAGE_HEADER_BYTES, readImageHeader } from '../core/data/image-header';
import { IMPORT_LIMITS } from '../core/data/user-import';
import { classProbabilities } from '../core/train/evaluation';
import { invertGrey, type PredictInput, type PredictReply, type PredictRequest } from '../core/try-model';
import { decodeToPixels } from './decode-image';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const ready = tf.setBackend('cpu');
let loaded: { key: number; model: tf.LayersModel } | null = null;

/** A problem with the user's image, worded for them. */
class InputError extends Error {}

async function modelFor({ modelKey, model }: PredictRequest): Promise<tf.LayersModel> {
  if (loaded?.key === modelKey) return loaded.model;
  if (!model) throw new Error('The model of this run is not loaded; choose the run again.');
  loaded?.model.dispose();
  loaded = null;
  const layers = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, weightSpecs: model.weightSpecs as tf.io.WeightsManifestEntry[], weightData: model.weightData,
  }));
  loaded = { key: modelKey, model: layers };
  return layers;
}

/** The image file as the import pipeline decodes it: centre square, resized to the model's side, on white. */
async function decodeFile(input: Extract<PredictInput, { kind: 'file' }>, side: number, channels: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(await input.file.slice(0, IMAGE_HEADER_BYTES).arrayBuffer());
  const header = readImageHeader(bytes);
  if (!header) throw new InputError(`"${input.name}" is not a PNG, JPEG, GIF, WebP or BMP image (judging by its contents).`);
  if (header.width * header.height > IMPORT_LIMITS.maxSourcePixels) {
    throw new InputError(`"${input.name}" has ${header.width} × ${header.height} pixels, more than the ${IMPORT_LIMITS.maxSourcePixels / 1e6}-megapixel limit.`);
  }
  let pixels: Uint8Array;
  try {
    pixels = await decodeToPixels(input.file, { side, colour: channels === 1 ? 'grayscale' : 'rgb' }, new OffscreenCanvas(side, side));
  } catch {
    throw new InputError(`"${input.name}" could not be decoded as ${header.format.toUpperCase()}: the file is damaged or incomplete.`);
  }
  return input.invert ? invertGrey(pixels) : pixels;
}

async function predict(request: PredictRequest): Promise<Omit<Extract<PredictReply, { ok: true }>, 'id' | 'ok'>> {
  await ready;
  const model = await modelFor(request);
  const [, height, width, channels] = model.inputs[0]!.shape as [null, number, number, number];
  const { input } = request;
  const pixels = input.kind === 'file' ? await decodeFile(input, height, channels) : input.pixels;
  return { probabilities: await classProbabilities(model, pixels), seen: { width, height, channels, pixels } };
}

// One request at a time, in order: a run's model is loaded once, by the first request that names it.
let queue: Promise<unknown> = Promise.resolve();
scope.onmessage = (message: MessageEvent<PredictRequest>) => {
  const request = message.data;
  queue = queue.then(() => predict(request)).then(
    (prediction) => scope.postMessage({ id: request.id, ok: true, ...prediction } satisfies PredictReply),
    (error: unknown) => {
      const text = error instanceof InputError ? error.message : `The prediction failed: ${(error as Error).message}`;
      scope.postMessage({ id: request.id, ok: false, message: text } satisfies PredictReply);
    },
  );
};
