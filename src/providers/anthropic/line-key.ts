/**
 * The custom_id a line goes up under: `line-<n>`. OpenAI custom_ids may not fit Anthropic's
 * `^[a-zA-Z0-9_-]{1,64}$`, so every line is sent under its number and the gateway keeps the map.
 */
export const keyOf = (lineNo: number): string => `line-${lineNo}`;

export const lineNoOf = (customId: string): number | null => {
  const m = /^line-(\d{1,15})$/.exec(customId);
  return m === null ? null : Number(m[1]);
};
