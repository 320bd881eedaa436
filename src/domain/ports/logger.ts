/** The slice of a structured logger (pino's shape) the domain writes to. */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
