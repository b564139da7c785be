import type { TrainedModel } from '../core/events';

/** Saves bytes or text as a file through the browser's download (nothing leaves the machine). */
export function downloadFile(fileName: string, contents: string | ArrayBuffer, type: string): void {
  const url = URL.createObjectURL(new Blob([contents], { type }));
  const anchor = Object.assign(document.createElement('a'), { href: url, download: fileName });
  anchor.click();
  // The click has started the download; the object URL is no longer needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url));
}

/** A trained model as tfjs's two files (tf.loadLayersModel('…/model.json') reads them back). */
export function downloadTrainedModel(model: TrainedModel, baseName: string): void {
  const weightsFile = `${baseName}.weights.bin`;
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'WebGPU Training Playground',
    modelTopology: model.modelTopology,
    weightsManifest: [{ paths: [weightsFile], weights: model.weightSpecs }],
  };
  downloadFile(`${baseName}.json`, JSON.stringify(modelJson), 'application/json');
  downloadFile(weightsFile, model.weightData, 'application/octet-stream');
}
