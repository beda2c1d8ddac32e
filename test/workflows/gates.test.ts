/**
 * Review gates: the update validator rejects decisions the gate cannot
 * take, a rejection ends the project before anything bills, and a project
 * id cannot be started twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DecisionRejectedError, ProjectEndedError } from '../../client/approvals/backend';
import { CliError } from '../../client/errors';
import { Harness, QUICKSTART_DIR, quickstartSpec, submitDecision } from '../support/harness';

const harness = new Harness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

describe('review gates', () => {
  const spec = quickstartSpec('gates');
  const business = spec.stakeholders.find((s) => s.role === 'business')!;
  const outsider = spec.stakeholders.find((s) => !spec.approvals.requirements.includes(s.role))!;

  beforeAll(async () => {
    await harness.projects.start(spec, QUICKSTART_DIR);
    await harness.waitFor(spec.id, 'requirements approvals requested', (s) => s.pendingGate === 'requirements');
  });

  test('starting the same project twice is refused', async () => {
    await expect(harness.projects.start(spec, QUICKSTART_DIR)).rejects.toThrow(CliError);
    await expect(harness.projects.start(spec, QUICKSTART_DIR)).rejects.toThrow(/already started/);
  });

  test('decision for a closed gate is rejected', async () => {
    const attempt = harness.projects.decide(spec.id, { gate: 'cost', email: business.email, decision: 'approved', channel: 'test' });
    await expect(attempt).rejects.toThrow(DecisionRejectedError);
    await expect(attempt).rejects.toThrow(/cost gate is not open/);
  });

  test('decision by a non-approver is rejected', async () => {
    const attempt = harness.projects.decide(spec.id, { gate: 'requirements', email: outsider.email, decision: 'approved', channel: 'test' });
    await expect(attempt).rejects.toThrow(/is not an approver of the requirements gate/);
  });

  test('invalid decision value is rejected', async () => {
    const attempt = harness.projects.decide(spec.id, {
      gate: 'requirements',
      email: business.email,
      decision: 'maybe' as 'approved',
      channel: 'test',
    });
    await expect(attempt).rejects.toThrow(/invalid decision 'maybe'/);
  });

  test('second decision by one stakeholder is rejected', async () => {
    await harness.projects.decide(spec.id, { gate: 'requirements', email: business.email.toUpperCase(), decision: 'approved', channel: 'test' });
    const again = harness.projects.decide(spec.id, { gate: 'requirements', email: business.email, decision: 'rejected', channel: 'test' });
    await expect(again).rejects.toThrow(/already approved/);
    const status = await harness.status(spec.id);
    expect(status.approvals.find((a) => a.email === business.email)?.decision).toBe('approved');
  });

  test('rejection through the page ends the project', async () => {
    const mails = await harness.approvalMails(2);
    const remaining = mails.find((m) => !m.to.includes(business.email))!;
    const result = await submitDecision(remaining.link, 'rejected', 'data scale is not agreed yet');
    expect(result.status).toBe(200);

    const status = await harness.waitForPhase(spec.id, 'rejected');
    expect(status.shutdownReason).toMatch(/requirements review rejected by .*data scale is not agreed yet/);
    expect(status.trainingJobs).toEqual([]);
    expect(fs.existsSync(path.join(harness.home, 'compute', 'training-jobs'))).toBe(false);
  });

  test('link of an ended project is refused', async () => {
    const mails = await harness.approvalMails(0);
    expect(mails).toEqual([]);
    const status = await harness.status(spec.id);
    expect(status.pendingGate).toBeUndefined();
    const late = harness.projects.decide(spec.id, { gate: 'requirements', email: business.email, decision: 'approved', channel: 'test' });
    await expect(late).rejects.toThrow(ProjectEndedError);
    await expect(late).rejects.toThrow(/has ended \(phase rejected\)/);
    await expect(harness.projects.stop(spec.id, 'again')).rejects.toThrow(/has ended \(phase rejected\)/);
  });
});
