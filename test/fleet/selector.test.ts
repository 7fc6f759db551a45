import { describe, expect, it } from 'vitest';
import { describeMatch, selectorMatches, selects } from '../../src/fleet/selector.js';
import type { Cluster, LabelSelector, Profile } from '../../src/model.js';

const doc = { file: 'x', locate: () => ({ file: 'x' }) };
const cluster = (name: string, labels: Record<string, string>): Cluster => ({ name, labels, environment: 'dev', apiVersions: [], vars: {}, patches: [], doc });
const profile = (p: Partial<Profile>): Profile => ({ name: 'p', dependsOn: [], tier: 100, spec: {}, doc, ...p });

const edgeEu = { tier: 'edge', region: 'eu' };
describe('selectorMatches (Kubernetes label-selector semantics)', () => {
  it.each<[string, LabelSelector, Record<string, string>, boolean]>([
    ['empty selector matches everything', {}, {}, true],
    ['empty selector matches labelled', {}, edgeEu, true],
    ['empty lists match everything', { matchLabels: {}, matchExpressions: [] }, edgeEu, true],
    ['matchLabels equal', { matchLabels: { tier: 'edge' } }, edgeEu, true],
    ['matchLabels differ', { matchLabels: { tier: 'core' } }, edgeEu, false],
    ['matchLabels missing label', { matchLabels: { zone: 'a' } }, edgeEu, false],
    ['matchLabels all must hold', { matchLabels: { tier: 'edge', region: 'us' } }, edgeEu, false],
    ['In hit', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['core', 'edge'] }] }, edgeEu, true],
    ['In miss', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['core'] }] }, edgeEu, false],
    ['In on missing label', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, edgeEu, false],
    ['NotIn hit', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['core'] }] }, edgeEu, true],
    ['NotIn miss', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['edge'] }] }, edgeEu, false],
    ['NotIn on missing label matches', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, edgeEu, true],
    ['Exists', { matchExpressions: [{ key: 'region', operator: 'Exists' }] }, edgeEu, true],
    ['Exists missing', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, edgeEu, false],
    ['Exists with empty value', { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, { gpu: '' }, true],
    ['DoesNotExist missing', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, edgeEu, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, edgeEu, false],
    ['labels AND expressions', { matchLabels: { tier: 'edge' }, matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] }, edgeEu, false],
    ['prototype keys are not labels', { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, {}, false],
  ])('%s', (_name, sel, labels, expected) => {
    expect(selectorMatches(sel, labels)).toBe(expected);
  });
});

describe('selects', () => {
  const c = cluster('dev-1', edgeEu);
  it('selects nothing without a selector or names', () => {
    expect(selects(profile({}), c)).toBe(false);
    expect(describeMatch(profile({}), c)).toBe('not selected: the profile has no clusterSelector and no clusters');
  });
  it('ORs the name list with the selector', () => {
    expect(selects(profile({ clusters: ['dev-1'] }), c)).toBe(true);
    expect(selects(profile({ clusters: ['other'] }), c)).toBe(false);
    expect(selects(profile({ clusters: ['other'], clusterSelector: { matchLabels: { tier: 'edge' } } }), c)).toBe(true);
    expect(selects(profile({ clusters: ['dev-1'], clusterSelector: { matchLabels: { tier: 'core' } } }), c)).toBe(true);
    expect(selects(profile({ clusters: [] }), c)).toBe(false);
  });
  it('says why', () => {
    expect(describeMatch(profile({ clusters: ['dev-1'] }), c)).toBe('clusters: [dev-1]');
    expect(describeMatch(profile({ clusterSelector: { matchLabels: { tier: 'edge' } } }), c)).toBe('matchLabels tier=edge');
    expect(describeMatch(profile({ clusterSelector: {} }), c)).toBe('clusterSelector {} selects every cluster');
    expect(describeMatch(profile({ clusterSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu', 'us'] }, { key: 'gpu', operator: 'DoesNotExist' }] } }), c)).toBe(
      'region In (eu, us), gpu does not exist',
    );
    expect(describeMatch(profile({ clusterSelector: { matchLabels: { tier: 'core' } } }), c)).toBe('not selected: tier=core does not hold');
  });
});
