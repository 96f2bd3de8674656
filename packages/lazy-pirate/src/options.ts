/**
 * Option checks shared by the client and the server (internal).
 *
 * @module
 */
import { InvalidOptionError } from "@zmq-reliable/core";

/**
 * Validates that `value` is an integer no smaller than `min`.
 *
 * @param name - option name used in the error message.
 * @param value - the value to check.
 * @param min - the smallest allowed value.
 * @throws `InvalidOptionError` when it is not.
 */
export function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new InvalidOptionError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}
