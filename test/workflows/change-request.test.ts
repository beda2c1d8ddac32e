/**
 * Change requests: a stakeholder requests changes in the cost review and
 * the owner gets an e-mail. A revised spec sends the project back to the
 * requirements review, and the new round's e-mails show the cost diff
 * against the spec the stakeholders saw before. The revised spec then runs.
 */
import { Harness, QUICKSTART_DIR, quickstartSpec } from '../support/harness';

jest.setTimeout(4 * 60_000);

const harness = new Harness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

test('requested changes reopen review with diff', async () => {
  const spec = quickstartSpec('changes', (s) => {
    s.training.hyperparameters.sleepSeconds = 0;
    s.training.candidates = [{ instanceType: 'ml.m5.large', instanceCount: 1, spot: false }];
  });
  const business = spec.stakeholders.find((s) => s.role === 'business')!;
  await harness.projects.start(spec, QUICKSTART_DIR);
  await harness.approveGate(spec.id, 'requirements');
  await harness.waitFor(spec.id, 'cost approvals requested', (s) => s.pendingGate === 'cost');

  await harness.projects.decide(spec.id, {
    gate: 'cost',
    email: business.email,
    decision: 'request-changes',
    comment: 'Plan for twice the users.',
    channel: 'test',
  });
  const subjects = await harness.waitForSubject(/changes requested in the cost review/);
  expect(subjects).toContain(`[mlops] ${spec.name}: changes requested in the cost review`);
  // The gate stays open for the revision; nothing was benchmarked.
  expect((await harness.status(spec.id)).phase).toBe('cost-review');

  const revised = structuredClone(spec);
  revised.requirements.userScale.users = spec.requirements.userScale.users * 2;
  revised.estimate.hostingInstanceType = 'ml.m5.xlarge';
  const result = await harness.projects.revise(spec.id, revised, QUICKSTART_DIR);
  expect(result.round).toBe(2);

  const round2 = await harness.waitFor(spec.id, 'round 2 of the requirements review', (s) => s.pendingGate === 'requirements' && s.reviews.length === 3);
  const review = round2.reviews[2];
  expect(review).toMatchObject({ gate: 'requirements', round: 2 });
  const changed = review.changes!.lines.map((line) => line.item);
  expect(changed).toContain('requests per hour');
  expect(review.changes!.reason).toMatch(/Plan for twice the users/);
  const requests = review.changes!.lines.find((line) => line.item === 'requests per hour')!;
  expect(requests.mark).toBe('+');
  expect(review.changes!.lines.find((line) => line.item === 'total per month')?.mark).toBe('+');
  expect(review.changes!.perMonthChangeUsd).toBeGreaterThan(0);
  // Round 1: two requirements approvers and one cost approver; round 2: the two requirements approvers again.
  const roundTwo = (await harness.approvalMails(5)).filter((mail) => mail.subject.endsWith('(round 2)'));
  expect(roundTwo).toHaveLength(2);
  for (const mail of roundTwo) {
    expect(mail.text).toContain('requests per hour');
    expect(mail.text).toContain('Plan for twice the users.');
  }

  await harness.approveGate(spec.id, 'requirements');
  const cost = await harness.waitFor(spec.id, 'round 2 of the cost review', (s) => s.pendingGate === 'cost' && s.reviews.length === 4);
  expect(cost.reviews[3].changes?.lines.length).toBeGreaterThan(0);
  expect((cost.estimate as { inference: { requestsPerHour: number } }).inference.requestsPerHour).toBeCloseTo(
    (revised.requirements.userScale.users * revised.requirements.userScale.requestsPerUserPerDay) / 24,
  );
  await harness.approveGate(spec.id, 'cost');
  // The revised spec goes on to the benchmark.
  await harness.waitFor(spec.id, 'the benchmark', (s) => s.phaseHistory.some((entry) => entry.phase === 'benchmarking'), 60_000);
  await harness.projects.stop(spec.id, 'test finished');
  await harness.waitForPhase(spec.id, 'closed');
});

test('revision outside review is refused', async () => {
  const spec = quickstartSpec('revisewrong');
  await harness.projects.start(spec, QUICKSTART_DIR);
  await harness.waitFor(spec.id, 'requirements approvals requested', (s) => s.pendingGate === 'requirements');

  const other = structuredClone(spec);
  other.id = `${spec.id}-x`;
  await expect(harness.projects.revise(spec.id, other, QUICKSTART_DIR)).rejects.toThrow(/keep the id of the running project/);
  // The owner cannot swap the approvers who would review the revision.
  const ownApprovers = structuredClone(spec);
  ownApprovers.approvals.requirements = ['ml-engineer'];
  await expect(harness.projects.revise(spec.id, ownApprovers, QUICKSTART_DIR)).rejects.toThrow(/changes approvals, which a revision cannot change/);
  await expect(harness.projects.revise(spec.id, structuredClone(spec), QUICKSTART_DIR)).rejects.toThrow(/is the same as the one under review/);

  const business = spec.stakeholders.find((s) => s.role === 'business')!;
  await expect(
    harness.projects.decide(spec.id, { gate: 'requirements', email: business.email, decision: 'request-changes', channel: 'test' }),
  ).rejects.toThrow(/needs a comment/);

  await harness.projects.stop(spec.id, 'test finished');
  await harness.waitForPhase(spec.id, 'closed');
  await expect(harness.projects.revise(spec.id, spec, QUICKSTART_DIR)).rejects.toThrow(/closed|ended/);
});
