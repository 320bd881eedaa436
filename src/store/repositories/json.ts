/** JSON held in text columns: written by the repositories, so read back as the type written. */
export const toJson = (value: unknown): string => JSON.stringify(value);

export const fromJson = <T>(text: string): T => JSON.parse(text) as T;
