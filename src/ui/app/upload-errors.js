// @ts-check
// An upload the gateway refuses answers 400 with the problem in the message, naming the line
// (`Line 3: method must be 'POST'. The file was not stored.`). The form lists each line's problem
// on its own; a message naming no line is shown as it is.

/**
 * @param {string} message
 * @returns {{ lines: Array<{ line: number, problem: string }>, rest: string }}
 */
export function lineProblems(message) {
  const lines = [];
  const pattern = /Lines? (\d+)(?:\s*\([^)]*\))?:\s*(.*?)(?=\s*Lines? \d+(?:\s*\([^)]*\))?:|\s*The file was not stored\.|$)/gs;
  for (const match of message.matchAll(pattern)) {
    lines.push({ line: Number(match[1]), problem: (match[2] ?? '').trim() });
  }
  const rest = lines.length === 0 ? message : message.includes('The file was not stored.') ? 'The file was not stored.' : '';
  return { lines, rest };
}
