import { createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApprovalClaims,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  ExpiredTokenError,
  loadOrCreateSecret,
  MalformedTokenError,
  signApprovalToken,
  TamperedTokenError,
  tokenExpiry,
  tokenLifetimeFromEnv,
  verifyApprovalToken,
} from '../../client/approvals/tokens';
import { claimsFor, NOW } from './fixtures';

const secret = randomBytes(32);

/** Replaces the payload of a token with re-encoded JSON, keeping the original signature. */
function withPayload(token: string, change: (wire: Record<string, unknown>) => void): string {
  const [payload, signature] = token.split('.');
  const wire = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(wire);
  return `${Buffer.from(JSON.stringify(wire)).toString('base64url')}.${signature}`;
}

describe('approval tokens', () => {
  test('roundtrip returns the signed claims', () => {
    const claims = claimsFor();
    const token = signApprovalToken(secret, claims);

    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyApprovalToken(secret, token, NOW)).toEqual(claims);
  });

  test('tampered signature is rejected', () => {
    const token = signApprovalToken(secret, claimsFor());
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;

    expect(() => verifyApprovalToken(secret, tampered, NOW)).toThrow(TamperedTokenError);
  });

  test.each<[string, (wire: Record<string, unknown>) => void]>([
    ['gate', (wire) => (wire.g = 'deployment')],
    ['round', (wire) => (wire.r = 2)],
    ['stakeholder', (wire) => (wire.e = 'mallory@example.com')],
    ['project', (wire) => (wire.p = 'other-project')],
    ['expiry', (wire) => (wire.x = (wire.x as number) + 86400)],
  ])('tampered %s claim is rejected', (_claim, change) => {
    const token = withPayload(signApprovalToken(secret, claimsFor()), change);

    expect(() => verifyApprovalToken(secret, token, NOW)).toThrow(TamperedTokenError);
  });

  test('wrong secret is rejected as tampered', () => {
    const token = signApprovalToken(randomBytes(32), claimsFor());

    expect(() => verifyApprovalToken(secret, token, NOW)).toThrow(TamperedTokenError);
  });

  test('expired token carries its claims', () => {
    const claims = claimsFor({ expiresAt: Math.floor(NOW.getTime() / 1000) });
    const token = signApprovalToken(secret, claims);

    let error: unknown;
    try {
      verifyApprovalToken(secret, token, NOW);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ExpiredTokenError);
    expect((error as ExpiredTokenError).claims).toEqual(claims);
    expect((error as ExpiredTokenError).reason).toBe('expired');
  });

  test('token valid until its last second', () => {
    const claims = claimsFor({ expiresAt: Math.floor(NOW.getTime() / 1000) + 1 });

    expect(verifyApprovalToken(secret, signApprovalToken(secret, claims), NOW)).toEqual(claims);
  });

  test.each([
    ['empty string', ''],
    ['no dot', 'abcdef'],
    ['three parts', 'a.b.c'],
    ['non-base64url characters', 'ab+c.de/f'],
    ['short signature', `${Buffer.from('{}').toString('base64url')}.AAAA`],
    ['oversized token', `${'a'.repeat(3000)}.${'b'.repeat(43)}`],
  ])('malformed token rejected: %s', (_case, token) => {
    expect(() => verifyApprovalToken(secret, token, NOW)).toThrow(MalformedTokenError);
  });

  test('correctly signed invalid claims are malformed', () => {
    // Only a signer bug could produce a correctly signed payload with invalid
    // claims. Such a token must still be rejected.
    const payload = Buffer.from(JSON.stringify({ v: 1, p: 'x', g: 'launch', r: 1, e: 'a@b', x: 9e9 })).toString('base64url');
    const signature = createHmac('sha256', secret).update('mlops-approval-token.v1.').update(payload).digest('base64url');

    expect(() => verifyApprovalToken(secret, `${payload}.${signature}`, NOW)).toThrow(MalformedTokenError);
  });

  test.each<[string, Partial<ApprovalClaims>]>([
    ['unknown gate', { gate: 'launch' as never }],
    ['round zero', { round: 0 }],
    ['empty project', { projectId: '' }],
    ['address without at sign', { email: 'dana' }],
    ['fractional expiry', { expiresAt: 1.5 }],
  ])('signing rejects %s', (_case, overrides) => {
    expect(() => signApprovalToken(secret, claimsFor(overrides))).toThrow(/cannot sign approval token/);
  });

  test('short secret is rejected', () => {
    expect(() => signApprovalToken(randomBytes(16), claimsFor())).toThrow(/at least 32/);
  });

  test('expiry adds the default lifetime', () => {
    expect(tokenExpiry(NOW)).toBe(NOW.getTime() / 1000 + DEFAULT_TOKEN_LIFETIME_SECONDS);
    expect(tokenExpiry(NOW, 60)).toBe(NOW.getTime() / 1000 + 60);
  });

  test('lifetime read from environment', () => {
    expect(tokenLifetimeFromEnv({})).toBe(DEFAULT_TOKEN_LIFETIME_SECONDS);
    expect(tokenLifetimeFromEnv({ MLOPS_APPROVAL_TOKEN_LIFETIME_SECONDS: '3600' })).toBe(3600);
    expect(() => tokenLifetimeFromEnv({ MLOPS_APPROVAL_TOKEN_LIFETIME_SECONDS: '7d' })).toThrow(/=7d is invalid/);
    expect(() => tokenLifetimeFromEnv({ MLOPS_APPROVAL_TOKEN_LIFETIME_SECONDS: '10' })).toThrow(/from 60/);
  });
});

describe('approval secret', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlops-secret-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('missing file created private and reused', async () => {
    const path = join(dir, 'nested', 'approval-secret');

    const first = await loadOrCreateSecret(path, {});
    const second = await loadOrCreateSecret(path, {});

    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(second.equals(first)).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toBe(first.toString('utf8'));
  });

  test('concurrent creation yields one secret', async () => {
    const path = join(dir, 'approval-secret');

    const secrets = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecret(path, {})));

    for (const value of secrets) {
      expect(value.equals(secrets[0])).toBe(true);
    }
  });

  test('environment secret wins over file', async () => {
    const path = join(dir, 'approval-secret');
    const fromEnv = 'x'.repeat(40);

    const value = await loadOrCreateSecret(path, { MLOPS_APPROVAL_SECRET: fromEnv });

    expect(value.toString('utf8')).toBe(fromEnv);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  test('short environment secret rejected', async () => {
    await expect(loadOrCreateSecret(join(dir, 's'), { MLOPS_APPROVAL_SECRET: 'short' })).rejects.toThrow(
      /MLOPS_APPROVAL_SECRET is 5 characters; expected at least 32/,
    );
  });

  test('world-readable secret file rejected', async () => {
    const path = join(dir, 'approval-secret');
    await writeFile(path, 'y'.repeat(64));
    await chmod(path, 0o644);

    await expect(loadOrCreateSecret(path, {})).rejects.toThrow(/mode 0644.*chmod 600/);
  });
});
