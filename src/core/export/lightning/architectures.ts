/**
 * The model zoo ported to PyTorch for the Lightning export, without tfjs: for each architecture the Python classes
 * that build it and a shape trace of every layer, both from the same numbers.
 *
 * The numbers mirror the tfjs builders in src/core/models (which this module cannot import: they load tfjs).
 * tests/unit/export.test.ts builds every tfjs model and checks that its layers, in creation order, have exactly the
 * kinds and output shapes traced here; the generated script checks the PyTorch model against the same trace.
 */
import type { ModelName } from '../../config';
import type { InputShape } from '../../models/types';

/** Layer kinds as both sides name them; a tfjs layer with a fused ReLU counts as two layers (conv, then relu). */
export type LayerKind =
  | 'conv' | 'depthwise' | 'batchnorm' | 'relu' | 'relu6' | 'maxpool' | 'flatten' | 'dense' | 'add' | 'globalavgpool';

/** A layer's output shape without the batch dimension, channels first ([C, H, W] or [features]). */
export interface LayerShape {
  kind: LayerKind;
  shape: number[];
}

type Shape = readonly number[];
type Activation = 'relu' | 'relu6' | 'linear';

/** Follows the layers in forward order and computes each output shape as tfjs does ('same' convs, 'valid' pools). */
class ShapeTrace {
  readonly layers: LayerShape[] = [];

  private record(kind: LayerKind, shape: Shape): Shape {
    this.layers.push({ kind, shape: [...shape] });
    return shape;
  }

  private spatial(x: Shape, stride: number): [number, number] {
    return [Math.ceil(x[1]! / stride), Math.ceil(x[2]! / stride)];
  }

  conv(x: Shape, filters: number, stride = 1): Shape {
    return this.record('conv', [filters, ...this.spatial(x, stride)]);
  }

  depthwise(x: Shape, stride = 1): Shape {
    return this.record('depthwise', [x[0]!, ...this.spatial(x, stride)]);
  }

  activation(x: Shape, activation: Activation): Shape {
    return activation === 'linear' ? x : this.record(activation, x);
  }

  batchNorm(x: Shape): Shape {
    return this.record('batchnorm', x);
  }

  maxPool(x: Shape): Shape {
    return this.record('maxpool', [x[0]!, Math.floor(x[1]! / 2), Math.floor(x[2]! / 2)]);
  }

  flatten(x: Shape): Shape {
    return this.record('flatten', [x.reduce((a, b) => a * b, 1)]);
  }

  dense(units: number): Shape {
    return this.record('dense', [units]);
  }

  globalAvgPool(x: Shape): Shape {
    return this.record('globalavgpool', [x[0]!]);
  }

  add(a: Shape, b: Shape): Shape {
    if (a.join() !== b.join()) throw new Error(`cannot add shapes [${a.join(', ')}] and [${b.join(', ')}]`);
    return this.record('add', a);
  }

  /** convBn in the tfjs zoo: conv (or depthwise conv) without bias → BatchNorm → activation. */
  convBn(x: Shape, filters: number, stride: number, activation: Activation, depthwise = false): Shape {
    const convolved = depthwise ? this.depthwise(x, stride) : this.conv(x, filters, stride);
    return this.activation(this.batchNorm(convolved), activation);
  }
}

/** A Python class the script needs, with the classes it uses. */
interface PythonBlock {
  code: string;
  needs: readonly PythonBlock[];
}

export interface TorchArchitecture {
  /** Python classes to emit, in an order where each follows the ones it uses. */
  blocks: readonly PythonBlock[];
  /** Python expression building the model from IN_CHANNELS, HEIGHT, WIDTH and NUM_CLASSES. */
  construct: string;
  trace(input: InputShape, numClasses: number): LayerShape[];
}

const inputShape = (input: InputShape): Shape => [input.channels, input.height, input.width];
const pyTuple = (values: readonly (number | string)[]) => `(${values.join(', ')}${values.length === 1 ? ',' : ''})`;

// ---------- shared Python building blocks ----------

const CONV2D_SAME: PythonBlock = {
  needs: [],
  code: `class Conv2dSame(nn.Conv2d):
    """nn.Conv2d with TensorFlow's 'same' padding, as the tfjs model has it: the output size is ceil(input / stride),
    and when the total padding is odd the extra row and column go at the bottom and right. PyTorch's symmetric padding
    gives the same size but shifts the sampling grid of a stride-2 convolution by one pixel."""

    def forward(self, x):
        pads = []
        # F.pad takes (left, right, top, bottom): width first.
        for size, kernel, stride in ((x.shape[-1], self.kernel_size[1], self.stride[1]),
                                     (x.shape[-2], self.kernel_size[0], self.stride[0])):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))`,
};

const CONV_BN: PythonBlock = {
  needs: [CONV2D_SAME],
  code: `class ConvBN(nn.Sequential):
    """Convolution without bias (BatchNorm's beta shifts each channel instead) → BatchNorm → activation: convBn in the
    tfjs model. depthwise=True filters each channel on its own (groups = channels)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, activation="relu", depthwise=False):
        layers = [
            Conv2dSame(in_channels, out_channels, kernel_size, stride=stride, groups=in_channels if depthwise else 1,
                       bias=False),
            nn.BatchNorm2d(out_channels, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM),
        ]
        if activation == "relu":
            layers.append(nn.ReLU())
        elif activation == "relu6":
            layers.append(nn.ReLU6())
        super().__init__(*layers)`,
};

const ADD: PythonBlock = {
  needs: [],
  code: `class Add(nn.Module):
    """The residual sum, as a module so that the layer-shape check sees it as it sees tfjs's Add layer."""

    def forward(self, a, b):
        return a + b`,
};

const GLOBAL_AVG_POOL: PythonBlock = {
  needs: [],
  code: `class GlobalAvgPool(nn.Module):
    """Mean over height and width, [N, C, H, W] → [N, C]: tfjs's globalAveragePooling2d."""

    def forward(self, x):
        return x.mean(dim=(2, 3))`,
};

// ---------- mlp ----------

const MLP_HIDDEN_UNITS = 128;

const MLP: TorchArchitecture = {
  blocks: [{
    needs: [],
    code: `class MLP(nn.Module):
    """Flatten → dense (ReLU) → dense logits: the tfjs mlp."""

    def __init__(self, in_channels, height, width, num_classes, hidden_units):
        super().__init__()
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(in_channels * height * width, hidden_units)
        self.relu = nn.ReLU()
        self.classifier = nn.Linear(hidden_units, num_classes)

    def forward(self, x):
        return self.classifier(self.relu(self.hidden(self.flatten(x))))`,
  }],
  construct: `MLP(IN_CHANNELS, HEIGHT, WIDTH, NUM_CLASSES, hidden_units=${MLP_HIDDEN_UNITS})`,
  trace(input, numClasses) {
    const t = new ShapeTrace();
    t.flatten(inputShape(input));
    t.activation(t.dense(MLP_HIDDEN_UNITS), 'relu');
    t.dense(numClasses);
    return t.layers;
  },
};

// ---------- cnn-small ----------

const CNN_SMALL_FILTERS = [16, 32] as const;
const CNN_SMALL_DENSE_UNITS = 64;

const CNN_SMALL: TorchArchitecture = {
  blocks: [{
    needs: [CONV2D_SAME],
    code: `class CNNSmall(nn.Module):
    """3×3 conv (ReLU) + 2×2 max-pool stages, then a dense head: the tfjs cnn-small (no BatchNorm)."""

    def __init__(self, in_channels, height, width, num_classes, conv_filters, dense_units):
        super().__init__()
        layers, channels = [], in_channels
        for filters in conv_filters:
            layers += [Conv2dSame(channels, filters, 3), nn.ReLU(), nn.MaxPool2d(2)]
            channels, height, width = filters, height // 2, width // 2
        # tfjs flattens channels-last (H, W, C) and PyTorch channels-first (C, H, W): the same features in another
        # order, which matters only when copying weights from one to the other.
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.hidden = nn.Sequential(nn.Linear(channels * height * width, dense_units), nn.ReLU())
        self.classifier = nn.Linear(dense_units, num_classes)

    def forward(self, x):
        return self.classifier(self.hidden(self.features(x)))`,
  }],
  construct: `CNNSmall(IN_CHANNELS, HEIGHT, WIDTH, NUM_CLASSES, conv_filters=${pyTuple(CNN_SMALL_FILTERS)}, ` +
    `dense_units=${CNN_SMALL_DENSE_UNITS})`,
  trace(input, numClasses) {
    const t = new ShapeTrace();
    let x = inputShape(input);
    for (const filters of CNN_SMALL_FILTERS) x = t.maxPool(t.activation(t.conv(x, filters), 'relu'));
    t.flatten(x);
    t.activation(t.dense(CNN_SMALL_DENSE_UNITS), 'relu');
    t.dense(numClasses);
    return t.layers;
  },
};

// ---------- inverted residual nets: mobilenet-v2-tiny, efficientnet-lite-tiny ----------

interface InvertedResidualStage {
  expansion: number;
  outChannels: number;
  repeats: number;
  strides: number;
  kernelSize: number;
}

interface InvertedResidualNetSpec {
  stemChannels: number;
  stages: readonly InvertedResidualStage[];
  headChannels: number;
}

const stage = (
  expansion: number, outChannels: number, repeats: number, strides: number, kernelSize: number,
): InvertedResidualStage => ({ expansion, outChannels, repeats, strides, kernelSize });

/** MobileNetV2's first four stages at width 0.5, channels already rounded to multiples of 8 as makeDivisible does. */
const MOBILENET_V2_TINY: InvertedResidualNetSpec = {
  stemChannels: 16,
  stages: [stage(1, 8, 1, 1, 3), stage(6, 16, 2, 2, 3), stage(6, 16, 2, 2, 3), stage(6, 32, 1, 1, 3)],
  headChannels: 128,
};

/** EfficientNet-lite0's first four stages at half width, 5×5 depthwise kernels in the last two. */
const EFFICIENTNET_LITE_TINY: InvertedResidualNetSpec = {
  stemChannels: 16,
  stages: [stage(1, 8, 1, 1, 3), stage(6, 16, 2, 2, 3), stage(6, 24, 2, 2, 5), stage(6, 40, 1, 1, 5)],
  headChannels: 128,
};

const INVERTED_RESIDUAL: PythonBlock = {
  needs: [CONV_BN, ADD],
  code: `class InvertedResidual(nn.Module):
    """MobileNetV2's inverted residual: 1×1 expand (ReLU6) → depthwise (ReLU6) → linear 1×1 projection, with a
    residual sum when the shape is kept."""

    def __init__(self, in_channels, expansion, out_channels, kernel_size, stride):
        super().__init__()
        hidden = in_channels * expansion
        self.expand = ConvBN(in_channels, hidden, 1, activation="relu6") if expansion != 1 else nn.Identity()
        self.depthwise = ConvBN(hidden, hidden, kernel_size, stride, activation="relu6", depthwise=True)
        self.project = ConvBN(hidden, out_channels, 1, activation="linear")
        self.add = Add() if stride == 1 and in_channels == out_channels else None

    def forward(self, x):
        y = self.project(self.depthwise(self.expand(x)))
        return y if self.add is None else self.add(x, y)`,
};

const INVERTED_RESIDUAL_NET: PythonBlock = {
  needs: [CONV_BN, INVERTED_RESIDUAL, GLOBAL_AVG_POOL],
  code: `class InvertedResidualNet(nn.Module):
    """Stem conv (stride 2) → stages of inverted residuals (only a stage's first block strides) → 1×1 head conv →
    global average pool → dense logits. stages: (expansion, out_channels, repeats, stride, kernel_size) each."""

    def __init__(self, in_channels, num_classes, stem_channels, stages, head_channels):
        super().__init__()
        layers = [ConvBN(in_channels, stem_channels, 3, 2, activation="relu6")]
        channels = stem_channels
        for expansion, out_channels, repeats, stride, kernel_size in stages:
            for block in range(repeats):
                layers.append(InvertedResidual(channels, expansion, out_channels, kernel_size, stride if block == 0 else 1))
                channels = out_channels
        layers.append(ConvBN(channels, head_channels, 1, activation="relu6"))
        self.features = nn.Sequential(*layers)
        self.pool = GlobalAvgPool()
        self.classifier = nn.Linear(head_channels, num_classes)

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))`,
};

function invertedResidualNet(spec: InvertedResidualNetSpec): TorchArchitecture {
  const stages = spec.stages.map((s) => pyTuple([s.expansion, s.outChannels, s.repeats, s.strides, s.kernelSize]));
  return {
    blocks: [INVERTED_RESIDUAL_NET],
    construct: `InvertedResidualNet(IN_CHANNELS, NUM_CLASSES, stem_channels=${spec.stemChannels}, ` +
      `stages=[${stages.join(', ')}], head_channels=${spec.headChannels})`,
    trace(input, numClasses) {
      const t = new ShapeTrace();
      let x = t.convBn(inputShape(input), spec.stemChannels, 2, 'relu6');
      for (const { expansion, outChannels, repeats, strides } of spec.stages) {
        for (let block = 0; block < repeats; block++) {
          const stride = block === 0 ? strides : 1;
          const expanded = expansion === 1 ? x : t.convBn(x, x[0]! * expansion, 1, 'relu6');
          const filtered = t.convBn(expanded, expanded[0]!, stride, 'relu6', true);
          const projected = t.convBn(filtered, outChannels, 1, 'linear');
          x = stride === 1 && x[0] === outChannels ? t.add(x, projected) : projected;
        }
      }
      t.globalAvgPool(t.convBn(x, spec.headChannels, 1, 'relu6'));
      t.dense(numClasses);
      return t.layers;
    },
  };
}

// ---------- resnet-mini ----------

const RESNET_MINI_STAGE_FILTERS = [32, 64, 128] as const;
const RESNET_MINI_BLOCKS_PER_STAGE = 1;

const BASIC_BLOCK: PythonBlock = {
  needs: [CONV_BN, ADD],
  code: `class BasicBlock(nn.Module):
    """Two 3×3 conv + BatchNorm with a shortcut: identity when the shape is kept, a strided 1×1 conv + BatchNorm
    when it changes; ReLU after the sum."""

    def __init__(self, in_channels, filters, stride):
        super().__init__()
        self.conv1 = ConvBN(in_channels, filters, 3, stride, activation="relu")
        self.conv2 = ConvBN(filters, filters, 3, activation="linear")
        keeps_shape = stride == 1 and in_channels == filters
        self.shortcut = None if keeps_shape else ConvBN(in_channels, filters, 1, stride, activation="linear")
        self.add = Add()
        self.relu = nn.ReLU()

    def forward(self, x):
        residual = self.conv2(self.conv1(x))
        shortcut = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.add(shortcut, residual))`,
};

const RESNET_MINI: TorchArchitecture = {
  blocks: [{
    needs: [CONV_BN, BASIC_BLOCK, GLOBAL_AVG_POOL],
    code: `class ResNetMini(nn.Module):
    """A CIFAR-style ResNet with a stride-1 stem: each stage after the first halves the resolution."""

    def __init__(self, in_channels, num_classes, stage_filters, blocks_per_stage):
        super().__init__()
        self.stem = ConvBN(in_channels, stage_filters[0], 3, activation="relu")
        blocks, channels = [], stage_filters[0]
        for stage, filters in enumerate(stage_filters):
            for block in range(blocks_per_stage):
                blocks.append(BasicBlock(channels, filters, 2 if stage > 0 and block == 0 else 1))
                channels = filters
        self.blocks = nn.Sequential(*blocks)
        self.pool = GlobalAvgPool()
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        return self.classifier(self.pool(self.blocks(self.stem(x))))`,
  }],
  construct: `ResNetMini(IN_CHANNELS, NUM_CLASSES, stage_filters=${pyTuple(RESNET_MINI_STAGE_FILTERS)}, ` +
    `blocks_per_stage=${RESNET_MINI_BLOCKS_PER_STAGE})`,
  trace(input, numClasses) {
    const t = new ShapeTrace();
    let x = t.convBn(inputShape(input), RESNET_MINI_STAGE_FILTERS[0], 1, 'relu');
    RESNET_MINI_STAGE_FILTERS.forEach((filters, stageIndex) => {
      for (let block = 0; block < RESNET_MINI_BLOCKS_PER_STAGE; block++) {
        const stride = stageIndex > 0 && block === 0 ? 2 : 1;
        const residual = t.convBn(t.convBn(x, filters, stride, 'relu'), filters, 1, 'linear');
        const shortcut = stride === 1 && x[0] === filters ? x : t.convBn(x, filters, stride, 'linear');
        x = t.activation(t.add(shortcut, residual), 'relu');
      }
    });
    t.globalAvgPool(x);
    t.dense(numClasses);
    return t.layers;
  },
};

export const TORCH_ARCHITECTURES: Record<ModelName, TorchArchitecture> = {
  mlp: MLP,
  'cnn-small': CNN_SMALL,
  'mobilenet-v2-tiny': invertedResidualNet(MOBILENET_V2_TINY),
  'efficientnet-lite-tiny': invertedResidualNet(EFFICIENTNET_LITE_TINY),
  'resnet-mini': RESNET_MINI,
};

/** Every Python class an architecture needs, each after the classes it uses, each once. */
export function pythonClasses(architecture: TorchArchitecture): string[] {
  const ordered: PythonBlock[] = [];
  const visit = (block: PythonBlock) => {
    if (ordered.includes(block)) return;
    block.needs.forEach(visit);
    ordered.push(block);
  };
  architecture.blocks.forEach(visit);
  return ordered.map((block) => block.code);
}
