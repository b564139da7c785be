import { describe, expect, it } from 'vitest';
import { CRITERION_IDS } from '../../src/core/matrix';
import { DecisionSettings } from '../../src/state/decision.svelte';

const ids = (criteria: readonly { id: string }[]) => criteria.map((c) => c.id);

describe('decision settings: added criteria', () => {
  it('add → remove → add on the preset gives a new id, never one in use (a keyed list needs unique keys)', () => {
    const settings = new DecisionSettings();
    settings.addPresetCriterion('Licence', 10);
    const first = settings.preset.criteria.at(-1)!.id;
    settings.removePresetCriterion(CRITERION_IDS.community);
    settings.addPresetCriterion('Hiring', 5);
    const all = ids(settings.preset.criteria);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain(first);
    settings.removePresetCriterion(first);
    settings.addPresetCriterion('Support', 5);
    expect(ids(settings.preset.criteria)).not.toContain(first);
    expect(settings.preset.criteria.at(-1)).toMatchObject({ label: 'Support', weight: 5, kind: 'manual' });
  });

  it('add → remove → add on measured runs never reuses an id, also past ids loaded from a link', () => {
    const settings = new DecisionSettings();
    settings.addCriterion('Licence', 10);
    settings.addCriterion('Hiring', 5);
    const [first, second] = ids(settings.customCriteria);
    settings.removeCriterion(second!);
    settings.addCriterion('Support', 5);
    expect(ids(settings.customCriteria)).toEqual([first, expect.any(String)]);
    expect(ids(settings.customCriteria)).not.toContain(second);
    settings.load({
      weights: {}, communityScores: {}, removedCriteria: [], accuracyPolicy: settings.accuracyPolicy,
      customCriteria: [{ id: 'custom-9', label: 'From a link', weight: 1, scores: {} }],
    });
    settings.addCriterion('After the link', 1);
    expect(ids(settings.customCriteria)).toEqual(['custom-9', 'custom-10']);
  });

  it('edits the preset in place: weight, per-row score, accuracy policy', () => {
    const settings = new DecisionSettings();
    settings.setPresetWeight(CRITERION_IDS.memory, 50);
    settings.setPresetScore(CRITERION_IDS.memory, 'tensorflow', 10);
    settings.setPresetPolicy({ gate: true, threshold: 0.9 });
    expect(settings.preset.criteria.find((c) => c.id === CRITERION_IDS.memory)?.weight).toBe(50);
    expect(settings.preset.rows.find((r) => r.id === 'tensorflow')?.manualScores[CRITERION_IDS.memory]).toBe(10);
    expect(settings.preset.accuracyPolicy).toEqual({ gate: true, threshold: 0.9 });
  });
});
