/** Errors the CLI turns into exit codes. */
import { EXIT } from '../domain/constants';

/** An error whose message is meant for the user, with the exit code to end with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export function invalidInput(message: string, options?: { cause?: unknown }): CliError {
  return new CliError(message, EXIT.invalidInput, options);
}
