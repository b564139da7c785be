import type { DatasetId } from '../config';
import type { CatalogInputShape } from '../models/catalog';

/** What the UI knows about each built-in dataset before loading it (a unit test checks it against the manifests). */
export interface DatasetCard {
  name: string;
  count: number;
  shape: CatalogInputShape;
}

export const DATASET_CATALOG: Record<DatasetId, DatasetCard> = {
  mnist: { name: 'MNIST digits', count: 10_000, shape: '28x28x1' },
  'fashion-mnist': { name: 'Fashion-MNIST', count: 70_000, shape: '28x28x1' },
};
