/**
 * Spec fixtures for the domain tests: a minimal valid spec as plain data,
 * changed per test and then parsed through the real YAML and schema path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseSpec, type ProjectSpec } from '../../domain/spec';

export const EXAMPLE_SPEC_PATH = path.resolve(__dirname, '../../examples/image-classification/project.yaml');

/** The image-classification example, parsed. */
export function exampleSpec(): ProjectSpec {
  return parseSpec(readFileSync(EXAMPLE_SPEC_PATH, 'utf8'), EXAMPLE_SPEC_PATH);
}

/** A minimal valid spec as the YAML author writes it, before defaults. */
export function minimalRawSpec(): Record<string, any> {
  return {
    id: 'demo-project',
    name: 'Demo project',
    owner: 'owner@example.com',
    stakeholders: [
      { name: 'Bea', email: 'bea@example.com', role: 'business' },
      { name: 'Max', email: 'max@example.com', role: 'mlops-engineer' },
    ],
    requirements: {
      userScale: { users: 1000, requestsPerUserPerDay: 24 },
      systemScale: {},
      dataScale: { sizeGb: 73, updateFrequency: 'never' },
    },
    budgets: { totalUsd: 1000, perTrainingJobUsd: 10 },
    training: { command: ['node', 'train.js'], candidates: [{ instanceType: 'ml.m5.large' }] },
    inference: { command: ['node', 'serve.js'] },
    deployment: {},
    monitoring: {},
  };
}

/** Parses the minimal spec after `change` edited its raw data. */
export function makeSpec(change: (raw: Record<string, any>) => void = () => {}): ProjectSpec {
  const raw = minimalRawSpec();
  change(raw);
  return parseSpec(stringify(raw), 'fixture.yaml');
}
