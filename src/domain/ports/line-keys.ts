/**
 * Line keys: for inputs placed on an upstream with no `custom_id` of its own ('native' line
 * format: Vertex `request.labels`, Bedrock `recordId`, Anthropic's 64-character ids), each line
 * goes up under its line number, and the store keeps line number → `custom_id`, keyed by the
 * gateway file id. Results are joined back through it a page at a time, so no map is ever held in
 * memory, and every copy of a managed file (one per region or project) shares one key set.
 */
export interface LineKey {
  /** 1-based line number in the gateway file, as `encodeInputLine` was given it. */
  readonly lineNo: number;
  readonly customId: string;
}

export interface LineKeyRepository {
  /** Records keys of a file; a line already recorded keeps its first value (uploads are retried whole). */
  add(fileId: string, keys: readonly LineKey[]): Promise<void>;
  /** The custom_ids of the given lines (lines not recorded are absent from the map). */
  lookup(fileId: string, lineNos: readonly number[]): Promise<Map<number, string>>;
  /** The keys after `afterLineNo`, in line order, at most `limit`. */
  page(fileId: string, afterLineNo: number, limit: number): Promise<LineKey[]>;
  /** Whether the file has any key recorded (it was placed on a 'native' upstream). */
  has(fileId: string): Promise<boolean>;
  /** Forgets every key of the file. */
  deleteFor(fileId: string): Promise<void>;
}
