/** The spec's optional loadTest section: its defaults and the errors for bad values. */
import { stringify } from 'yaml';
import { parseSpec, SpecError, type SpecIssue } from '../../domain/spec';
import { makeSpec, minimalRawSpec } from './fixtures';

function issuesWith(loadTest: unknown): SpecIssue[] {
  const raw = minimalRawSpec();
  raw.loadTest = loadTest;
  try {
    parseSpec(stringify(raw), 'fixture.yaml');
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected parseSpec to throw a SpecError');
}

test('loadTest absent by default', () => {
  expect(makeSpec().loadTest).toBeUndefined();
});

test('loadTest gets request defaults', () => {
  const spec = makeSpec((raw) => {
    raw.loadTest = { payloadFile: 'requests/load-test.jsonl' };
  });

  expect(spec.loadTest).toEqual({ payloadFile: 'requests/load-test.jsonl', requests: 200, concurrency: 4 });
});

test('loadTest bad values named', () => {
  const issues = issuesWith({ payloadFile: '', requests: 0, concurrency: 2.5, instanceTypes: ['m5.large'], duration: 10 });
  const paths = issues.map((issue) => issue.path);

  expect(paths).toEqual(expect.arrayContaining(['loadTest.payloadFile', 'loadTest.requests', 'loadTest.concurrency', 'loadTest.instanceTypes[0]']));
  expect(issues.find((issue) => issue.path === 'loadTest.instanceTypes[0]')?.expected).toBe('expected a SageMaker instance type such as ml.m5.large');
  // strictObject rejects unknown keys, so a misspelt field is not ignored.
  expect(JSON.stringify(issues)).toContain('duration');
});

test('loadTest needs payloadFile', () => {
  const issues = issuesWith({ requests: 50 });

  expect(issues.map((issue) => issue.path)).toContain('loadTest.payloadFile');
});
