import type { DatasetId } from '../config';
import type { CatalogInputShape } from '../models/catalog';
import { SYNTHETIC_SHAPES_PER_CLASS, SYNTHETIC_SHAPE_CLASSES } from './synthetic-shapes';
import { fingerprintPrefixOf, isUserDatasetId } from './user-dataset-id';
import type { UserDatasetSummary } from './user-import';

/** What the UI knows about a dataset before loading it (a unit test checks the built-in ones against their files). */
export interface DatasetCard {
  name: string;
  count: number;
  /** The input shape whose FLOP figures (models/catalog.ts) estimate this dataset's cost. */
  shape: CatalogInputShape;
  /** Set when the real shape is not in the FLOP table (some imported datasets): `shape` is then the nearest one there. */
  actualShape?: string;
}

/** Datasets every browser has. An imported dataset's id finds nothing here: see datasetCard. */
export const DATASET_CATALOG: Record<DatasetId, DatasetCard> = {
  mnist: { name: 'MNIST digits', count: 10_000, shape: '28x28x1' },
  'fashion-mnist': { name: 'Fashion-MNIST', count: 70_000, shape: '28x28x1' },
  'synthetic-shapes': { name: 'Synthetic shapes (RGB)', count: SYNTHETIC_SHAPES_PER_CLASS * SYNTHETIC_SHAPE_CLASSES.length, shape: '32x32x3' },
};

const CATALOG_SHAPE_VALUES: Record<CatalogInputShape, number> = { '28x28x1': 28 * 28 * 1, '32x32x3': 32 * 32 * 3 };

/** The FLOP-table shape with the closest number of input values (the same shape when the table has it). */
function nearestCatalogShape(height: number, width: number, channels: number): CatalogInputShape {
  const values = height * width * channels;
  const distance = (shape: CatalogInputShape) => Math.abs(Math.log(values / CATALOG_SHAPE_VALUES[shape]));
  const shapes = Object.keys(CATALOG_SHAPE_VALUES) as CatalogInputShape[];
  return shapes.reduce((best, shape) => (distance(shape) < distance(best) ? shape : best));
}

/** The cached imported datasets an id names (normally one). */
export function matchUserDatasets(id: string, userDatasets: readonly UserDatasetSummary[]): UserDatasetSummary[] {
  if (!isUserDatasetId(id)) return [];
  const prefix = fingerprintPrefixOf(id);
  return userDatasets.filter((d) => d.fingerprint.startsWith(prefix));
}

/** The card of any dataset: built-in from the catalog, imported from its cached summary; null if not in this browser. */
export function datasetCard(id: DatasetId, userDatasets: readonly UserDatasetSummary[]): DatasetCard | null {
  if (!isUserDatasetId(id)) return DATASET_CATALOG[id];
  const [summary] = matchUserDatasets(id, userDatasets);
  if (!summary) return null;
  const actual = `${summary.height}x${summary.width}x${summary.channels}`;
  const shape = nearestCatalogShape(summary.height, summary.width, summary.channels);
  return { name: summary.name, count: summary.count, shape, ...(shape === actual ? {} : { actualShape: actual }) };
}

/** How a configuration or a link names its dataset: an imported one also by name and whole fingerprint. */
export interface DatasetRef {
  id: DatasetId;
  name?: string;
  fingerprint?: string;
}

export interface DatasetRefStatus {
  /** The dataset is in this browser and a run can use it. */
  available: boolean;
  /** A short name for it, e.g. "MNIST digits" or "flowers (imported)". */
  label: string;
  /** What the user should know or do, or null when there is nothing to say. */
  message: string | null;
}

/** What to record in a link for this dataset (the images themselves never go into a link). */
export function datasetRefFor(id: DatasetId, userDatasets: readonly UserDatasetSummary[]): DatasetRef {
  const [summary] = matchUserDatasets(id, userDatasets);
  return summary ? { id, name: summary.name, fingerprint: summary.fingerprint } : { id };
}

/**
 * Whether a dataset named by a configuration or a link can be used here, and if not, what to import: e.g.
 * 'This link uses your dataset "flowers" (fingerprint 3fa2…): import the folder "flowers" to run it.'
 */
export function describeDatasetRef(ref: DatasetRef, userDatasets: readonly UserDatasetSummary[]): DatasetRefStatus {
  if (!isUserDatasetId(ref.id)) return { available: true, label: DATASET_CATALOG[ref.id].name, message: null };
  const fingerprint = ref.fingerprint ?? fingerprintPrefixOf(ref.id);
  const matches = matchUserDatasets(ref.id, userDatasets).filter((d) => d.fingerprint.startsWith(fingerprint));
  if (matches.length === 1) return { available: true, label: `${matches[0]!.name} (imported)`, message: null };
  if (matches.length > 1) {
    return {
      available: false, label: ref.name ?? ref.id,
      message: `${ref.id} matches ${matches.length} imported datasets: delete the one you do not mean.`,
    };
  }
  const shown = `fingerprint ${fingerprint.slice(0, 16)}…`;
  if (ref.name === undefined) {
    return {
      available: false, label: ref.id,
      message: `This uses an imported dataset (${shown}) that is not in this browser: import its folder to run it.`,
    };
  }
  const sameName = userDatasets.find((d) => d.name === ref.name);
  const changed = sameName
    ? ` The "${ref.name}" imported here has other contents (fingerprint ${sameName.fingerprint.slice(0, 16)}…): the folder or the ` +
      'import settings differ from the ones the link was made with.'
    : '';
  return {
    available: false, label: ref.name,
    message: `This link uses your dataset "${ref.name}" (${shown}): import the folder "${ref.name}" to run it.${changed}`,
  };
}
