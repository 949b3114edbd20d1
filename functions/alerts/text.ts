/** Small text helpers shared by the variants: code spans, counted nouns, cuts that say what they left out. */

/** How an id or a command is set: as inline code in chat, as is in plain text. */
export type Code = (text: string) => string;
export const inlineCode: Code = (text) => `\`${text}\``;
export const plain: Code = (text) => text;

/** Cuts with a visible "…"; never splits a surrogate pair (an emoji) in two. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Room kept for the "more lines" marker. */
const MARKER_ROOM = 40;

/**
 * Shortens shell text at line boundaries, so each line shown still runs, and says how much is left out
 * in a shell comment. A single line that is too long on its own is cut with "…".
 */
export function clipCommands(text: string, maxChars: number, maxLines: number): string {
  const lines = text.split('\n');
  if (lines.length <= maxLines && text.length <= maxChars) return text;
  const budget = maxChars - MARKER_ROOM;
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (kept.length === maxLines - 1 || size + line.length > budget) break;
    kept.push(line);
    size += line.length + 1;
  }
  if (kept.length === 0) kept.push(clipText(lines[0] ?? '', budget));
  const hidden = lines.length - kept.length;
  return hidden > 0 ? [...kept, `# … ${count(hidden, 'more line')} not shown`].join('\n') : kept.join('\n');
}

/** Joins whole lines up to `max` characters, so markdown is never cut mid-span; says what was left out. */
export function joinWithin(lines: string[], max: number, more: (hidden: number) => string): string {
  const all = lines.join('\n');
  if (all.length <= max) return all;
  const budget = max - MARKER_ROOM;
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length > budget) break;
    kept.push(line);
    size += line.length + 1;
  }
  return [...kept, more(lines.length - kept.length)].join('\n');
}

/** Free text on one line, for a list item. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

export function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** The first `max` ids, and how many more there are. */
export function idList(ids: string[], code: Code, max: number): string {
  const shown = ids.slice(0, max).map(code).join(', ');
  const more = ids.length - Math.min(ids.length, max);
  return more > 0 ? `${shown}, … and ${more.toLocaleString('en-US')} more` : shown;
}
