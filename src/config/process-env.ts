/** The process environment, read here so that `config/` stays the only module that touches it. */
export const processEnv = (): Readonly<Record<string, string | undefined>> => process.env;
