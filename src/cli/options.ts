import { InvalidArgumentError } from 'commander';

/** commander argument parser for an integer within [min, max]. */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got '${value}'`);
    }
    return n;
  };
}

/** commander argument parser for a finite number within [min, max]. */
export function numberOption(name: string, min: number, max = Number.MAX_VALUE) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}, got '${value}'`);
    }
    return n;
  };
}

/** commander argument parser for one of a fixed set of words. */
export function choiceOption<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got '${value}'`);
    }
    return value as T;
  };
}
