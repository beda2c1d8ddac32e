import {
  endpointConfigName,
  endpointName,
  isValidResourceName,
  loadTestEndpointName,
  MAX_NAME_LENGTH,
  modelName,
  resourceName,
  trainingJobName,
} from '../../domain/names';

const LONGEST_ID = 'a'.repeat(38) + '-z'; // 40 characters, the spec's maximum

function expectValid(name: string): void {
  expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
  expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
}

describe('names', () => {
  test('readable names for short ids', () => {
    expect(trainingJobName('demo', 'bench', 0)).toBe('demo-bench-0');
    expect(trainingJobName('demo', 'benchmark', 3)).toBe('demo-bench-3');
    expect(trainingJobName('demo', 'retraining', 12, 2)).toBe('demo-retrain-12-a2');
    expect(modelName('demo', 1)).toBe('demo-model-1');
    expect(endpointConfigName('demo', 4)).toBe('demo-config-4');
    expect(endpointName('demo')).toBe('demo-endpoint');
  });

  test('first attempt has no suffix', () => {
    expect(trainingJobName('demo', 'bench', 1, 1)).toBe(trainingJobName('demo', 'bench', 1));
  });

  test('same input same name', () => {
    expect(trainingJobName(LONGEST_ID, 'retrain', 123456789012, 99)).toBe(trainingJobName(LONGEST_ID, 'retrain', 123456789012, 99));
    expect(resourceName(['x'.repeat(100)])).toBe(resourceName(['x'.repeat(100)]));
  });

  test('longest ids stay valid', () => {
    for (const name of [
      trainingJobName(LONGEST_ID, 'retrain', 123456789012, 99),
      trainingJobName(LONGEST_ID, 'bench', 7),
      modelName(LONGEST_ID, 1e12),
      endpointConfigName(LONGEST_ID, 1e12),
      endpointName(LONGEST_ID),
    ]) {
      expectValid(name);
    }
  });

  test('truncated names stay unique', () => {
    const names = new Set<string>();
    for (let index = 0; index < 500; index++) {
      const name = trainingJobName(LONGEST_ID, 'retrain', 1_000_000_000 + index, 12345);
      expect(name.length).toBe(MAX_NAME_LENGTH);
      expectValid(name);
      names.add(name);
    }
    expect(names.size).toBe(500);
  });

  test('names unique across kinds, projects', () => {
    const names = new Set<string>();
    let count = 0;
    for (const project of ['demo', 'demo-bench', 'demo-model', 'demo-1', LONGEST_ID]) {
      for (let i = 0; i < 5; i++) {
        for (const name of [
          trainingJobName(project, 'bench', i),
          trainingJobName(project, 'bench', i, 2),
          trainingJobName(project, 'retrain', i),
          modelName(project, i + 1),
          endpointConfigName(project, i + 1),
        ]) {
          names.add(name);
          count++;
        }
      }
      names.add(endpointName(project));
      count++;
    }
    expect(names.size).toBe(count);
  });

  test('invalid characters replaced, hashed', () => {
    const dotted = resourceName(['My_Project.v2', 'model', 1]);
    const hyphenated = resourceName(['My-Project-v2', 'model', 1]);
    expectValid(dotted);
    expect(hyphenated).toBe('My-Project-v2-model-1');
    expect(dotted).not.toBe(hyphenated);
    expect(dotted).toMatch(/^My-Project-v2-model-1-[0-9a-f]{8}$/);
  });

  test('hyphen at cut removed', () => {
    const name = resourceName(['a'.repeat(53), 'b'.repeat(20)]);
    expectValid(name);
    expect(name).toMatch(/^a{53}-[0-9a-f]{8}$/);
  });

  test('validity check matches rule', () => {
    expect(isValidResourceName('demo-bench-0')).toBe(true);
    expect(isValidResourceName('-demo')).toBe(false);
    expect(isValidResourceName('demo-')).toBe(false);
    expect(isValidResourceName('demo_x')).toBe(false);
    expect(isValidResourceName('a'.repeat(64))).toBe(false);
  });

  test('bad counters and empty names rejected', () => {
    expect(() => trainingJobName('demo', 'bench', -1)).toThrow(/invalid index -1/);
    expect(() => trainingJobName('demo', 'bench', 1.5)).toThrow(RangeError);
    expect(() => trainingJobName('demo', 'bench', 0, 0)).toThrow(/invalid attempt 0/);
    expect(() => modelName('demo', 0)).toThrow(/invalid revision 0: expected a whole number of at least 1/);
    expect(() => resourceName(['--', '__'])).toThrow(/expected at least one letter or digit/);
  });
});

describe('loadTestEndpointName', () => {
  test('type dots become hyphens', () => {
    expect(loadTestEndpointName('churn', 'ml.m5.large')).toBe('churn-load-ml-m5-large');
    expect(isValidResourceName(loadTestEndpointName('churn', 'ml.g4dn.12xlarge'))).toBe(true);
  });

  test('long project id stays valid', () => {
    const name = loadTestEndpointName('a'.repeat(40), 'ml.m5.24xlarge');

    expect(name.length).toBeLessThanOrEqual(63);
    expect(isValidResourceName(name)).toBe(true);
    expect(name).not.toBe(loadTestEndpointName('a'.repeat(40), 'ml.m5.12xlarge'));
  });

  test('non-instance type rejected', () => {
    expect(() => loadTestEndpointName('churn', 'm5.large')).toThrow('invalid instance type "m5.large": expected a SageMaker instance type such as ml.m5.large');
  });
});
