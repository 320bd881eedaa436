/** Option parsers shared by the commands; a bad value is a usage error (exit 2), named by commander. */
import { InvalidArgumentError } from 'commander';

export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

export const nonNegativeNumber = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number, at least 0');
  return n;
};

/** `--metadata k=v`, repeatable: each adds one pair. */
export const metadataPair = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`'${value}' is not key=value`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
};

/** `--models a,b` */
export const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

export const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('port must be an integer 0-65535');
  return n;
};
