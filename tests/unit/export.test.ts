import { spawnSync } from 'node:child_process';
import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES, defaultRunConfig, type ModelName, type RunConfig } from '../../src/core/config';
import {
  decisionChecklist, escapeMarkdown, generateLightningScript, matrixToCsv, matrixToJson, matrixToMarkdown,
  type LayerShape,
} from '../../src/core/export';
import { TFJS_ADAM_EPSILON, TFJS_BATCH_NORM_EPSILON } from '../../src/core/export/lightning/script';
import {
  evaluateMatrix, frameworkComparisonPreset, matrixFromRuns, weightSensitivity, type Criterion, type Matrix, type MatrixRow, type MeasuredResult, type RunEntry,
} from '../../src/core/matrix';
import { formatBytes, formatMs, formatPercent, formatScore, formatTotal, formatValue } from '../../src/core/format';
import { MODEL_BUILDERS } from '../../src/core/models';
import type { SharedEnvironment } from '../../src/core/share';
import { createRng } from '../../src/core/rng';
import { candidateId, quickValidationSweep } from '../../src/core/sweep';

// ---------- the one formatter (screen, exports and bench alike) ----------

describe('core/format', () => {
  it('writes times in ms below a second, s below a minute, min above, without a locale', () => {
    expect([formatMs(4.256), formatMs(850), formatMs(5000), formatMs(12_345), formatMs(125_000)])
      .toEqual(['4.26 ms', '850 ms', '5 s', '12.35 s', '2.1 min']);
  });

  it('writes memory in binary units and fixed-decimal scores and totals, and — for what does not exist', () => {
    expect([formatBytes(143e6), formatBytes(8 * 2 ** 30), formatBytes(2048)]).toEqual(['136.4 MiB', '8 GiB', '2 KiB']);
    expect([formatPercent(0.875), formatScore(10), formatTotal(8.2), formatTotal(7.449999999999999)])
      .toEqual(['87.5 %', '10.0', '8.20', '7.45']);
    expect([formatMs(null), formatBytes(undefined), formatTotal(Number.NaN), formatValue(null, 'fraction')])
      .toEqual(['—', '—', '—', '—']);
  });
});

// ---------- a hand-built matrix ----------

const MEMORY: Criterion = {
  id: 'memory', label: 'Memory', weight: 50, kind: 'measured', direction: 'lower-is-better', scale: 'log', unit: 'bytes',
  explanation: '', extraMetrics: [],
};
const TEAM: Criterion = {
  id: 'team', label: 'Team | fit', weight: 50, kind: 'manual', direction: 'higher-is-better', scale: null, unit: 'score',
  explanation: '', extraMetrics: [],
};

function row(id: string, label: string, memory: number | null, team: number | null, extra: Partial<MatrixRow> = {}): MatrixRow {
  return {
    id, label, status: 'done', reason: null, architecture: null, accuracy: 0.9, values: { memory },
    manualScores: { team }, missing: memory === null ? { memory: 'not measured' } : {}, notes: {}, ...extra,
  };
}

/**
 * Memory 1 MiB vs 4 MiB on a log scale scores 10 and 1; team scores 8 and 10. Totals (50/50): 9 and 5.5.
 * Labels are hostile on purpose: a formula, quotes and a comma, a line break, a pipe, markup and backticks.
 */
const MATRIX: Matrix = {
  criteria: [MEMORY, TEAM],
  rows: [
    row('b', 'Fast, "cheap"\nsecond line', 4 * 2 ** 20, 10),
    row('a', '=HYPERLINK("http://x","click")', 2 ** 20, 8),
    row('c', '<img src=x onerror=alert(1)> `code` *bold* [link](javascript:x)', null, null, {
      status: 'failed', reason: 'GPU out of memory',
    }),
    row('d', '-2+3', null, null, { status: 'queued' }),
  ],
  accuracyPolicy: { gate: false, threshold: 0.5 },
  notes: [],
};
const EVALUATION = evaluateMatrix(MATRIX);

describe('matrix as CSV', () => {
  it('quotes per RFC 4180, guards formulas, keeps numbers as numbers, in ranking order with CRLF line ends', () => {
    expect(EVALUATION.ranking).toEqual(['a', 'b', 'c', 'd']);
    expect(matrixToCsv(MATRIX, EVALUATION)).toBe([
      'Rank,Configuration,Status,Memory score,Memory raw (bytes),Team | fit score,Total,Note',
      `1,"'=HYPERLINK(""http://x"",""click"")",done,10,1048576,8,9,`,
      '2,"Fast, ""cheap""\nsecond line",done,1,4194304,10,5.5,',
      ',<img src=x onerror=alert(1)> `code` *bold* [link](javascript:x),failed,,,,,not scored: not measured: run failed (GPU out of memory)',
      ",'-2+3,queued,,,,,not scored: not measured yet: queued",
    ].join('\r\n') + '\r\n');
  });

  it('adds an Environment column when rows carry one, guarding it like any text', () => {
    const environments = new Map([['a', 'nvidia ampere (webgpu)'], ['b', '@evil (webgl)']]);
    const lines = matrixToCsv(MATRIX, EVALUATION, { environments }).split('\r\n');
    expect(lines[0]).toBe('Rank,Configuration,Status,Environment,Memory score,Memory raw (bytes),Team | fit score,Total,Note');
    expect(lines[1]).toMatch(/^1,".*",done,nvidia ampere \(webgpu\),10,/);
    expect(lines[2]).toMatch(/,done,'@evil \(webgl\),1,/);
    expect(lines[3]).toMatch(/,failed,,,,,,/);
  });
  it('notes a finished row below the accuracy gate, and only finished rows', () => {
    const gated: Matrix = {
      ...MATRIX,
      rows: MATRIX.rows.map((r) => (r.id === 'b' ? { ...r, accuracy: 0.4 } : r)),
      accuracyPolicy: { gate: true, threshold: 0.5 },
    };
    const notes = matrixToCsv(gated, evaluateMatrix(gated)).split('\r\n').map((line) => line.slice(line.lastIndexOf(',') + 1));
    expect(notes.slice(1, 5)).toEqual(['', 'below the accuracy gate', 'not scored: not measured: run failed (GPU out of memory)',
      'not scored: not measured yet: queued']);
  });
});

describe('matrix as Markdown', () => {
  const markdown = matrixToMarkdown(MATRIX, EVALUATION);
  const lines = markdown.split('\n');

  it('is one header, one separator and one line per row, each with the same number of cells', () => {
    expect(lines).toHaveLength(2 + MATRIX.rows.length);
    const cells = (line: string) => line.split(/(?<!\\)\|/).length;
    for (const line of lines) expect(cells(line)).toBe(cells(lines[0]!));
    expect(lines[0]).toBe('| Rank | Configuration | Status | Memory (50 %) | Team \\| fit (50 %) | Total | Note |');
  });

  it('escapes user text: pipes, backticks, emphasis, links, HTML, line breaks', () => {
    // Scores with one decimal and totals with two, as the screen shows them (core/format.ts).
    expect(lines[2]).toBe('| 1 | =HYPERLINK("http://x","click") | done | 10.0 (1 MiB) | 8.0 | **9.00** |  |');
    expect(lines[3]).toBe('| 2 | Fast, "cheap" second line | done | 1.0 (4 MiB) | 10.0 | **5.50** |  |');
    expect(lines[4]).toContain('| — | &lt;img src=x onerror=alert(1)&gt; \\`code\\` \\*bold\\* \\[link\\](javascript:x) | failed |');
    expect(markdown).not.toMatch(/<img|(?<!\\)`/);
    expect(escapeMarkdown('a|b\\c_d~e&f')).toBe('a\\|b\\\\c\\_d\\~e&amp;f');
  });
});

describe('matrix as JSON', () => {
  it('lists criteria with weights and shares, and rows in ranking order with scores and unrounded raw values', () => {
    const document = JSON.parse(matrixToJson(MATRIX, EVALUATION, { environments: new Map([['a', 'nvidia ampere (webgpu)']]) }));
    expect(document.criteria.map((c: { id: string; share: number }) => [c.id, c.share])).toEqual([['memory', 0.5], ['team', 0.5]]);
    expect(document.rows.map((r: { id: string; rank: number | null }) => [r.id, r.rank])).toEqual([['a', 1], ['b', 2], ['c', null], ['d', null]]);
    expect(document.rows[0]).toMatchObject({
      label: '=HYPERLINK("http://x","click")', status: 'done', environment: 'nvidia ampere (webgpu)', total: 9, tier: 'scored',
      criteria: [{ id: 'memory', score: 10, value: 1048576, note: null }, { id: 'team', score: 8, value: 8, note: null }],
    });
    expect(document.rows[1].environment).toBeUndefined();
    expect(document.rows[2]).toMatchObject({ status: 'failed', reason: 'GPU out of memory', total: null });
    expect(document.winners).toEqual(['a']);
  });
});

// ---------- checklist ----------

function result(model: ModelName, peakBytes: number, timeToTargetMs: number, finalAccuracy: number, params: number): MeasuredResult {
  const config: RunConfig = { ...quickValidationSweep().base, model };
  return {
    schemaVersion: 1, config,
    environment: {
      backend: 'webgpu', summary: '', attempts: [], adapter: null, webglRenderer: null, webglFloat16Textures: false,
      tfjsVersion: '4.22.0', userAgent: 'test',
    },
    status: 'done', reason: null, startedAt: '2026-11-25T09:00:00.000Z',
    model: { name: model, params },
    data: { trainExamples: 800, validationExamples: 100, stepsPerEpoch: 25, microBatchSize: 32 },
    timing: {
      firstStepMs: 1000, medianStepMs: 10, p10StepMs: 9, p90StepMs: 11, steadySteps: 49, compileMs: null, stepsCompleted: 50,
      samplesPerSec: 3200, medianDataMs: null, epochMs: [800, 800], totalMs: 2000, timeToTargetMs,
    },
    memory: { truePeakBytes: peakBytes, estimatedBytes: peakBytes },
    accuracy: {
      finalValAccuracy: finalAccuracy, finalValLoss: 0.3, bestValAccuracy: finalAccuracy, reachedTarget: true,
      curve: [{ epoch: 1, valAccuracy: finalAccuracy - 0.05, valLoss: 0.4, elapsedMs: 1000 }, { epoch: 2, valAccuracy: finalAccuracy, valLoss: 0.3, elapsedMs: 2000 }],
      stoppedEarlyAtEpoch: null,
    },
  };
}

const ENVIRONMENT: SharedEnvironment = {
  adapter: {
    vendor: 'nvidia', architecture: 'ampere', description: '', device: '', isFallbackAdapter: false, shaderF16: true,
    timestampQuery: true, maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31,
  },
  webglRenderer: null, userAgent: 'Mozilla/5.0 Chrome/140', tfjsVersion: '4.22.0', appVersion: '0.1.0',
};

describe('decision checklist', () => {
  const sweep = quickValidationSweep();
  const idOf = (model: ModelName) => candidateId({ ...sweep.base, model });
  // cnn-small: least memory, fastest, best curve; mobilenet: fewest parameters; mlp: the baseline.
  const entries: RunEntry[] = [
    { id: idOf('mlp'), label: 'mlp', result: result('mlp', 8e6, 4000, 0.88, 100_000) },
    { id: idOf('cnn-small'), label: 'cnn-small', result: result('cnn-small', 2e6, 1000, 0.97, 200_000) },
    { id: idOf('mobilenet-v2-tiny'), label: 'mobilenet | <tiny>', result: result('mobilenet-v2-tiny', 4e6, 2500, 0.9, 60_000) },
  ];
  const matrix = matrixFromRuns(entries);
  const evaluation = evaluateMatrix(matrix);
  const checklist = decisionChecklist({
    title: 'Digits *for* the kiosk', sweep, matrix, evaluation, date: new Date('2026-11-25T12:00:00Z'),
    environment: ENVIRONMENT, timeBudgetPerConfigMs: 120_000,
  });

  it('has the method’s sections in order, with the date and environment', () => {
    const headings = checklist.split('\n').filter((line) => line.startsWith('#'));
    expect(headings).toEqual([
      '# Decision checklist: Digits \\*for\\* the kiosk', '## 1. Resource bounds', '## 2. Candidates tried', '## 3. Measured matrix',
      '## 4. Decision', '### Why', '### What would flip it',
    ]);
    expect(checklist).toContain('- Date: 2026-11-25');
    expect(checklist).toContain('- GPU: nvidia ampere (fallback adapter: no, shader-f16: yes)');
    expect(checklist).toContain('- tfjs 4.22.0 · app 0.1.0');
  });

  it('states the resource bounds and every candidate with its outcome', () => {
    expect(checklist).toContain('- [x] GPU memory budget: 8 GiB per configuration (warning at 7.5 GiB, stopped above the budget)');
    expect(checklist).toContain('- [x] Time per configuration: at most 2 min');
    expect(checklist).toContain('3 configurations (architecture × batch × accumulation × precision × data pipeline × backend × engine):');
    expect(checklist).toContain('| cnn-small | cnn-small | 32 (1 × 32) | fp32 | gpu-resident | auto | fused | done |');
    const unbounded = decisionChecklist({ sweep, matrix, evaluation, date: new Date(0), environment: null });
    expect(unbounded).toContain('- [ ] Time per configuration: not set');
    expect(unbounded).toContain('- Environment: not recorded');
  });

  it('names the winner and the runner-up with their totals, and shows the matrix', () => {
    const byId = new Map(evaluation.rows.map((r) => [r.id, r]));
    expect(evaluation.winners).toEqual([idOf('cnn-small')]);
    const winner = byId.get(idOf('cnn-small'))!;
    const runnerUp = byId.get(evaluation.ranking[1]!)!;
    expect(checklist).toContain(`- [x] **Winner: cnn-small, ${winner.total!.toFixed(2)}** (of 10).`);
    expect(checklist).toContain(`It leads the runner-up, **${escapeMarkdown(runnerUp.label)}** (${runnerUp.total!.toFixed(2)}), by `);
    expect(checklist).toContain(matrixToMarkdown(matrix, evaluation));
    expect(checklist).toContain('mobilenet \\| &lt;tiny&gt;');
    expect(checklist).not.toContain('<tiny>');
  });

  it('lists every weight change that flips the winner, smallest first, as weightSensitivity computes them', () => {
    const flips = checklist.split('\n').filter((line) => /^- .*: (raising|lowering) it /.test(line));
    const expected = weightSensitivity(matrix, evaluation).flatMap((s) => [s.up, s.down].filter((f) => f !== null));
    expect(flips).toHaveLength(expected.length);
    const deltas = flips.map((line) => Number(/\([+−]([\d.]+) points/.exec(line)![1]));
    expect(deltas).toEqual([...deltas].sort((a, b) => a - b));
  });

  it('calls a tie a tie: the method’s framework comparison', () => {
    const preset = frameworkComparisonPreset();
    const tied = evaluateMatrix(preset);
    const text = decisionChecklist({ sweep, matrix: preset, evaluation: tied, date: new Date(0), environment: null });
    expect(text).toContain('- [x] **Tie: PyTorch Lightning and Hugging Face, 8.20** (of 10). Decide on a criterion outside');
    expect(text).not.toContain('### Why');
    expect(text).toContain('| 1 | PyTorch Lightning | done | 9.0 | 8.0 | 7.0 | 8.0 | 9.0 | **8.20** | tied |');
    expect(text).toContain('| 1 | Hugging Face | done | 8.0 | 9.0 | 6.0 | 9.0 | 10.0 | **8.20** | tied |');
    expect(text).toContain('| 3 | TensorFlow | done | 7.0 | 7.0 | 9.0 | 6.0 | 9.0 | **7.45** |  |');
    expect(text).toContain('- Memory efficiency (30 % of the weight): raising it at all makes **PyTorch Lightning** win.');
  });

  it('says there is no winner when nothing passes the gate', () => {
    const gated = matrixFromRuns(entries, { accuracyPolicy: { gate: true, threshold: 0.99 } });
    const text = decisionChecklist({ sweep, matrix: gated, evaluation: evaluateMatrix(gated), date: new Date(0), environment: null });
    expect(text).toContain('- [ ] **No winner**: no configuration passes the accuracy gate with a complete total.');
    expect(text).not.toContain('### Why');
  });
});

// ---------- Lightning script ----------

/** The tfjs model's layers in creation order as the PyTorch side counts them: fused ReLUs split out, NHWC → NCHW. */
function tfjsLayerShapes(model: tf.LayersModel): LayerShape[] {
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer').sort((a, b) => a.id - b.id);
  return layers.flatMap((layer): LayerShape[] => {
    const [, ...rest] = layer.outputShape as number[];
    const shape = rest.length === 3 ? [rest[2]!, rest[0]!, rest[1]!] : rest;
    const config = layer.getConfig();
    const fused = (kind: LayerShape['kind']): LayerShape[] => {
      if (config.activation === 'linear') return [{ kind, shape }];
      if (config.activation === 'relu') return [{ kind, shape }, { kind: 'relu', shape }];
      throw new Error(`no PyTorch counterpart for activation ${String(config.activation)}`);
    };
    switch (layer.getClassName()) {
      case 'Conv2D': return fused('conv');
      case 'Dense': return fused('dense');
      case 'DepthwiseConv2D': return [{ kind: 'depthwise', shape }];
      case 'BatchNormalization': return [{ kind: 'batchnorm', shape }];
      case 'ReLU': return [{ kind: config.maxValue === 6 ? 'relu6' : 'relu', shape }];
      case 'MaxPooling2D': return [{ kind: 'maxpool', shape }];
      case 'Flatten': return [{ kind: 'flatten', shape }];
      case 'Add': return [{ kind: 'add', shape }];
      case 'GlobalAveragePooling2D': return [{ kind: 'globalavgpool', shape }];
      default: throw new Error(`no PyTorch counterpart for tfjs layer ${layer.getClassName()}`);
    }
  });
}

/** EXPECTED_LAYER_SHAPES as written in the script. */
function embeddedLayerShapes(source: string): LayerShape[] {
  const block = /^EXPECTED_LAYER_SHAPES = \[\n([\s\S]*?)\n\]$/m.exec(source)![1]!;
  return block.split('\n').map((line) => {
    const [, kind, dims] = /^ {4}\("(\w+)", \(([\d, ]+?),?\)\),$/.exec(line)!;
    return { kind: kind as LayerShape['kind'], shape: dims!.split(', ').map(Number) };
  });
}

/** Python's own parser on every script, in one process: null where a script parses, else the first syntax error. */
function pythonSyntaxErrors(sources: readonly string[]): (string | null)[] {
  const program = [
    'import ast, json, sys',
    'errors = []',
    'for source in json.load(sys.stdin):',
    '    try:',
    '        ast.parse(source)',
    '        errors.append(None)',
    '    except SyntaxError as error:',
    '        errors.append(f"line {error.lineno}: {error.msg}")',
    'print(json.dumps(errors))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', program], { input: JSON.stringify(sources), encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new Error(`python3 is needed to check the generated scripts and did not run: ${run.error?.message ?? run.stderr}`);
  }
  return JSON.parse(run.stdout) as (string | null)[];
}

const INPUTS = [
  { name: 'MNIST', dataset: 'mnist', data: undefined, shape: { height: 28, width: 28, channels: 1 }, numClasses: 10 },
  { name: 'synthetic RGB', dataset: 'synthetic-shapes', data: { height: 32, width: 32, channels: 3, numClasses: 8 }, shape: { height: 32, width: 32, channels: 3 }, numClasses: 8 },
  { name: 'odd 30×30 folder', dataset: 'user:0123456789abcdef', data: { height: 30, width: 30, channels: 1, numClasses: 5 }, shape: { height: 30, width: 30, channels: 1 }, numClasses: 5 },
] as const;

describe('Lightning script', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('uses tfjs’s BatchNorm epsilon and Adam epsilon', () => {
    const model = MODEL_BUILDERS['resnet-mini'].build({ height: 8, width: 8, channels: 1 }, 2, createRng(1));
    const batchNorm = model.layers.find((layer) => layer.getClassName() === 'BatchNormalization')!;
    expect(batchNorm.getConfig().epsilon).toBe(TFJS_BATCH_NORM_EPSILON);
    model.dispose();
    expect(tf.train.adam(0.01).getConfig().epsilon).toBe(TFJS_ADAM_EPSILON);
  });

  it('steps the run’s learning-rate schedule after every optimizer step, smooths labels and validates as often', () => {
    const source = (config: Partial<RunConfig>) => generateLightningScript({ ...defaultRunConfig(), ...config }).source;
    const constant = source({});
    expect(constant).toContain('        return optimizer\n');
    expect(constant).not.toContain('lr_scheduler');
    expect(constant).toContain('LABEL_SMOOTHING = 0 ');
    expect(constant).not.toContain('val_check_interval');
    const oneCycle = source({ learningRateSchedule: 'one-cycle', warmupFraction: 0.3, labelSmoothing: 0.1 });
    expect(oneCycle).toContain('torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, total_steps=total_steps,');
    expect(oneCycle).toContain('div_factor=25, final_div_factor=10000');
    expect(oneCycle).toContain('"interval": "step"');
    expect(oneCycle).toContain('WARMUP_FRACTION = 0.3 ');
    expect(oneCycle).toContain('LABEL_SMOOTHING = 0.1 ');
    expect(oneCycle).toContain('label_smoothing=LABEL_SMOOTHING if stage == "train" else 0.0');
    const cosine = source({ learningRateSchedule: 'warmup-cosine', validationUnit: 'steps', validationInterval: 25, batchSize: 64, accumulationSteps: 2 });
    expect(cosine).toContain('torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / warmup');
    expect(cosine).toContain('torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps - warmup))');
    // 25 optimizer steps of 2 micro-batches: Lightning counts micro-batches.
    expect(cosine).toContain('val_check_interval=50,\n        check_val_every_n_epoch=None,');
  });

  describe.each(MODEL_NAMES)('%s', (model) => {
    it.each(INPUTS)('embeds the tfjs model’s layer shapes for $name input', ({ dataset, data, shape, numClasses }) => {
      const built = MODEL_BUILDERS[model].build(shape, numClasses, createRng(1));
      const expected = tfjsLayerShapes(built);
      built.dispose();
      const script = generateLightningScript({ ...defaultRunConfig(), model, dataset }, { data });
      expect(embeddedLayerShapes(script.source)).toEqual(expected);
      expect(script.expectedLayerShapes).toEqual(expected);
    });

    const variants = [1, 4].flatMap((k) => (['fp32', 'mixed-fp16'] as const).flatMap((precision) =>
      [1, 4].map((devices) => {
        const config: RunConfig = { ...defaultRunConfig(), model, batchSize: 32, accumulationSteps: k, precision, epochs: 3 };
        return { k, precision, devices, config, script: generateLightningScript(config, { devices }) };
      })));
    let syntaxErrors: (string | null)[] = [];
    beforeAll(() => {
      syntaxErrors = pythonSyntaxErrors(variants.map((variant) => variant.script.source));
    });

    it.each(variants.map((variant, index) => ({ ...variant, index })))(
      'is valid Python with the right Trainer for K=$k, $precision, $devices device(s)', ({ k, precision, devices, config, script, index }) => {
        const { source, fileName } = script;
        expect(syntaxErrors[index]).toBeNull();
        expect(fileName).toBe(`train_${model.replace(/-/g, '_')}.py`);
        const trainer = /pl\.Trainer\(\n([\s\S]*?)\n {4}\)/.exec(source)![1]!;
        expect(trainer).toContain('max_epochs=3,');
        expect(trainer).toContain(`accumulate_grad_batches=${k},`);
        expect(trainer).toContain(`precision="${precision === 'fp32' ? '32-true' : '16-mixed'}",`);
        expect(trainer).toContain(`devices=${devices},`);
        expect(trainer).toContain(`strategy="${devices > 1 ? 'ddp' : 'auto'}",`);
        // 16-mixed and DDP need CUDA: "auto" would fall back to the CPU (and 16-mixed to bf16) without a word.
        const needsCuda = precision !== 'fp32' || devices > 1;
        expect(trainer).toContain(`accelerator="${needsCuda ? 'gpu' : 'auto'}",`);
        expect(source.includes('if not torch.cuda.is_available():\n        sys.exit(')).toBe(needsCuda);
        expect(source.indexOf('if args.check_only:')).toBeLessThan(source.indexOf('pl.Trainer(')); // shapes check on a CPU
        expect(source.includes('DistributedSampler pads the validation set with repeated samples')).toBe(devices > 1);
        // Whole optimizer steps only: the training part is trimmed to BATCH_SIZE × world size, every micro-batch full.
        expect(source).toContain('self.train_set = Subset(images, full_steps_only(train, self.trainer.world_size, generator))');
        expect(source).toContain('usable = len(indices) // per_step * per_step');
        expect(source).toContain('per_step = BATCH_SIZE * world_size');
        expect(source).toContain('pip install torch torchvision "lightning>=2.0"');
        expect(source).toContain('if int(pl.__version__.split(".")[0]) < 2:\n    sys.exit(');
        expect(source).toContain(`BATCH_SIZE = 32  #`);
        expect(source).toContain(`ACCUMULATION_STEPS = ${k}  #`);
        expect(source).toContain(`MICRO_BATCH_SIZE = BATCH_SIZE // ACCUMULATION_STEPS  # ${32 / k}:`);
        expect(source.match(/batch_size=MICRO_BATCH_SIZE/g)).toHaveLength(2);
        expect(source).toContain(`lr=LEARNING_RATE, betas=(0.9, 0.999), eps=${TFJS_ADAM_EPSILON}`);
        // It says what it was generated from: the configuration itself, in the header.
        const opening = source.indexOf('"""');
        const header = source.slice(opening, source.indexOf('"""', opening + 3));
        expect(JSON.parse(/Generated by .* from this run configuration:\n\n([\s\S]*?)\n\n/.exec(header)![1]!)).toEqual(config);
      });
  });

  it('reads other datasets from an image folder given on the command line, and parses', () => {
    const { source } = generateLightningScript({ ...defaultRunConfig(), dataset: 'synthetic-shapes', model: 'mlp', earlyStoppingPatience: 2 },
      { data: { height: 32, width: 32, channels: 3, numClasses: 8 } });
    expect(source).toContain('datasets.ImageFolder(data_dir');
    expect(source).toContain('parser.add_argument("--data-dir", required=True');
    expect(source).not.toContain('download');
    expect(source).toContain('pl.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=2)');
    expect(pythonSyntaxErrors([source])).toEqual([null]);
  });

  it('sets BatchNorm momentum to 1 − 0.9^(1/K) only for models with BatchNorm', () => {
    expect(generateLightningScript({ ...defaultRunConfig(), model: 'resnet-mini' }).source)
      .toContain('BATCH_NORM_MOMENTUM = 1 - 0.9 ** (1 / ACCUMULATION_STEPS)');
    expect(generateLightningScript({ ...defaultRunConfig(), model: 'cnn-small' }).source).not.toContain('BATCH_NORM');
  });

  it('refuses an invalid configuration, a bad device count, and an unknown dataset without its shape', () => {
    expect(() => generateLightningScript({ ...defaultRunConfig(), batchSize: 30, accumulationSteps: 4 })).toThrow(/not divisible/);
    expect(() => generateLightningScript(defaultRunConfig(), { devices: 0 })).toThrow(/Devices must be a whole number/);
    expect(() => generateLightningScript({ ...defaultRunConfig(), dataset: 'synthetic-shapes' })).toThrow(/pass options\.data/);
  });
});
