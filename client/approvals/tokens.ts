/**
 * Approval tokens: the capability in a stakeholder's e-mail link. A token
 * names one project, one gate, one review round and one stakeholder, carries
 * an expiry, and is signed with HMAC-SHA256 so that changing any of these
 * invalidates it.
 *
 * Format: `<payload>.<signature>`, both base64url without padding. The
 * payload is JSON with short keys to keep links short. The signature covers
 * a fixed context string plus the encoded payload, so an HMAC made with the
 * same secret for another purpose never verifies as an approval token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GATES, type Gate } from '../../domain/constants';

export interface ApprovalClaims {
  projectId: string;
  gate: Gate;
  round: number;
  /** The stakeholder's e-mail address, as the spec lists it. */
  email: string;
  /** Expiry as epoch seconds. */
  expiresAt: number;
}

/** Seven days: long enough for a stakeholder back from a short absence, short enough to limit a leaked link. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 7 * 24 * 60 * 60;
/** Upper bound accepted from MLOPS_APPROVAL_TOKEN_LIFETIME_SECONDS (90 days). */
export const MAX_TOKEN_LIFETIME_SECONDS = 90 * 24 * 60 * 60;

/** Minimum secret length in bytes; HMAC-SHA256 keys shorter than the hash output weaken it. */
export const MIN_SECRET_BYTES = 32;

const SIGNATURE_CONTEXT = 'mlops-approval-token.v1.';
const TOKEN_VERSION = 1;
const SIGNATURE_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Longer strings are rejected before any decoding work. */
const MAX_TOKEN_LENGTH = 2048;

export type TokenErrorReason = 'malformed' | 'tampered' | 'expired';

/** Base class of every token verification failure. Its `reason` distinguishes the three cases. */
export class ApprovalTokenError extends Error {
  constructor(readonly reason: TokenErrorReason, message: string) {
    super(message);
    this.name = 'ApprovalTokenError';
  }
}

/** The string is not a token at all: wrong shape, bad encoding or invalid claims. */
export class MalformedTokenError extends ApprovalTokenError {
  constructor(detail: string) {
    super('malformed', `approval token is malformed: ${detail}`);
    this.name = 'MalformedTokenError';
  }
}

/** The signature does not match: the token was changed or signed with another secret. */
export class TamperedTokenError extends ApprovalTokenError {
  constructor() {
    super('tampered', 'approval token signature is invalid: the link was altered or signed with another secret');
    this.name = 'TamperedTokenError';
  }
}

/** The token is authentic but past its expiry; `claims` lets the caller say which approval it was for. */
export class ExpiredTokenError extends ApprovalTokenError {
  constructor(readonly claims: ApprovalClaims) {
    super('expired', `approval token expired at ${new Date(claims.expiresAt * 1000).toISOString()}`);
    this.name = 'ExpiredTokenError';
  }
}

/** Returns the expiry (epoch seconds) of a token issued at `now`. */
export function tokenExpiry(now: Date, lifetimeSeconds = DEFAULT_TOKEN_LIFETIME_SECONDS): number {
  return Math.floor(now.getTime() / 1000) + lifetimeSeconds;
}

/** Reads the token lifetime from MLOPS_APPROVAL_TOKEN_LIFETIME_SECONDS, or returns the default. */
export function tokenLifetimeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MLOPS_APPROVAL_TOKEN_LIFETIME_SECONDS;
  if (raw === undefined || raw === '') {
    return DEFAULT_TOKEN_LIFETIME_SECONDS;
  }
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new Error(
      `MLOPS_APPROVAL_TOKEN_LIFETIME_SECONDS=${raw} is invalid; expected a whole number of seconds ` +
        `from 60 to ${MAX_TOKEN_LIFETIME_SECONDS}, such as ${DEFAULT_TOKEN_LIFETIME_SECONDS} for seven days`,
    );
  }
  return seconds;
}

/** Signs the claims into a token; throws when a claim is invalid, so no unusable link is ever mailed. */
export function signApprovalToken(secret: Buffer, claims: ApprovalClaims): string {
  checkSecret(secret);
  const problem = claimsProblem(claims);
  if (problem) {
    throw new Error(`cannot sign approval token: ${problem}`);
  }
  const wire = {
    v: TOKEN_VERSION,
    p: claims.projectId,
    g: claims.gate,
    r: claims.round,
    e: claims.email,
    x: claims.expiresAt,
  };
  const payload = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
  return `${payload}.${sign(secret, payload).toString('base64url')}`;
}

/**
 * Verifies a token and returns its claims. Throws MalformedTokenError,
 * TamperedTokenError or ExpiredTokenError. The signature is checked before
 * the payload is parsed or the expiry read, so an altered expiry counts as
 * tampering, not as expiry.
 */
export function verifyApprovalToken(secret: Buffer, token: string, now: Date = new Date()): ApprovalClaims {
  checkSecret(secret);
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new MalformedTokenError(`longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  const parts = token.split('.');
  if (parts.length !== 2 || !BASE64URL.test(parts[0]) || !BASE64URL.test(parts[1])) {
    throw new MalformedTokenError('expected two base64url parts separated by a dot');
  }
  const [payload, signatureText] = parts;
  const signature = Buffer.from(signatureText, 'base64url');
  if (signature.length !== SIGNATURE_BYTES) {
    throw new MalformedTokenError(`signature is ${signature.length} bytes, expected ${SIGNATURE_BYTES}`);
  }
  if (!timingSafeEqual(signature, sign(secret, payload))) {
    throw new TamperedTokenError();
  }

  const claims = decodeClaims(payload);
  if (Math.floor(now.getTime() / 1000) >= claims.expiresAt) {
    throw new ExpiredTokenError(claims);
  }
  return claims;
}

function sign(secret: Buffer, payload: string): Buffer {
  return createHmac('sha256', secret).update(SIGNATURE_CONTEXT).update(payload).digest();
}

function checkSecret(secret: Buffer): void {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(`approval secret is ${secret.length} bytes; expected at least ${MIN_SECRET_BYTES}`);
  }
}

function decodeClaims(payload: string): ApprovalClaims {
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new MalformedTokenError('payload is not JSON');
  }
  if (typeof wire !== 'object' || wire === null) {
    throw new MalformedTokenError('payload is not a JSON object');
  }
  const fields = wire as Record<string, unknown>;
  if (fields.v !== TOKEN_VERSION) {
    throw new MalformedTokenError(`unsupported version ${String(fields.v)}, expected ${TOKEN_VERSION}`);
  }
  const claims = {
    projectId: fields.p,
    gate: fields.g,
    round: fields.r,
    email: fields.e,
    expiresAt: fields.x,
  } as ApprovalClaims;
  const problem = claimsProblem(claims);
  if (problem) {
    throw new MalformedTokenError(problem);
  }
  return claims;
}

/** Returns what is wrong with the claims, or undefined when they are valid. */
function claimsProblem(claims: ApprovalClaims): string | undefined {
  if (typeof claims.projectId !== 'string' || claims.projectId === '') {
    return `projectId ${JSON.stringify(claims.projectId)} is not a non-empty string`;
  }
  if (!GATES.includes(claims.gate)) {
    return `gate ${JSON.stringify(claims.gate)} is not one of ${GATES.join(', ')}`;
  }
  if (!Number.isInteger(claims.round) || claims.round < 1) {
    return `round ${JSON.stringify(claims.round)} is not a whole number from 1`;
  }
  if (typeof claims.email !== 'string' || !claims.email.includes('@')) {
    return `email ${JSON.stringify(claims.email)} is not an e-mail address`;
  }
  if (!Number.isInteger(claims.expiresAt) || claims.expiresAt <= 0) {
    return `expiresAt ${JSON.stringify(claims.expiresAt)} is not epoch seconds`;
  }
  return undefined;
}

/**
 * Returns the signing secret: MLOPS_APPROVAL_SECRET when set (at least 32
 * characters), otherwise the contents of the file at `path`. A missing file
 * is created with 32 random bytes (hex) and mode 0600; an existing file that
 * other users can read is rejected, because whoever reads it can approve.
 */
export async function loadOrCreateSecret(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  const fromEnv = env.MLOPS_APPROVAL_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_SECRET_BYTES) {
      throw new Error(
        `MLOPS_APPROVAL_SECRET is ${fromEnv.length} characters; expected at least ${MIN_SECRET_BYTES}, ` +
          'such as the output of `openssl rand -hex 32`',
      );
    }
    return Buffer.from(fromEnv, 'utf8');
  }

  try {
    return await readSecretFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }
  await createSecretFile(path);
  return readSecretFile(path);
}

/**
 * Writes a new secret to a private temporary file and hard-links it into
 * place. link() fails with EEXIST instead of overwriting, so two processes
 * starting together end up reading the same complete secret.
 */
async function createSecretFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
  } finally {
    await unlink(temporary);
  }
}

async function readSecretFile(path: string): Promise<Buffer> {
  if (process.platform !== 'win32') {
    const mode = (await stat(path)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `approval secret file ${path} has mode ${mode.toString(8).padStart(4, '0')} and is open to other users; ` +
          `run \`chmod 600 ${path}\``,
      );
    }
  }
  const text = (await readFile(path, 'utf8')).trim();
  if (text.length < MIN_SECRET_BYTES) {
    throw new Error(
      `approval secret file ${path} contains ${text.length} characters; expected at least ${MIN_SECRET_BYTES}. ` +
        'Delete it to have a new one created (links already sent stop working).',
    );
  }
  return Buffer.from(text, 'utf8');
}
