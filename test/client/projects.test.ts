/**
 * checkRunnable: a spec that validates but cannot run (a price or a program
 * missing) is rejected before the project starts, with exit code 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkRunnable } from '../../client/projects';
import { EXIT } from '../../domain/constants';
import { QUICKSTART_DIR, quickstartSpec } from '../support/harness';

function problemOf(change: Parameters<typeof quickstartSpec>[1]): { message: string; exitCode: number } | undefined {
  try {
    checkRunnable(quickstartSpec('runnable', change), QUICKSTART_DIR);
    return undefined;
  } catch (err) {
    return { message: (err as Error).message, exitCode: (err as { exitCode: number }).exitCode };
  }
}

describe('checkRunnable', () => {
  test('quickstart spec passes', () => {
    expect(fs.existsSync(path.join(QUICKSTART_DIR, 'train.js'))).toBe(true);
    expect(problemOf(() => undefined)).toBeUndefined();
  });

  test('unknown candidate price is named', () => {
    const problem = problemOf((s) => s.training.candidates.push({ instanceType: 'ml.z9.huge', instanceCount: 1, spot: false }));
    expect(problem?.exitCode).toBe(EXIT.invalidInput);
    expect(problem?.message).toMatch(/training\.candidates\[4\]\.instanceType: .*ml\.z9\.huge/);
  });

  test('unknown hosting price is named', () => {
    const problem = problemOf((s) => (s.deployment.instanceType = 'ml.q1.tiny'));
    expect(problem?.message).toMatch(/deployment\.instanceType: .*ml\.q1\.tiny/);
  });

  test('missing training script is named', () => {
    const problem = problemOf((s) => (s.training.command = ['./no-such-trainer.sh']));
    expect(problem?.message).toMatch(/training\.command: \.\/no-such-trainer\.sh not found/);
  });

  test('program missing from PATH is named', () => {
    const problem = problemOf((s) => (s.inference.command = ['no-such-server-binary']));
    expect(problem?.message).toMatch(/inference\.command: no-such-server-binary is not on PATH/);
  });
});
