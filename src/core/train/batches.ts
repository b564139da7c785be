import * as tf from '../tf';
import type { DataPipeline } from '../config';
import type { ImageDataset } from '../data/dataset';

/** Hands out [n, h, w, c] float batches in [0, 1] with one-hot labels for dataset indices. */
export interface BatchSource {
  batch(indices: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor2D };
  /** Tensors the source keeps on the device for the whole run (empty for cpu-upload). */
  dispose(): void;
}

function pixelsPerImage(dataset: ImageDataset): number {
  return dataset.height * dataset.width * dataset.channels;
}

/** Converts the images at `indices` to floats on the CPU: the work the naive pipeline repeats for every batch. */
function toFloatImages(dataset: ImageDataset, indices: ArrayLike<number>): Float32Array {
  const pixels = pixelsPerImage(dataset);
  const x = new Float32Array(indices.length * pixels);
  for (let row = 0; row < indices.length; row++) {
    const source = dataset.images.subarray(indices[row]! * pixels, (indices[row]! + 1) * pixels);
    const offset = row * pixels;
    for (let p = 0; p < pixels; p++) x[offset + p] = source[p]! / 255;
  }
  return x;
}

function labelsOf(dataset: ImageDataset, indices: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: indices.length }, (_, row) => dataset.labels[indices[row]!]!);
}

/** The naive path: every batch is converted on the CPU and uploaded. */
export function cpuUploadSource(dataset: ImageDataset): BatchSource {
  const numClasses = dataset.classNames.length;
  return {
    batch(indices) {
      const x = toFloatImages(dataset, indices);
      const labels = labelsOf(dataset, indices);
      return tf.tidy(() => ({
        x: tf.tensor4d(x, [indices.length, dataset.height, dataset.width, dataset.channels]),
        y: tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D,
      }));
    },
    dispose() {},
  };
}

/**
 * The resident path: the images a run uses are uploaded once as floats (their bytes count in the run's GPU memory);
 * each batch uploads only its row numbers and is gathered on the GPU.
 */
export function gpuResidentSource(dataset: ImageDataset, usedIndices: Int32Array): BatchSource {
  const rowOf = new Map<number, number>();
  usedIndices.forEach((index, row) => rowOf.set(index, row));
  const images = tf.tensor4d(toFloatImages(dataset, usedIndices), [usedIndices.length, dataset.height, dataset.width, dataset.channels]);
  const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(labelsOf(dataset, usedIndices), 'int32'), dataset.classNames.length).toFloat());
  return {
    batch(indices) {
      const rows = Int32Array.from({ length: indices.length }, (_, i) => {
        const row = rowOf.get(indices[i]!);
        if (row === undefined) throw new Error(`Index ${indices[i]} is not in the data uploaded for this run.`);
        return row;
      });
      return tf.tidy(() => {
        const rowTensor = tf.tensor1d(rows, 'int32');
        return { x: tf.gather(images, rowTensor) as tf.Tensor4D, y: tf.gather(oneHot, rowTensor) as tf.Tensor2D };
      });
    },
    dispose() {
      tf.dispose([images, oneHot]);
    },
  };
}

export function createBatchSource(pipeline: DataPipeline, dataset: ImageDataset, usedIndices: Int32Array): BatchSource {
  return pipeline === 'gpu-resident' ? gpuResidentSource(dataset, usedIndices) : cpuUploadSource(dataset);
}
