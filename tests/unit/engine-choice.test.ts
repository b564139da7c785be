/** The engine choice as a RunConfig field, a link field and a sweep axis; old links and ids keep meaning tfjs. */
import { describe, expect, it } from 'vitest';
import { defaultRunConfig, validateRunConfig } from '../../src/core/config';
import {
  EXPERIMENT_SPEC, decodeExperimentLink, defaultExperimentState, encodeExperimentLink, type ExperimentState,
} from '../../src/core/share';
import { DecodeReport, decodeWithSpec, encodeWithSpec } from '../../src/core/share/schema';
import { candidateId, candidateLabel, expandSweep, quickValidationSweep } from '../../src/core/sweep';

function roundTrip(state: ExperimentState): ExperimentState {
  const decoded = decodeExperimentLink(encodeExperimentLink(state));
  if (!decoded.ok) throw new Error(decoded.message);
  expect(decoded.warnings).toEqual([]);
  return decoded.state;
}

describe('engine choice', () => {
  it('defaults to fused and accepts only fused or tfjs', () => {
    expect(defaultRunConfig().engine).toBe('fused');
    expect(validateRunConfig({ engine: 'tfjs' })).toMatchObject({ ok: true, config: { engine: 'tfjs' } });
    const bad = validateRunConfig({ engine: 'cuda' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]!.field).toBe('engine');
  });

  it('survives a link round trip, as a shared setting and as a sweep axis', () => {
    const state = defaultExperimentState();
    state.sweep.base.engine = 'tfjs';
    state.sweep.axes.engine = ['fused', 'tfjs'];
    expect(roundTrip(state).sweep.axes.engine).toEqual(['fused', 'tfjs']);
    state.sweep.axes.engine = ['fused'];
    expect(roundTrip(state).sweep).toEqual(state.sweep);
  });

  it('decodes a link from before the field to tfjs, which every run then used, and writes tfjs as before', () => {
    const state = defaultExperimentState();
    const encoded = encodeWithSpec(EXPERIMENT_SPEC, state) as { sw: { b: Record<string, unknown>; a: Record<string, unknown> } };
    delete encoded.sw.b.en;
    delete encoded.sw.a.en;
    const decoded = decodeWithSpec(EXPERIMENT_SPEC, encoded, state, 'link', new DecodeReport());
    if (!decoded.ok) throw new Error(decoded.problem);
    expect(decoded.value.sweep.base.engine).toBe('tfjs');
    expect(decoded.value.sweep.axes.engine).toEqual(['tfjs']);
    // Re-encoding the old meaning leaves the key out, so an old link encodes to what it was.
    expect(encodeWithSpec(EXPERIMENT_SPEC, decoded.value)).toEqual(encoded);
  });

  it('keeps the candidate ids of tfjs configurations and names the engine when a sweep varies it', () => {
    const spec = quickValidationSweep();
    spec.axes.model = ['mlp'];
    spec.axes.engine = ['fused', 'tfjs'];
    const { candidates } = expandSweep(spec);
    expect(candidates.map((c) => c.id)).toEqual(['mlp·b32·k1·fp32·gpu-resident·auto·fused', 'mlp·b32·k1·fp32·gpu-resident·auto']);
    expect(candidates.map((c) => c.label)).toEqual(['mlp · fused engine', 'mlp · tfjs engine']);
    expect(candidateLabel(candidates[0]!.config, quickValidationSweep().axes)).toBe('mlp');
    expect(candidateId({ ...candidates[0]!.config, engine: 'tfjs' })).toBe(candidates[1]!.id);
  });
});
