/**
 * The structured logger of every long-running process (approval server,
 * worker, CLI diagnostics): pino writing JSON lines, with approval tokens
 * removed before a line is written.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

const REDACTED = '[Redacted]';

/** Token positions in a URL: the path segment after /approvals/ or /report/, and a `t` query parameter. */
const TOKEN_IN_PATH = /(\/(?:approvals|report)\/)[^/?#\s"']+/g;
const TOKEN_IN_QUERY = /([?&]t=)[^&#\s"']*/g;

/** Replaces an approval token inside a URL, a path or a free-text message with a placeholder. */
export function scrubApprovalTokens(text: string): string {
  return text.replace(TOKEN_IN_PATH, `$1${REDACTED}`).replace(TOKEN_IN_QUERY, `$1${REDACTED}`);
}

/**
 * Redaction rules: a `token` field is replaced whole; `url`, `path` and an
 * error's message and stack keep their text with the token part replaced.
 * Paths cover the top level and one level of nesting (such as `req.url`),
 * which is where this project's code puts them.
 */
const REDACT_PATHS = ['token', '*.token', 'url', '*.url', 'path', '*.path', 'err.message', 'err.stack'];

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1];
  if (key === 'token') {
    return REDACTED;
  }
  return typeof value === 'string' ? scrubApprovalTokens(value) : value;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevelFromEnv(value: string | undefined): string {
  if (value === undefined || value === '') {
    return 'info';
  }
  if (!LEVELS.includes(value)) {
    throw new Error(`MLOPS_LOG_LEVEL=${value} is not a log level; set one of ${LEVELS.join(', ')}`);
  }
  return value;
}

/**
 * Creates a named JSON logger. The level comes from MLOPS_LOG_LEVEL
 * (default `info`). Without a destination the logger writes to stderr, so a
 * command's own output on stdout stays clean. Tests pass a stream to read
 * the lines back.
 */
export function createLogger(name: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level: logLevelFromEnv(process.env.MLOPS_LOG_LEVEL),
    redact: { paths: REDACT_PATHS, censor },
    hooks: {
      // Messages are free text, so a token pasted into one is scrubbed too.
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubApprovalTokens(arg) : arg));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  return pino(options, destination ?? pino.destination(2));
}
