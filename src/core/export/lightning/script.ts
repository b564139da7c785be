/**
 * A PyTorch Lightning training script for one RunConfig: for when the browser is outgrown. Pure string building.
 *
 * The script mirrors the browser run: the same architecture layer by layer (TORCH_ARCHITECTURES), Adam at the same
 * learning rate with tfjs's epsilon, cross-entropy, the same data recipe (fixed stratified 80/10/10 split, stratified
 * subset), gradient accumulation as Lightning's accumulate_grad_batches with the micro-batch as batch_size, and
 * "16-mixed" for the half-precision modes, on full optimizer steps only. It embeds the layer shapes the tfjs model computes
 * and checks them with a dummy forward pass before training, so running it on real PyTorch verifies the port.
 */
import { microBatchSize, validateRunConfig, type RunConfig } from '../../config';
import { SPLIT_FRACTIONS, SPLIT_SEED } from '../../data/splits';
import { BATCH_NORM_MOMENTUM, BATCH_NORM_RECALIBRATION_IMAGES, MODEL_CATALOG } from '../../models/catalog';
import { ONE_CYCLE_DIV_FACTOR, ONE_CYCLE_FINAL_DIV_FACTOR } from '../../train/schedule';
import { VALIDATION_SAMPLE_SIZE } from '../../train/validation-sample';
import { TORCH_ARCHITECTURES, pythonClasses, type LayerShape } from './architectures';
import type { InputShape } from '../../models/types';

/** The tfjs BatchNorm layers' epsilon (tfjs's default). */
export const TFJS_BATCH_NORM_EPSILON = 1e-3;
/** tfjs's Adam epsilon (PyTorch's default is 1e-8). */
export const TFJS_ADAM_EPSILON = 1e-7;

/** Datasets torchvision downloads itself; every other dataset is read from an image folder. */
const TORCHVISION_DATASETS: Partial<Record<string, { className: string; name: string; note: string }>> = {
  mnist: {
    className: 'MNIST', name: 'MNIST',
    note: 'torchvision’s MNIST: its training and test files together (70,000 images); the app ships a 10,000-image part of it.',
  },
  'fashion-mnist': {
    className: 'FashionMNIST', name: 'Fashion-MNIST',
    note: 'torchvision’s FashionMNIST: its training and test files together (70,000 images), as the app ships them.',
  },
};
const TORCHVISION_SHAPE: InputShape & { numClasses: number } = { height: 28, width: 28, channels: 1, numClasses: 10 };

export interface LightningScriptOptions {
  /** Accelerators (GPUs) to train on; more than one trains with DDP. Default 1. */
  devices?: number;
  /** Image shape and class count; required for datasets torchvision does not provide (imported folders, synthetic shapes). */
  data?: InputShape & { numClasses: number };
  /** Named in the header, to say which app made the script. */
  appVersion?: string;
}

export interface LightningScript {
  /** A file name for it, e.g. "train_cnn_small.py". */
  fileName: string;
  source: string;
  /** The layer shapes the script checks, as embedded in it. */
  expectedLayerShapes: LayerShape[];
}

const pyString = (text: string) => JSON.stringify(text);
const pyTuple = (values: readonly number[]) => `(${values.join(', ')}${values.length === 1 ? ',' : ''})`;

/** Where the images come from, in Python: the load function, the data-dir argument and the header note. */
function dataSource(config: RunConfig): { load: string; dataDirArgument: string; note: string; downloads: boolean } {
  const torchvision = TORCHVISION_DATASETS[config.dataset];
  if (torchvision) {
    return {
      downloads: true,
      note: torchvision.note,
      dataDirArgument: 'parser.add_argument("--data-dir", default="data", help="where torchvision keeps the downloaded files")',
      load: `def load_images(data_dir, download):
    """${torchvision.name} from torchvision, training and test files together; split below as the app splits its data."""
    parts = [datasets.${torchvision.className}(data_dir, train=train, download=download, transform=transforms.ToTensor())
             for train in (True, False)]
    return ConcatDataset(parts), torch.cat([part.targets for part in parts])`,
    };
  }
  return {
    downloads: false,
    note: `“${config.dataset}” is not a torchvision dataset: export its images to a folder with one sub-folder per class ` +
      '(torchvision ImageFolder) and pass it as --data-dir.',
    dataDirArgument: 'parser.add_argument("--data-dir", required=True, help="a folder with one sub-folder of images per class")',
    load: `def centre_square(image):
    """The largest centred square, as the app crops images before resizing them."""
    side = min(image.size)
    return transforms.functional.center_crop(image, [side, side])


def load_images(data_dir):
    """An image folder with one sub-folder per class, cropped, resized and coloured as the app imports images."""
    steps = [transforms.Lambda(centre_square), transforms.Resize((HEIGHT, WIDTH))]
    if IN_CHANNELS == 1:
        steps.append(transforms.Grayscale(1))
    dataset = datasets.ImageFolder(data_dir, transform=transforms.Compose([*steps, transforms.ToTensor()]))
    return dataset, torch.tensor(dataset.targets)`,
  };
}

function expectedShapesLiteral(layers: readonly LayerShape[]): string {
  return layers.map((layer) => `    (${pyString(layer.kind)}, ${pyTuple(layer.shape)}),`).join('\n');
}

/** BatchNorm as tfjs has it, in PyTorch's terms (only for models with BatchNorm). */
const BATCH_NORM_SETTINGS = `# tfjs's BatchNorm momentum ${BATCH_NORM_MOMENTUM} is the share of the running statistics kept; PyTorch's
# momentum is the share of the new batch (1 − ${BATCH_NORM_MOMENTUM}). The app updates the statistics every micro-batch
# with ${BATCH_NORM_MOMENTUM}^(1/K), so that one optimizer step moves them as far as one full batch would; Lightning
# also updates them every micro-batch. Before each validation the app also recomputed them from
# ${BATCH_NORM_RECALIBRATION_IMAGES} training images (its runs are a few dozen steps, too short for the running averages to catch up
# with the weights); over a full training here the running averages suffice.
BATCH_NORM_MOMENTUM = 1 - ${BATCH_NORM_MOMENTUM} ** (1 / ACCUMULATION_STEPS)
BATCH_NORM_EPSILON = ${TFJS_BATCH_NORM_EPSILON}  # tfjs's default (PyTorch's is 1e-5)
`;

function devicesNote(config: RunConfig, devices: number): string {
  if (devices === 1) return 'one device';
  return `${devices} devices with DDP: each takes micro-batches of ${microBatchSize(config)}, so one optimizer step ` +
    `sees ${devices} × ${config.batchSize} samples; BatchNorm statistics stay per device. Validation: Lightning's ` +
    'DistributedSampler pads the validation set with repeated samples until it divides evenly among the devices, so ' +
    'the validation accuracy can differ slightly from a one-device run';
}

/** Why the script needs CUDA (16-mixed, several GPUs), as the sentence of its start-up check; null when it does not. */
function cudaRequirement(config: RunConfig, devices: number): string | null {
  const reasons = [
    ...(config.precision !== 'fp32' ? ['"16-mixed" precision (on the CPU Lightning would train in bf16 instead)'] : []),
    ...(devices > 1 ? [`DDP on ${devices} GPUs`] : []),
  ];
  return reasons.length ? reasons.join(' and ') : null;
}

/** The start-up check that stops the script with a clear message where the GPUs it was generated for are missing. */
function cudaCheck(requirement: string, devices: number): string {
  return `
    if not torch.cuda.is_available():
        sys.exit(${pyString(`This script was generated for ${requirement}, which needs CUDA; PyTorch finds no CUDA GPU here.`)}
                 ${pyString(' Run it on a machine with an NVIDIA GPU, or export it again for fp32 on one device.')})
    if torch.cuda.device_count() < ${devices}:
        sys.exit(f"This script was generated for ${devices} GPU(s); PyTorch finds {torch.cuda.device_count()}.")
`;
}

/** The learning-rate scheduler configure_optimizers returns, stepped after every optimizer step; null for constant. */
function schedulerLines(config: RunConfig): string | null {
  // The same schedules as src/core/train/schedule.ts: warm-up as LinearLR(1/W, 1, W−1), i.e. lr·(step+1)/W.
  if (config.learningRateSchedule === 'warmup-cosine') {
    return `warmup = max(1, round(WARMUP_FRACTION * total_steps))
        scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, milestones=[warmup], schedulers=[
            torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / warmup, end_factor=1.0, total_iters=max(1, warmup - 1)),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps - warmup)),
        ])`;
  }
  if (config.learningRateSchedule === 'one-cycle') {
    return `scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, total_steps=total_steps,
                                                        pct_start=WARMUP_FRACTION, anneal_strategy="cos",
                                                        div_factor=${ONE_CYCLE_DIV_FACTOR}, final_div_factor=${ONE_CYCLE_FINAL_DIV_FACTOR},
                                                        cycle_momentum=False)`;
  }
  return null;
}

/** The Trainer arguments for the run's validation cadence, and what differs from the app's. */
function validationCadence(config: RunConfig): { trainerArgument: string; note: string } {
  if (config.validationUnit === 'steps') {
    // With check_val_every_n_epoch=None Lightning counts val_check_interval in training batches (micro-batches) over
    // the whole run, as the app counts optimizer steps.
    return {
      trainerArgument: `\n        val_check_interval=${config.validationInterval * config.accumulationSteps},\n        check_val_every_n_epoch=None,`,
      note: `Validation: every ${config.validationInterval} optimizer steps over the whole run, as in the app; Lightning `
        + 'adds none at an epoch\'s end (the app does).',
    };
  }
  if (config.validationUnit === 'seconds') {
    return {
      trainerArgument: '',
      note: `Validation: Lightning has no time-based cadence, so once per epoch (the app validated every `
        + `${config.validationInterval} s of training as well).`,
    };
  }
  return { trainerArgument: '', note: 'Validation: at every epoch\'s end, as in the app.' };
}

function precisionComment(config: RunConfig): string {
  switch (config.precision) {
    case 'fp32': return 'float32 throughout, as in the browser run';
    case 'mixed-fp16':
      return 'the app emulates mixed precision (fp16 rounding, fp32 master weights, loss scaling); "16-mixed" is the real ' +
        'thing and needs a CUDA GPU';
    case 'fp16-storage':
      return 'PyTorch has no twin of WebGL half-float storage: "16-mixed" (fp16 compute, fp32 master weights) is the ' +
        'nearest and needs a CUDA GPU';
    case 'fp16-activations':
      return 'the app stores the activations kept for backprop as packed halves and computes in fp32; "16-mixed" also ' +
        'keeps them in fp16 (and computes in fp16 where safe) and needs a CUDA GPU';
  }
}

/**
 * The script for a valid RunConfig. Throws when the configuration is invalid, the device count is not a positive whole
 * number, or the dataset is not one torchvision has and options.data does not give its shape.
 */
export function generateLightningScript(config: RunConfig, options: LightningScriptOptions = {}): LightningScript {
  const validation = validateRunConfig(config);
  if (!validation.ok) {
    throw new Error(`Cannot export an invalid configuration: ${validation.errors.map((e) => e.message).join(' ')}`);
  }
  const devices = options.devices ?? 1;
  if (!Number.isInteger(devices) || devices < 1) throw new Error(`Devices must be a whole number ≥ 1; got ${devices}.`);
  const data = TORCHVISION_DATASETS[config.dataset] ? TORCHVISION_SHAPE : options.data;
  if (!data) {
    throw new Error(`Dataset “${config.dataset}” is not in torchvision: pass options.data with its image shape and ` +
      'class count.');
  }

  const architecture = TORCH_ARCHITECTURES[config.model];
  const expectedLayerShapes = architecture.trace(data, data.numClasses);
  const source = dataSource(config);
  const hasBatchNorm = MODEL_CATALOG[config.model].hasBatchNorm;
  const accumulation = config.accumulationSteps;
  const halfPrecision = config.precision !== 'fp32';
  const cuda = cudaRequirement(config, devices);
  const generatedBy = `WebGPU Training Playground${options.appVersion ? ` ${options.appVersion}` : ''}`;
  const configLines = JSON.stringify(config, null, 2).split('\n').map((line) => `    ${line}`).join('\n');
  const scheduler = schedulerLines(config);
  const cadence = validationCadence(config);

  const callbacks = ['TimeToTarget()'];
  if (config.earlyStoppingPatience > 0) {
    callbacks.push(`pl.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=${config.earlyStoppingPatience})`);
  }

  const script = `#!/usr/bin/env python3
"""Train ${config.model} on ${config.dataset} with PyTorch Lightning, ported from a browser run.

Generated by ${generatedBy} from this run configuration:

${configLines}

The model mirrors the tfjs model layer by layer: the same layers, widths and strides, TensorFlow's 'same' padding,
BatchNorm momentum and epsilon, and initialisers. EXPECTED_LAYER_SHAPES is every layer's output shape as the tfjs model
computes it (channels first); a dummy forward pass checks them before training. Run with --check-only to do just that.

What differs from the browser run:
- Data: ${source.note} Same split fractions, split seed and subset fraction, not the same images.
- Precision: ${precisionComment(config)}.
- Devices: ${devicesNote(config, devices)}.
- ${cadence.note}

Needs: torch, torchvision and PyTorch Lightning 2.x (pip install torch torchvision "lightning>=2.0").
"""
import argparse
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import ConcatDataset, DataLoader, Subset
from torchvision import datasets, transforms

try:
    import lightning.pytorch as pl
except ImportError:  # the standalone pytorch_lightning package, which must be 2.x as well
    import pytorch_lightning as pl

if int(pl.__version__.split(".")[0]) < 2:
    sys.exit(f"PyTorch Lightning {pl.__version__} is too old: this script is written for 2.0 or newer "
             '(pip install "lightning>=2.0").')

# ---------- settings from the run configuration ----------

IN_CHANNELS, HEIGHT, WIDTH = ${data.channels}, ${data.height}, ${data.width}
NUM_CLASSES = ${data.numClasses}
BATCH_SIZE = ${config.batchSize}  # samples per optimizer step (per device)
ACCUMULATION_STEPS = ${accumulation}  # micro-batches per optimizer step
MICRO_BATCH_SIZE = BATCH_SIZE // ACCUMULATION_STEPS  # ${microBatchSize(config)}: what one forward/backward pass holds
LEARNING_RATE = ${config.learningRate}  # ${scheduler ? `the peak of the ${config.learningRateSchedule} schedule` : 'constant'}
WARMUP_FRACTION = ${config.warmupFraction}  # share of the steps warming up (warmup-cosine) or rising (one-cycle)
LABEL_SMOOTHING = ${config.labelSmoothing}  # training loss only; validation loss is plain cross-entropy, as in the app
SEED = ${config.seed}
SUBSET_FRACTION = ${config.subsetFraction}
VALIDATION_SAMPLE = ${VALIDATION_SAMPLE_SIZE[config.validationSample] ?? 'None'}  # at most this many validation images, an equal share per class; None = all
TARGET_ACCURACY = ${config.targetAccuracy}
SPLIT_FRACTIONS = (${SPLIT_FRACTIONS.train}, ${SPLIT_FRACTIONS.validation})  # train, validation; the rest is the test split
SPLIT_SEED = ${SPLIT_SEED}  # the split never depends on the run seed, as in the app
${hasBatchNorm ? BATCH_NORM_SETTINGS : ''}
# (layer kind, output shape without the batch dimension, channels first) for every layer in forward order, as the tfjs
# model computes them. A tfjs conv or dense layer with a fused ReLU appears as two entries here.
EXPECTED_LAYER_SHAPES = [
${expectedShapesLiteral(expectedLayerShapes)}
]

# ---------- the model ----------

${pythonClasses(architecture).join('\n\n\n')}


def init_like_tfjs(model):
    """Initial weights drawn as the tfjs builders draw them: He-normal truncated at two standard deviations for every
    conv and hidden dense layer (fan-in as tfjs counts it: input channels × kernel area, for depthwise kernels too),
    Glorot-uniform for the classifier, zero biases. BatchNorm starts at gamma 1, beta 0 on both sides."""
    for module in model.modules():
        if module is model.classifier:
            nn.init.xavier_uniform_(module.weight)
        elif isinstance(module, (nn.Conv2d, nn.Linear)):
            fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1] \\
                if isinstance(module, nn.Conv2d) else module.in_features
            std = math.sqrt(2.0 / fan_in)
            nn.init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
        if isinstance(module, (nn.Conv2d, nn.Linear)) and module.bias is not None:
            nn.init.zeros_(module.bias)


def build_model():
    model = ${architecture.construct}
    init_like_tfjs(model)
    return model


LAYER_KINDS = {"BatchNorm2d": "batchnorm", "ReLU": "relu", "ReLU6": "relu6", "MaxPool2d": "maxpool", "Flatten": "flatten",
               "Linear": "dense", "Add": "add", "GlobalAvgPool": "globalavgpool"}


def layer_kind(module):
    if isinstance(module, nn.Conv2d):
        return "depthwise" if module.groups > 1 else "conv"
    return LAYER_KINDS.get(type(module).__name__)


def check_layer_shapes(model):
    """A dummy forward pass: every layer's output shape must equal the tfjs model's (EXPECTED_LAYER_SHAPES)."""
    seen = []

    def record(module, _inputs, output):
        seen.append((layer_kind(module), tuple(output.shape[1:])))

    hooks = [module.register_forward_hook(record) for module in model.modules() if layer_kind(module) is not None]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(2, IN_CHANNELS, HEIGHT, WIDTH))
    model.train()
    for hook in hooks:
        hook.remove()
    for index, (got, expected) in enumerate(zip(seen, EXPECTED_LAYER_SHAPES)):
        assert got == expected, f"layer {index}: the PyTorch model gives {got}, the tfjs model {expected}: the port is wrong"
    assert len(seen) == len(EXPECTED_LAYER_SHAPES), \\
        f"the PyTorch model has {len(seen)} layers, the tfjs model {len(EXPECTED_LAYER_SHAPES)}: the port is wrong"


# ---------- data: the app's recipe ----------

${source.load}


def js_round(x):
    """Math.round as the app computes it: halves go up (Python's round() sends them to the even neighbour)."""
    return math.floor(x + 0.5)


def stratified_split(labels, generator):
    """Per class: shuffle, then the first 80 % train, the next 10 % validation, the rest test (sorted indices)."""
    train, validation, test = [], [], []
    for label in sorted(set(labels.tolist())):
        group = (labels == label).nonzero().flatten()
        group = group[torch.randperm(len(group), generator=generator)]
        n_train = js_round(len(group) * SPLIT_FRACTIONS[0])
        n_validation = js_round(len(group) * SPLIT_FRACTIONS[1])
        train += group[:n_train].tolist()
        validation += group[n_train:n_train + n_validation].tolist()
        test += group[n_train + n_validation:].tolist()
    return sorted(train), sorted(validation), sorted(test)


def validation_sample(indices, labels, size, generator):
    """At most \`size\` images, size // classes of each class (all of a smaller class); all when there are no more. The
    app draws the same shares with its own generator (seed + 2), so the images themselves differ."""
    if size is None or len(indices) <= size:
        return list(indices)
    indices = torch.tensor(indices)
    classes = sorted(set(labels[indices].tolist()))
    picked = []
    for label in classes:
        group = indices[labels[indices] == label]
        picked += group[torch.randperm(len(group), generator=generator)][:size // len(classes)].tolist()
    return sorted(picked)


def stratified_subset(indices, labels, fraction, generator):
    """About \`fraction\` of each class (at least one image per class present)."""
    if fraction >= 1:
        return list(indices)
    indices = torch.tensor(indices)
    picked = []
    for label in sorted(set(labels[indices].tolist())):
        group = indices[labels[indices] == label]
        group = group[torch.randperm(len(group), generator=generator)]
        picked += group[:max(1, js_round(len(group) * fraction))].tolist()
    return sorted(picked)


def full_steps_only(indices, world_size, generator):
    """A random part of the training indices that is a whole number of optimizer steps on every device
    (BATCH_SIZE × world_size). At an epoch's end Lightning steps the optimizer on fewer than ACCUMULATION_STEPS
    micro-batches, with the loss still divided by ACCUMULATION_STEPS: an under-scaled step the app never takes (it
    trains on full steps only). The same few images (fewer than BATCH_SIZE × world_size) sit out every epoch."""
    per_step = BATCH_SIZE * world_size
    usable = len(indices) // per_step * per_step
    if usable == 0:
        sys.exit(f"The training set has {len(indices)} images, fewer than one optimizer step on {world_size} device(s) "
                 f"takes ({per_step}): raise SUBSET_FRACTION or lower BATCH_SIZE.")
    kept = torch.randperm(len(indices), generator=generator)[:usable]
    return sorted(indices[i] for i in kept.tolist())


class SplitDataModule(pl.LightningDataModule):
    """A fixed stratified split seeded by SPLIT_SEED, then a stratified SUBSET_FRACTION of the training and validation
    parts seeded by the run seed; the training part is trimmed to full optimizer steps (full_steps_only), the validation
    part to VALIDATION_SAMPLE images (validation_sample)."""

    def __init__(self, data_dir, num_workers):
        super().__init__()
        self.data_dir = data_dir
        self.num_workers = num_workers
${source.downloads ? `
    def prepare_data(self):
        load_images(self.data_dir, download=True)
` : ''}
    def setup(self, stage=None):
        images, labels = load_images(self.data_dir${source.downloads ? ', download=False' : ''})
        train, validation, _test = stratified_split(labels, torch.Generator().manual_seed(SPLIT_SEED))
        generator = torch.Generator().manual_seed(SEED)
        train = stratified_subset(train, labels, SUBSET_FRACTION, generator)
        validation = stratified_subset(validation, labels, SUBSET_FRACTION, generator)
        self.train_set = Subset(images, full_steps_only(train, self.trainer.world_size, generator))
        validation = validation_sample(validation, labels, VALIDATION_SAMPLE, torch.Generator().manual_seed(SEED + 2))
        self.validation_set = Subset(images, validation)

    def train_dataloader(self):
        # Lightning's batch_size is one micro-batch on one device; accumulate_grad_batches makes ACCUMULATION_STEPS of
        # them one optimizer step. The training set holds whole steps only, so every micro-batch is full.
        return DataLoader(self.train_set, batch_size=MICRO_BATCH_SIZE, shuffle=True,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0)

    def val_dataloader(self):
        # With DDP, Lightning's DistributedSampler pads this set with repeated samples until it divides evenly among
        # the devices: the logged validation accuracy then counts a few images twice.
        return DataLoader(self.validation_set, batch_size=MICRO_BATCH_SIZE, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0)


# ---------- training ----------

class Classifier(pl.LightningModule):
    """Cross-entropy on the logits, Adam at the configured learning rate: the browser run's loop."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)

    def step(self, batch, stage):
        images, labels = batch
        logits = self(images)
        loss = F.cross_entropy(logits, labels, label_smoothing=LABEL_SMOOTHING if stage == "train" else 0.0)
        accuracy = (logits.argmax(dim=1) == labels).float().mean()
        self.log(f"{stage}_loss", loss, prog_bar=True, sync_dist=stage == "val")
        self.log(f"{stage}_acc", accuracy, prog_bar=True, sync_dist=stage == "val")
        return loss

    def training_step(self, batch, batch_index):
        return self.step(batch, "train")

    def validation_step(self, batch, batch_index):
        self.step(batch, "val")

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=LEARNING_RATE, betas=(0.9, 0.999), eps=${TFJS_ADAM_EPSILON})
${scheduler ? `        total_steps = self.trainer.estimated_stepping_batches  # optimizer steps of the whole run
        ${scheduler}
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}` : '        return optimizer'}


class TimeToTarget(pl.Callback):
    """Wall time from the start of training to the first validation at or above TARGET_ACCURACY, as the app reports."""

    def on_train_start(self, trainer, module):
        self.start = time.perf_counter()
        self.reached = False

    def on_validation_epoch_end(self, trainer, module):
        accuracy = trainer.callback_metrics.get("val_acc")
        if trainer.sanity_checking or self.reached or accuracy is None or accuracy.item() < TARGET_ACCURACY:
            return
        self.reached = True
        if trainer.is_global_zero:
            print(f"Reached {TARGET_ACCURACY:.0%} validation accuracy after {time.perf_counter() - self.start:.1f} s.")


def main():
    parser = argparse.ArgumentParser(description="Train ${config.model} on ${config.dataset} with PyTorch Lightning.")
    ${source.dataDirArgument}
    parser.add_argument("--num-workers", type=int, default=2, help="data loader worker processes")
    parser.add_argument("--check-only", action="store_true", help="check the layer shapes against the tfjs model and exit")
    args = parser.parse_args()

    pl.seed_everything(SEED, workers=True)
    model = build_model()
    check_layer_shapes(model)
    if args.check_only:
        print(f"All {len(EXPECTED_LAYER_SHAPES)} layer shapes match the tfjs model.")
        return
${cuda ? cudaCheck(cuda, devices) : ''}
    trainer = pl.Trainer(
        max_epochs=${config.epochs},
        accumulate_grad_batches=${accumulation},${cadence.trainerArgument}
        precision=${pyString(halfPrecision ? '16-mixed' : '32-true')},
        devices=${devices},
        strategy=${pyString(devices > 1 ? 'ddp' : 'auto')},
        accelerator=${pyString(cuda ? 'gpu' : 'auto')},
        callbacks=[${callbacks.join(', ')}],
    )
    trainer.fit(Classifier(model), datamodule=SplitDataModule(args.data_dir, args.num_workers))


if __name__ == "__main__":
    main()
`;
  return { fileName: `train_${config.model.replace(/-/g, '_')}.py`, source: script, expectedLayerShapes };
}
