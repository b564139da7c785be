import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, RUN_CONFIG_FIELDS, defaultRunConfig, type RunConfig } from '../../src/core/config';
import { evaluateMatrix, matrixFromRuns, type MeasuredResult, type RunEntry } from '../../src/core/matrix';
import type { EpochRecord } from '../../src/core/result';
import { createRng, type Rng } from '../../src/core/rng';
import {
  EXPERIMENT_SPEC, LINK_VERSION, MAX_LINK_CHARS, RESULTS_SPEC, RUN_CONFIG_SPEC, decodeExperimentLink,
  defaultExperimentState, encodeExperimentLink, environmentLabel, mergeResultLinks, migratePayload,
  runEntriesFromSharedResults, sharedResultsFromRuns, shortKeyClashes, type DecodedLink, type ExperimentState,
  type LinkMigration, type SharedResults,
} from '../../src/core/share';
import { quickValidationSweep } from '../../src/core/sweep';

// ---------- helpers ----------

/** Builds a link from raw JSON with Node's zlib and base64url: independent of the code under test. */
function rawLink(state: unknown, results?: unknown, version: string | number = 1): string {
  const packed = (json: unknown) => deflateRawSync(Buffer.from(JSON.stringify(json))).toString('base64url');
  return `#v=${version}&s=${packed(state)}${results === undefined ? '' : `&r=${packed(results)}`}`;
}

/** The raw JSON parts of a link made by encodeExperimentLink. */
function rawParts(link: string): { state: Record<string, unknown>; results?: Record<string, unknown> } {
  const params = new URLSearchParams(link.slice(1));
  const unpack = (text: string) => JSON.parse(inflateRawSync(Buffer.from(text, 'base64url')).toString('utf8'));
  const results = params.get('r');
  return { state: unpack(params.get('s')!), ...(results ? { results: unpack(results) } : {}) };
}

function decodedOk(link: string): Extract<DecodedLink, { ok: true }> {
  const decoded = decodeExperimentLink(link);
  if (!decoded.ok) throw new Error(`expected the link to decode: ${decoded.message}`);
  return decoded;
}

/** A spec as the generator below walks it (the exported specs are typed per value; here any spec will do). */
interface LooseSpec {
  kind: string;
  values?: readonly string[];
  open?: { pattern: RegExp };
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxLength?: number;
  pattern?: RegExp;
  of?: LooseSpec;
  maxItems?: number;
  minItems?: number;
  uniqueBy?: (item: never) => unknown;
  keys?: readonly string[];
  fields?: Record<string, { spec: LooseSpec }>;
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)]!;
const hex = (rng: Rng, digits: number) => Array.from({ length: digits }, () => rng.int(16).toString(16)).join('');
/** Letters, digits, markup, quotes, table and formula characters, accents, CJK and an astral emoji; no controls. */
const TEXT_ALPHABET = ['a', 'Z', '0', ' ', 'é', 'ß', '中', '😀', '<', '>', '&', '"', "'", '|', '`', '=', '+', '-', '@', '\\', '#', '*', '_'];

function randomText(rng: Rng, maxLength: number): string {
  return Array.from({ length: rng.int(Math.min(maxLength, 24) + 1) }, () => pick(rng, TEXT_ALPHABET)).join('');
}

/** Values for identifier patterns, by pattern source; a new pattern in a table fails here until it gets one. */
const PATTERN_SAMPLES: Record<string, (rng: Rng) => string> = {
  '^[a-z][a-z0-9-]*$': (rng) => `custom-${rng.int(1000)}`,
  '^[0-9a-f]{8,}$': (rng) => hex(rng, 8 + rng.int(57)),
  '^[\\p{L}\\p{N}·._:+/@#-]+$': (rng) => `${pick(rng, ['cnn-small', 'mlp', 'résumé', '運行'])}·b${1 + rng.int(512)}·k${1 + rng.int(8)}`,
  '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d{1,9})?)?(Z|[+-]\\d\\d:\\d\\d)$':
    (rng) => new Date(1.7e12 + rng.int(1e9) * 100).toISOString(),
};

function randomNumber(spec: LooseSpec, rng: Rng): number {
  const min = spec.min!;
  const max = spec.max!;
  const choice = rng.int(4);
  let value: number;
  if (choice === 0) value = spec.minExclusive ? max : min;
  else if (choice === 1) value = max;
  else if (choice === 2) value = min + rng.next() * Math.min(max - min, 100);
  else value = min + (max - min) * rng.next() ** 8;
  if (spec.kind === 'int') value = Math.min(max, Math.round(value));
  else if (rng.int(2) === 0) value = Math.min(max, Number(value.toFixed(rng.int(6))));
  return spec.minExclusive && value <= min ? max : value;
}

/** A random value that the spec accepts: the round-trip property runs over these. */
function randomValue(spec: LooseSpec, rng: Rng): unknown {
  switch (spec.kind) {
    case 'enum':
      return spec.open && rng.int(5) === 0 ? `user:${hex(rng, 8 + rng.int(57))}` : pick(rng, spec.values!);
    case 'int':
    case 'number':
      return randomNumber(spec, rng);
    case 'boolean':
      return rng.int(2) === 0;
    case 'text': {
      if (!spec.pattern) return randomText(rng, spec.maxLength!);
      const sample = PATTERN_SAMPLES[spec.pattern.source];
      if (!sample) throw new Error(`no sample generator for pattern ${spec.pattern.source}`);
      return sample(rng);
    }
    case 'nullable':
      return rng.int(4) === 0 ? null : randomValue(spec.of!, rng);
    case 'list': {
      const length = (spec.minItems ?? 0) + rng.int(Math.min(spec.maxItems!, 6) - (spec.minItems ?? 0) + 1);
      const items: unknown[] = [];
      const seen = new Set<unknown>();
      for (let attempt = 0; items.length < length && attempt < 50; attempt++) {
        const item = randomValue(spec.of!, rng);
        const identity = spec.uniqueBy?.(item as never) ?? attempt;
        if (seen.has(identity)) continue;
        seen.add(identity);
        items.push(item);
      }
      return items;
    }
    case 'record':
      return Object.fromEntries(spec.keys!.map((key) => [key, randomValue(spec.of!, rng)]));
    case 'object':
      return Object.fromEntries(Object.entries(spec.fields!).map(([name, field]) => [name, randomValue(field.spec, rng)]));
    default:
      throw new Error(`unknown spec kind ${spec.kind}`);
  }
}

const randomState = (rng: Rng) => randomValue(EXPERIMENT_SPEC as unknown as LooseSpec, rng) as ExperimentState;
const randomResults = (rng: Rng) => randomValue(RESULTS_SPEC as unknown as LooseSpec, rng) as SharedResults;

// ---------- the table ----------

describe('the table of shareable fields', () => {
  it('uses every short key once per object, so no field can overwrite another', () => {
    expect(shortKeyClashes(EXPERIMENT_SPEC)).toEqual([]);
    expect(shortKeyClashes(RESULTS_SPEC)).toEqual([]);
  });

  it('takes ranges and enum values of RunConfig fields from RUN_CONFIG_FIELDS itself', () => {
    for (const key of CONFIG_KEYS) {
      expect(RUN_CONFIG_SPEC.fields[key].spec).toBe(RUN_CONFIG_FIELDS[key]);
      expect(RUN_CONFIG_SPEC.fields[key].default).toBe(RUN_CONFIG_FIELDS[key].default);
    }
  });

  it('defaults to the quick validation sweep and the default matrix settings, a fresh copy every time', () => {
    const state = defaultExperimentState();
    expect(state.sweep).toEqual(quickValidationSweep());
    expect(state.weights).toEqual({ memory: 30, speed: 25, deployment: 20, learningCurve: 15, community: 10, accuracy: 0 });
    expect(state.accuracyPolicy).toEqual({ gate: true, threshold: 0.5 });
    expect([state.customCriteria, state.removedCriteria, state.locked, state.hidden, state.importedDataset])
      .toEqual([[], [], [], [], null]);
    state.sweep.axes.model.push('resnet-mini');
    state.weights.memory = 99;
    expect(defaultExperimentState().sweep.axes.model).not.toContain('resnet-mini');
    expect(defaultExperimentState().weights.memory).toBe(30);
  });
});

// ---------- round trips ----------

describe('encode → decode', () => {
  it('gives back 300 random valid experiments, with and without results, exactly and without warnings', () => {
    const rng = createRng(2026);
    for (let i = 0; i < 300; i++) {
      const state = randomState(rng);
      const results = i % 2 === 0 ? randomResults(rng) : null;
      const link = encodeExperimentLink(state, results);
      expect(link.startsWith(`#v=${LINK_VERSION}&s=`)).toBe(true);
      const decoded = decodedOk(link);
      expect(decoded.warnings).toEqual([]);
      expect(decoded.state).toEqual(state);
      expect(decoded.results).toEqual(results);
    }
  });

  it('keeps the default experiment short (a few hundred characters)', () => {
    expect(encodeExperimentLink(defaultExperimentState()).length).toBeLessThan(500);
  });

  it('reads a full URL as well as a bare hash', () => {
    const state = defaultExperimentState();
    state.sweep.base.seed = 1234;
    const hash = encodeExperimentLink(state);
    expect(decodedOk(`https://example.org/playground/${hash}`).state.sweep.base.seed).toBe(1234);
    expect(decodedOk(hash.slice(1)).state.sweep.base.seed).toBe(1234);
  });

  it('refuses to make a link longer than decoding accepts', () => {
    const rng = createRng(5);
    const results = randomResults(rng);
    // Long random curves do not compress: 128 runs of 100 epochs are far past 64 KiB.
    const template = results.runs[0] ?? randomResults(createRng(6)).runs[0]!;
    results.runs = Array.from({ length: 128 }, (_, i) => ({
      ...template, id: `run-${i}`,
      curve: Array.from({ length: 100 }, () => ({ valAccuracy: rng.next(), valLoss: rng.next() * 3, elapsedMs: rng.next() * 1e6 })),
    }));
    expect(() => encodeExperimentLink(defaultExperimentState(), results)).toThrow(RangeError);
    expect(() => encodeExperimentLink(defaultExperimentState(), results)).toThrow(/share fewer runs/);
  });
});

// ---------- versions ----------

/**
 * A version-1 link as released, with the experiment and the results it must always decode to. If this test fails,
 * the layout changed: bump the version and add a migration instead of changing this string.
 */
const V1_LINK = '#v=1&s=dZLLbsJADEV_pfI6qRKgtJ0tv9BdxGJIJmHEPKJ5QBHKv_c6QRVI7SayPX4cX-dG8ULiRgf-dCSol_GovSut0zFRQRax1rkyWmkM_INCQObk2SaxXhV0IlEXNHLxuF4h3rE9jLkMKupOOe6DMqTGnkT1imwT2KgqmJHEe0GJ_TfMQ9MPpCNaTwVJ5gJD8wSBvk6l0mqnaT9zNADZbmADpqkLtgDRLERwGKl5ZuJCUDXLNvsJ0zQUcNmYgmZRrLI-XElsKlCOSuF1DbNTo_FXyz1EDd8oGZx2wy6HMxpyqPXWZqcTitmVbZuDbOFVmNLOvQ2IPuH8rsWe9QdtFO92XpVJO1SwGH2vW415_GB0UvcnyPaohNii-Tc2uhEcanNM3pY19EJz-lLSvpycv8QXzQfBhpAbMt9Zlr0fcDD4D5wl7T-i5fUJaj1NUBrnbh6FQ2jg0fikkNX9_rwAJiNTJhnVjKn0cEyRC47zbzBvtQuYGbTE2X4A'
  + '&r=xZLLjtMwFIZfxfIKpCRjO45zQaxYsAAkFiAh0Ag5bTITTW7kUgaqPlf3fTL-E6czRYBgx2ja_sfH5-Jzvj0veLbndkvfO57xdldtK8s9bmHYpi-GAgbcnH7oBn7LnGelrccCUhqeTcMMOX05qwZ-rVKdmlilBvbIMyV1rJPQ6OTg8ZuaZ-1c1x6fqc6b7ntV1_YqCgR78kHKZ-x11c737D4xn41-yl7cDl1TXEktAoHyU4kYHSi1WLbvYYpAwkLqgWef9rzC0aZt_bGxdX065qE6He_k6Vj2pG762R-KsdoW7XQ62nnqkActPYaw05HldtrcslDBN05wbruWZoECrnVLh0oo40vpK_FOikzQfyCE-IiLG5opTa60423VtX7TVkiEcVxWgp1jB3ztApMLlcfveCY9Tg-jjmn0pC_7xhnCcHXENPB6PACdUXFIzDvGnMiO3DoSXMepxISWcl-LHNlol7TAdZk9lqGESRXSTigYKa2SRCA1jDjUQlBvBW1XpjoUGuFImkRLmQ3ehStu3VIFCme9FNCS3H1KEiEj3KFOITChMELA2BMghmLg3yKPCEK0AJFimFB4ilaLQvORIbWDikmMPZSMUaJE_yJIkCN_UCOcbl-beUFj8cSYBxYuAoNprckP3uqksMWpkRNO6uFw7fGqXUYtIrpJhGEXbTH5TdVWYMxoMIbPXxi7CHqkzGjSr57rM2xd1zjW-Mu371k3T6wrWVM03fCN2YmNU9GzkOj_DYTyXyG8aOVXDA2mAAzx_T8wDEUSpqhNGLr1EYNOEYC0E_pzBCpJigB0N4hApxYAV0kAOkkIEjmYDrVO-DkHsecUwRc9wLee_QG-BK8k9twtYm8t8zN7Z4To6HB9-AE';

const V1_BASE: RunConfig = {
  dataset: 'fashion-mnist', model: 'cnn-small', backend: 'auto', batchSize: 32, accumulationSteps: 1, precision: 'fp32',
  dataPipeline: 'gpu-resident', epochs: 2, subsetFraction: 0.1, learningRate: 0.001, seed: 7, targetAccuracy: 0.5,
  memoryBudgetGiB: 8, earlyStoppingPatience: 1,
  // Fields added after version 1 decode to the behaviour links had then: per-epoch validation, constant rate, no smoothing.
  validationUnit: 'epoch', validationInterval: 25, learningRateSchedule: 'constant', warmupFraction: 0.1, labelSmoothing: 0,
  validationSample: 'all',
  // Every run before the engine field trained on tfjs's kernels, although new configurations default to fused.
  engine: 'tfjs',
};

describe('versions', () => {
  it('decodes the committed version-1 link to the experiment and results it was made from', () => {
    const decoded = decodedOk(V1_LINK);
    expect(decoded.version).toBe(1);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.state).toEqual({
      sweep: {
        base: V1_BASE,
        axes: {
          model: ['cnn-small', 'resnet-mini'], batchSize: [32, 64], accumulationSteps: [1, 4], precision: ['fp32'],
          dataPipeline: ['gpu-resident'], backend: ['auto'], engine: ['tfjs'], learningRateSchedule: ['constant'],
        },
      },
      importedDataset: null,
      weights: { memory: 40, speed: 30, deployment: 10, learningCurve: 10, community: 10, accuracy: 0 },
      communityScores: { mlp: 9, 'cnn-small': 9, 'mobilenet-v2-tiny': 8, 'efficientnet-lite-tiny': 7, 'resnet-mini': 6 },
      customCriteria: [{
        id: 'custom-1', label: 'Team knows it', weight: 5,
        scores: { mlp: null, 'cnn-small': 8, 'mobilenet-v2-tiny': null, 'efficientnet-lite-tiny': null, 'resnet-mini': 3 },
      }],
      removedCriteria: ['deployment'],
      accuracyPolicy: { gate: true, threshold: 0.6 },
      locked: ['dataset', 'weights'],
      hidden: ['customCriteria'],
    } satisfies ExperimentState);
    expect(decoded.results!.environment).toEqual({
      adapter: {
        vendor: 'nvidia', architecture: 'ampere', description: '', device: '', isFallbackAdapter: false, shaderF16: true,
        timestampQuery: true, maxBufferSize: 4294967296, maxStorageBufferBindingSize: 2147483648,
      },
      webglRenderer: null, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0', tfjsVersion: '4.22.0', appVersion: '0.1.0',
    });
    const [done, oom] = decoded.results!.runs;
    expect(done).toEqual({
      id: 'cnn-small·b32·k1·fp32·gpu-resident·auto', label: 'cnn-small · batch 32', status: 'done', reason: null,
      startedAt: '2026-11-20T10:00:00.000Z', config: V1_BASE, backend: 'webgpu', webglFloat16Textures: false, params: 206922,
      truePeakBytes: 5242880, logicalPeakBytes: 7340032, estimatedBytes: 4194304, firstStepMs: 850.5, compileMs: 400,
      medianStepMs: 12.25, p10StepMs: 11.5, p90StepMs: 14, steadySteps: 349, stepsCompleted: 350, samplesPerSec: 2612.24,
      medianDataMs: 0.3, totalMs: 9000, timeToTargetMs: 4200, trainExamples: 5600, validationExamples: 700, stepsPerEpoch: 175,
      finalValAccuracy: 0.84, bestValAccuracy: 0.84, stoppedEarlyAtEpoch: null,
      curve: [{ valAccuracy: 0.78, valLoss: 0.61, elapsedMs: 4200 }, { valAccuracy: 0.84, valLoss: 0.45, elapsedMs: 9000 }],
      inferenceMsPerExample: 0.05,
    });
    expect(oom).toMatchObject({
      id: 'resnet-mini·b64·k4·fp32·gpu-resident·auto', status: 'oom', reason: 'GPU out of memory at step 3',
      config: { ...V1_BASE, model: 'resnet-mini', batchSize: 64, accumulationSteps: 4 }, truePeakBytes: null, estimatedBytes: 90000000,
      curve: [],
    });
  });

  it('is the current version: encoding the same experiment and results gives the committed link again', () => {
    const decoded = decodedOk(V1_LINK);
    expect(encodeExperimentLink(decoded.state, decoded.results)).toBe(V1_LINK);
  });

  it('runs the migrations from the link’s version onwards, in order, on the raw payload', () => {
    const renameSeed: LinkMigration = ({ state, results }) => ({ state: { ...(state as object), migratedTo2: true }, results });
    const addResults: LinkMigration = ({ state }) => ({ state: { ...(state as object), migratedTo3: true }, results: 'r3' });
    const payload = { state: { original: 1 }, results: undefined };
    expect(migratePayload(payload, 1, [renameSeed, addResults]))
      .toEqual({ state: { original: 1, migratedTo2: true, migratedTo3: true }, results: 'r3' });
    expect(migratePayload(payload, 2, [renameSeed, addResults])).toEqual({ state: { original: 1, migratedTo3: true }, results: 'r3' });
    expect(migratePayload(payload, 3, [renameSeed, addResults])).toBe(payload);
  });

  it('says clearly that a link from a newer app cannot be read here, and gives the default experiment', () => {
    const decoded = decodeExperimentLink(rawLink(rawParts(V1_LINK).state, undefined, LINK_VERSION + 1));
    expect(decoded).toEqual({
      ok: false, state: defaultExperimentState(),
      message: `This link was made by a newer version of the app (link version ${LINK_VERSION + 1}; this app reads versions 1 to ` +
        `${LINK_VERSION}): open it with the current app.`,
    });
  });

  it.each(['0', '-1', '1.5', 'abc', '', '01'])('rejects version %j with a message', (version) => {
    const decoded = decodeExperimentLink(rawLink({}, undefined, version));
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.message).toMatch(/no valid version number/);
  });
});

// ---------- validation ----------

describe('decoding validates every field', () => {
  const base = () => rawParts(encodeExperimentLink(defaultExperimentState())).state as { sw: { b: Record<string, unknown> } };

  it.each(CONFIG_KEYS)('refuses an out-of-range %s and keeps the default experiment’s value, with a warning', (key) => {
    const spec = RUN_CONFIG_FIELDS[key];
    const raw = base();
    const shortKey = RUN_CONFIG_SPEC.fields[key].key;
    raw.sw.b[shortKey] = spec.kind === 'enum' ? 'not-a-choice' : spec.max + 1;
    const decoded = decodedOk(rawLink(raw));
    expect(decoded.state.sweep.base[key]).toEqual(quickValidationSweep().base[key]);
    expect(decoded.warnings).toHaveLength(1);
    expect(decoded.warnings[0]).toMatch(new RegExp(`^experiment\\.sweep\\.base\\.${key} must be `));
  });

  it('refuses NaN-like, fractional and wrongly typed numbers', () => {
    const raw = base();
    Object.assign(raw.sw.b, { b: 12.5, e: '3', lr: null, sf: 0 });
    const decoded = decodedOk(rawLink(raw));
    const { batchSize, epochs, learningRate, subsetFraction } = decoded.state.sweep.base;
    expect({ batchSize, epochs, learningRate, subsetFraction }).toEqual({ batchSize: 32, epochs: 2, learningRate: 0.002, subsetFraction: 0.1 });
    expect(decoded.warnings).toHaveLength(4);
  });

  it('accepts an imported dataset id and its reference', () => {
    const state = defaultExperimentState();
    state.sweep.base.dataset = 'user:0123456789abcdef';
    state.importedDataset = { name: 'flowers', fingerprint: '0123456789abcdef'.repeat(4) };
    expect(decodedOk(encodeExperimentLink(state)).state).toEqual(state);
  });

  it('fills fields a link does not mention (older links) from the default without a warning', () => {
    const decoded = decodedOk(rawLink({ w: { memory: 50 } }));
    expect(decoded.warnings).toEqual([]);
    expect(decoded.state).toEqual({ ...defaultExperimentState(), weights: { ...defaultExperimentState().weights, memory: 50 } });
  });

  it('ignores unknown fields at every level', () => {
    const raw = rawParts(V1_LINK);
    const state = raw.state as { sw: { b: Record<string, unknown>; a: Record<string, unknown> }; x: Record<string, unknown>[] };
    Object.assign(state, { zz: 1, future: { x: 1 } });
    Object.assign(state.sw, { zz: 2 });
    Object.assign(state.sw.b, { zz: 3 });
    Object.assign(state.sw.a, { zz: [4] });
    Object.assign(state.x[0]!, { zz: 5 });
    const decoded = decodedOk(rawLink(state, raw.results));
    expect(decoded.warnings).toEqual([]);
    expect(decoded.state).toEqual(decodedOk(V1_LINK).state);
  });

  it('drops custom criteria whose ids could collide with other keys, and repeated ids', () => {
    const state = defaultExperimentState();
    const criterion = (id: string) => ({ id, label: id, weight: 1, scores: { mlp: 5 } });
    const raw = rawParts(encodeExperimentLink(state)).state;
    const hostile = ['custom-1', 'constructor', '__proto__', 'prototype', 'memory', '<img src=x>', `c${'x'.repeat(32)}`, 'custom-1'];
    raw.x = hostile.map((id) => ({ i: id, l: id, w: 1, s: criterion(id).scores }));
    const decoded = decodedOk(rawLink(raw));
    expect(decoded.state.customCriteria.map((c) => c.id)).toEqual(['custom-1']);
    expect(decoded.state.customCriteria[0]!.scores).toEqual({
      mlp: 5, 'cnn-small': null, 'mobilenet-v2-tiny': null, 'efficientnet-lite-tiny': null, 'resnet-mini': null,
    });
    expect(decoded.warnings).toHaveLength(hostile.length - 1);
  });

  it('keeps markup as plain text, removes control and direction characters, and shortens long text', () => {
    const state = defaultExperimentState();
    state.customCriteria = [{ id: 'custom-1', label: '<img src=x onerror=alert(1)>', weight: 1, scores: {} }];
    const markup = decodedOk(encodeExperimentLink(state));
    expect(markup.state.customCriteria[0]!.label).toBe('<img src=x onerror=alert(1)>');
    expect(markup.warnings).toEqual([]);

    state.customCriteria[0]!.label = 'safe\u0000\u202egnp.exe\nlabel' + '😀'.repeat(100);
    const cleaned = decodedOk(encodeExperimentLink(state));
    expect(cleaned.state.customCriteria[0]!.label).toBe(`safegnp.exelabel${'😀'.repeat(44)}`);
    expect(cleaned.warnings).toEqual(['experiment.customCriteria[0].label was shortened or had control characters removed.']);
  });

  it('keeps at most the allowed number of list items and says so', () => {
    const raw = rawParts(encodeExperimentLink(defaultExperimentState())).state;
    raw.l = Array.from({ length: 10_000 }, () => 'weights');
    const decoded = decodedOk(rawLink(raw));
    expect(decoded.state.locked).toEqual(['weights']);
    expect(decoded.warnings[0]).toMatch(/has 10000 items; only the first \d+ are kept/);
    expect(decoded.warnings.length).toBeLessThanOrEqual(20);
  });

  it('refuses a sweep axis that ends up empty and keeps the default axis', () => {
    const raw = rawParts(encodeExperimentLink(defaultExperimentState())).state as { sw: { a: Record<string, unknown> } };
    raw.sw.a.m = ['not-a-model'];
    const decoded = decodedOk(rawLink(raw));
    expect(decoded.state.sweep.axes.model).toEqual(quickValidationSweep().axes.model);
    expect(decoded.warnings).toEqual([
      'experiment.sweep.axes.model[0] must be one of mlp, cnn-small, mobilenet-v2-tiny, efficientnet-lite-tiny, resnet-mini; got "not-a-model": item dropped.',
      'experiment.sweep.axes.model needs at least 1 valid item; using the default.',
    ]);
  });

  it('treats an invalid measurement as not measured, and drops a run whose identity or status is invalid', () => {
    const raw = rawParts(V1_LINK);
    const runs = (raw.results as { r: Record<string, unknown>[] }).r;
    runs[1]!.tp = -5;
    runs[0]!.st = 'exploded';
    const decoded = decodedOk(rawLink(raw.state, raw.results));
    expect(decoded.results!.runs.map((run) => [run.status, run.truePeakBytes])).toEqual([['oom', null]]);
    expect(decoded.warnings).toEqual([
      'results.runs[0].status must be one of done, failed, cancelled, over-budget, oom; got "exploded": item dropped.',
      'results.runs[1].truePeakBytes must be a whole number in [0, 9007199254740991]; got -5; using nothing (left empty).',
    ]);
  });

  it('loads the settings with a warning when only the results are damaged', () => {
    const [settings] = V1_LINK.split('&r=');
    const decoded = decodedOk(`${settings}&r=AAAA`);
    expect(decoded.state).toEqual(decodedOk(V1_LINK).state);
    expect(decoded.results).toBeNull();
    expect(decoded.warnings).toEqual(['The results in this link are damaged or cut short (they do not decompress); only the settings were loaded.']);
  });
});

// ---------- hostile input ----------

/** Every string anywhere inside a value. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Every object and array inside a value has an ordinary prototype (nothing was assigned to __proto__). */
function ordinaryPrototypes(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  const expected = Array.isArray(value) ? Array.prototype : Object.prototype;
  return Object.getPrototypeOf(value) === expected && Object.values(value).every(ordinaryPrototypes);
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** What every decode must satisfy, whatever it was given. */
function expectSafeOutcome(link: string): DecodedLink {
  const decoded = decodeExperimentLink(link);
  if (!decoded.ok) {
    expect(decoded.message).toMatch(/^[A-Z].{10,300}\.$/s);
    expect(decoded.state).toEqual(defaultExperimentState());
    return decoded;
  }
  // Sanitised: valid by the table (a second round trip changes nothing and warns about nothing), plain text only.
  const again = decodedOk(encodeExperimentLink(decoded.state, decoded.results));
  expect(again.warnings).toEqual([]);
  expect(again.state).toEqual(decoded.state);
  expect(again.results).toEqual(decoded.results);
  expect(ordinaryPrototypes(decoded.state) && ordinaryPrototypes(decoded.results)).toBe(true);
  for (const text of [...stringsIn(decoded.state), ...stringsIn(decoded.results), ...decoded.warnings]) {
    expect(text).not.toMatch(UNSAFE_CHARACTER);
  }
  return decoded;
}

const MARKUP = ['<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '"><svg onload=alert(1)>', 'javascript:alert(1)', '=HYPERLINK("x")'];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype'];
const JUNK: unknown[] = [-1, 1e300, 0.5, '', 'x'.repeat(5000), [], [[[]]], {}, true, null, ...MARKUP];

/** Adds hostile own keys (JSON.parse would create them as own properties too) and replaces random leaves with junk. */
function poison(value: unknown, rng: Rng): unknown {
  if (Array.isArray(value)) return value.map((item) => poison(item, rng));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = rng.int(6) === 0 ? pick(rng, JUNK) : poison(item, rng);
    for (const key of HOSTILE_KEYS) {
      Object.defineProperty(out, key, { value: { polluted: true, sw: 1 }, enumerable: true, configurable: true, writable: true });
    }
    return out;
  }
  return value;
}

/** Replaces every string leaf with markup. */
function markupEverywhere(value: unknown, rng: Rng): unknown {
  if (typeof value === 'string') return pick(rng, MARKUP);
  if (Array.isArray(value)) return value.map((item) => markupEverywhere(item, rng));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, markupEverywhere(item, rng)]));
  }
  return value;
}

describe('hostile links', () => {
  it('survive a fuzz of 1,300 malformed and hostile links: clear failure or sanitised values, never an exception', () => {
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype);
    const rng = createRng(99);
    const links: string[] = [];
    const randomChars = (n: number, alphabet: string) => Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]).join('');
    const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < 250; i++) links.push(randomChars(rng.int(200), '#&=v1s r%\u0000é😀<>"' + base64url));
    for (let i = 0; i < 250; i++) links.push(`#v=1&s=${randomChars(rng.int(300), base64url)}${i % 2 ? `&r=${randomChars(rng.int(300), base64url)}` : ''}`);
    for (let i = 0; i < 200; i++) links.push(V1_LINK.slice(0, rng.int(V1_LINK.length)));
    for (let i = 0; i < 200; i++) {
      const at = 8 + rng.int(V1_LINK.length - 8);
      links.push(V1_LINK.slice(0, at) + pick(rng, [...base64url, '&', '=', '#']) + V1_LINK.slice(at + 1));
    }
    const golden = rawParts(V1_LINK);
    for (let i = 0; i < 200; i++) links.push(rawLink(poison(golden.state, rng), poison(golden.results, rng)));
    for (let i = 0; i < 100; i++) links.push(rawLink(markupEverywhere(golden.state, rng), markupEverywhere(golden.results, rng)));
    for (let i = 0; i < 80; i++) links.push(rawLink(randomValue(EXPERIMENT_SPEC as unknown as LooseSpec, rng), pick(rng, JUNK)));
    for (const version of ['0', '2', '-1', '1e3', '1&v=1', 'x', '999999999999']) links.push(rawLink(golden.state, undefined, version));
    links.push('', '#', '#v=1', '#s=abc', '#v=1&s=', '#v=1&s=====', `#v=1&s=${'A'.repeat(MAX_LINK_CHARS)}`, 'x'.repeat(200_000));
    links.push(rawLink(null), rawLink([]), rawLink('text'), rawLink(42), rawLink({ sw: { b: null, a: [] }, w: 'heavy' }));

    expect(links.length).toBeGreaterThanOrEqual(1300);
    let failures = 0;
    for (const link of links) if (!expectSafeOutcome(link).ok) failures++;
    // Both outcomes occur: most damage is refused, poisoned-but-parseable payloads decode with defaults.
    expect(failures).toBeGreaterThan(500);
    expect(failures).toBeLessThan(links.length - 200);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeBefore);
  });

  it('builds fresh objects holding only table keys from a payload full of __proto__ and constructor keys', () => {
    const payload = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}},'
      + ' "w": {"__proto__": {"polluted": true}, "memory": 12}, "x": [{"__proto__": {"i": "custom-9"}, "i": "custom-1", "l": "a", "w": 1, "s": {}}]}');
    const decoded = decodedOk(rawLink(payload));
    expect(Object.keys(decoded.state)).toEqual(Object.keys(defaultExperimentState()));
    expect(Object.keys(decoded.state.weights)).toEqual(Object.keys(defaultExperimentState().weights));
    expect(decoded.state.weights.memory).toBe(12);
    expect(decoded.state.customCriteria.map((c) => c.id)).toEqual(['custom-1']);
    expect(ordinaryPrototypes(decoded.state)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads own properties only: an Object.prototype polluted by other code cannot inject settings', () => {
    const injected = { sw: { b: { b: 4096 }, a: {} }, w: { memory: 1000 }, x: [{ i: 'evil', l: 'evil', w: 1000, s: {} }] };
    const prototype = Object.prototype as Record<string, unknown>;
    let decoded: DecodedLink;
    try {
      Object.assign(prototype, injected);
      decoded = decodeExperimentLink(rawLink({}));
    } finally {
      for (const key of Object.keys(injected)) delete prototype[key];
    }
    expect(decoded.ok && decoded.state).toEqual(defaultExperimentState());
  });

  it('refuses a link past 64 KiB and a payload that decompresses past 1 MiB (a zip bomb)', () => {
    const long = decodeExperimentLink(`#v=1&s=${'A'.repeat(MAX_LINK_CHARS)}`);
    expect(!long.ok && long.message).toBe(`This link is too long (${MAX_LINK_CHARS + 7} characters; a link may have at most ${MAX_LINK_CHARS}).`);
    const bombLink = rawLink({ x: [{ i: 'custom-1', l: 'a'.repeat(4 * 1024 * 1024), w: 1, s: {} }] });
    expect(bombLink.length).toBeLessThan(20_000);
    const bomb = decodeExperimentLink(bombLink);
    expect(!bomb.ok && bomb.message).toBe('The experiment settings in this link decompress to more than 1024 KiB.');
  });

  it('refuses a link in which a part appears twice', () => {
    const decoded = decodeExperimentLink(`${V1_LINK}&v=1`);
    expect(!decoded.ok && decoded.message).toBe('This link is damaged: one of its parts appears twice.');
  });
});

// ---------- results → matrix ----------

interface RunSpec {
  model: RunConfig['model'];
  status?: MeasuredResult['status'];
  reason?: string | null;
  curve?: number[];
  timeToTargetMs?: number | null;
  samplesPerSec?: number | null;
  truePeakBytes?: number | null;
  estimatedBytes?: number | null;
  params?: number;
  inferenceMs?: number;
}

function runResult(spec: RunSpec): MeasuredResult {
  const config: RunConfig = { ...defaultRunConfig(), model: spec.model, epochs: 2 };
  const curve: EpochRecord[] = (spec.curve ?? [0.9]).map((valAccuracy, i) => ({
    epoch: i + 1, valAccuracy, valLoss: 1.234567891 - valAccuracy, elapsedMs: 1000.123456 * (i + 1),
  }));
  const result: MeasuredResult = {
    schemaVersion: 1,
    config,
    environment: {
      backend: 'webgpu', summary: 'WebGPU', attempts: [], webglRenderer: null, webglFloat16Textures: false, tfjsVersion: '4.22.0',
      userAgent: 'Mozilla/5.0 Chrome/140', adapter: {
        vendor: 'google', architecture: 'swiftshader', description: '', device: '', isFallbackAdapter: true, shaderF16: false,
        timestampQuery: true, maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27,
      },
    },
    status: spec.status ?? 'done',
    reason: spec.reason ?? null,
    startedAt: '2026-11-25T09:00:00.000Z',
    model: { name: spec.model, params: spec.params ?? 100_000 },
    data: { trainExamples: 800, validationExamples: 100, stepsPerEpoch: 25, microBatchSize: 32 },
    timing: {
      firstStepMs: 1700.123456, medianStepMs: 12.3456789, p10StepMs: 11.1111111, p90StepMs: 14.4444444, steadySteps: 24, compileMs: 900.5,
      stepsCompleted: 25, samplesPerSec: spec.samplesPerSec === undefined ? 2592.3456789 : spec.samplesPerSec, medianDataMs: 0.123456,
      epochMs: [1000], totalMs: 2345.678901, timeToTargetMs: spec.timeToTargetMs === undefined ? 1234.56789 : spec.timeToTargetMs,
    },
    memory: { truePeakBytes: spec.truePeakBytes === undefined ? 8_000_000 : spec.truePeakBytes, estimatedBytes: spec.estimatedBytes ?? 6_000_000 },
    accuracy: {
      finalValAccuracy: curve.at(-1)?.valAccuracy ?? null, finalValLoss: curve.at(-1)?.valLoss ?? null,
      bestValAccuracy: curve.length ? Math.max(...curve.map((r) => r.valAccuracy)) : null,
      reachedTarget: spec.timeToTargetMs !== null, curve, stoppedEarlyAtEpoch: null,
    },
  };
  if (spec.inferenceMs !== undefined) result.inference = { msPerExample: spec.inferenceMs };
  return result;
}

const SAMPLE_ENTRIES: RunEntry[] = [
  { id: 'mlp·b32', label: 'mlp', result: runResult({ model: 'mlp', curve: [0.81234567, 0.8834567], params: 101_770, inferenceMs: 0.0123456 }) },
  {
    id: 'cnn-small·b32', label: 'cnn-small', result: runResult({
      model: 'cnn-small', curve: [0.9123456, 0.9512345], truePeakBytes: 12_345_678, params: 206_922, samplesPerSec: 1234.56789,
      timeToTargetMs: 2222.22222, inferenceMs: 0.0456789,
    }),
  },
  {
    id: 'mobilenet-v2-tiny·b32', label: 'mobilenet <b>tiny</b>', result: runResult({
      model: 'mobilenet-v2-tiny', curve: [0.4, 0.45], timeToTargetMs: null, truePeakBytes: null, estimatedBytes: 9_876_543,
      params: 60_000, inferenceMs: 0.0789,
    }),
  },
  { id: 'resnet-mini·b32', label: 'resnet', result: runResult({ model: 'resnet-mini', status: 'failed', reason: 'GPU out of memory', curve: [] }) },
  { id: 'queued-one', label: 'still queued', status: 'queued', result: null },
];

describe('results in a link', () => {
  it('rebuild the same matrix: rows, statuses, reasons, raw values and totals', () => {
    const shared = sharedResultsFromRuns(SAMPLE_ENTRIES, '0.1.0')!;
    expect(shared.runs.map((run) => run.id)).toEqual(['mlp·b32', 'cnn-small·b32', 'mobilenet-v2-tiny·b32', 'resnet-mini·b32']);
    const decoded = decodedOk(encodeExperimentLink(defaultExperimentState(), shared));
    expect(decoded.results).toEqual(shared);

    const original = matrixFromRuns(SAMPLE_ENTRIES.slice(0, 4));
    const rebuilt = matrixFromRuns(runEntriesFromSharedResults(decoded.results!));
    expect(rebuilt.rows.map((r) => [r.id, r.label, r.status, r.reason, r.architecture]))
      .toEqual(original.rows.map((r) => [r.id, r.label, r.status, r.reason, r.architecture]));
    expect(rebuilt.rows[3]!.status).toBe('oom');
    rebuilt.rows.forEach((row, i) => {
      const before = original.rows[i]!;
      expect(Object.keys(row.values)).toEqual(Object.keys(before.values));
      for (const [key, value] of Object.entries(row.values)) {
        if (value === null) expect(before.values[key]).toBeNull();
        else expect(value).toBeCloseTo(before.values[key]!, 1);
      }
      expect(row.notes).toEqual(before.notes);
      expect(row.missing).toEqual(before.missing);
    });
    const totals = (matrix: typeof original) => evaluateMatrix(matrix).rows.map((r) => r.total);
    totals(rebuilt).forEach((total, i) => {
      const before = totals(original)[i]!;
      if (before === null) expect(total).toBeNull();
      else expect(total).toBeCloseTo(before, 4);
    });
    expect(evaluateMatrix(rebuilt).ranking).toEqual(evaluateMatrix(original).ranking);
  });

  it('rebuild the linked matrix with the linked settings: the decoded state is matrixFromRuns’s options', () => {
    const { state, results } = decodedOk(V1_LINK);
    const matrix = matrixFromRuns(runEntriesFromSharedResults(results!), state);
    expect(matrix.criteria.map((c) => [c.id, c.weight])).toEqual([
      ['memory', 40], ['speed', 30], ['learningCurve', 10], ['community', 10], ['accuracy', 0], ['custom-1', 5],
    ]);
    expect(matrix.accuracyPolicy).toEqual({ gate: true, threshold: 0.6 });
    expect(matrix.rows.map((r) => [r.manualScores.community, r.manualScores['custom-1']])).toEqual([[9, 8], [6, 3]]);
  });

  it('round times and losses to six significant digits and keep non-finite values as “not measured”', () => {
    const diverged = runResult({ model: 'mlp', curve: [0.1, 0.1] });
    diverged.accuracy.curve[1]!.valLoss = Number.NaN;
    const [run] = sharedResultsFromRuns([{ id: 'x', result: diverged }], '0.1.0')!.runs;
    expect(run!.curve).toEqual([{ valAccuracy: 0.1, valLoss: 1.13457, elapsedMs: 1000.12 }, { valAccuracy: 0.1, valLoss: null, elapsedMs: 2000.25 }]);
    expect([run!.medianStepMs, run!.medianDataMs, run!.samplesPerSec]).toEqual([12.3457, 0.123456, 2592.35]);
    const [entry] = runEntriesFromSharedResults(sharedResultsFromRuns([{ id: 'x', result: diverged }], '0.1.0')!);
    expect(entry!.result!.accuracy.curve[1]!.valLoss).toBeNaN();
  });

  it('are null when no run has finished', () => {
    expect(sharedResultsFromRuns([{ id: 'q', status: 'queued', result: null }], '0.1.0')).toBeNull();
  });

  it('name their environment by adapter, fallback and backend', () => {
    const shared = sharedResultsFromRuns(SAMPLE_ENTRIES, '0.1.0')!;
    expect(environmentLabel(shared.environment, 'webgpu')).toBe('google swiftshader, fallback (webgpu)');
    const nvidia = { ...shared.environment, adapter: { ...shared.environment.adapter!, vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false } };
    expect(environmentLabel(nvidia, 'webgpu')).toBe('nvidia ampere (webgpu)');
    expect(environmentLabel({ ...shared.environment, adapter: null, webglRenderer: 'ANGLE (Apple M2)' }, 'webgl')).toBe('ANGLE (Apple M2) (webgl)');
    expect(environmentLabel({ ...shared.environment, adapter: null }, 'cpu')).toBe('unknown device (cpu)');
  });
});

describe('merging result links (workshops)', () => {
  it('puts every readable link’s runs in one matrix with the environment as a column, and says which links failed', () => {
    const software = sharedResultsFromRuns(SAMPLE_ENTRIES.slice(0, 2), '0.1.0')!;
    const nvidia: SharedResults = {
      ...software,
      environment: { ...software.environment, adapter: { ...software.environment.adapter!, vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false } },
    };
    const links = [
      encodeExperimentLink(defaultExperimentState(), software),
      'https://example.org/#v=1&s=garbage',
      encodeExperimentLink(defaultExperimentState(), nvidia),
      encodeExperimentLink(defaultExperimentState()),
    ];
    const merged = mergeResultLinks(links);
    expect(merged.entries.map((e) => [e.id, e.environmentLabel, e.link])).toEqual([
      ['link1:mlp·b32', 'google swiftshader, fallback (webgpu)', 1],
      ['link1:cnn-small·b32', 'google swiftshader, fallback (webgpu)', 1],
      ['link3:mlp·b32', 'nvidia ampere (webgpu)', 3],
      ['link3:cnn-small·b32', 'nvidia ampere (webgpu)', 3],
    ]);
    expect(merged.errors).toEqual([
      { link: 2, message: 'The experiment settings in this link are damaged or cut short (they do not decompress).' },
      { link: 4, message: 'This link carries no results: share it again with results included.' },
    ]);
    const matrix = matrixFromRuns(merged.entries);
    expect(matrix.rows.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(evaluateMatrix(matrix).warnings).toEqual([]);
  });
});
