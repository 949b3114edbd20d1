/**
 * Reads the role ARNs out of the `mapRoles` value of the aws-auth ConfigMap without a YAML library.
 * It understands the shapes aws-auth is written in: a block list of maps as EKS, eksctl and kubectl
 * write it (keys in any order, quoted or plain keys and values, comments, nested `groups` lists), a
 * block list of flow maps (`- {rolearn: ..., username: ...}`) and JSON (Terraform's jsonencode).
 * Anything else is not guessed at: the result is then undefined, "could not be read".
 */

/** The ConfigMap's name and namespace, and the key holding role mappings. */
export const AWS_AUTH = { namespace: 'kube-system', name: 'aws-auth', mapRolesKey: 'mapRoles' } as const;

/**
 * The `rolearn` of every entry of `mapRoles`, in order. `[]` for an empty list; undefined when the
 * text is not a list of maps this parser understands (so no finding is built on a misreading).
 */
export function parseMapRolesArns(mapRoles: string): string[] | undefined {
  const text = mapRoles.replace(/^\uFEFF/, '');
  const meaningful = text.split(/\r?\n/).filter((line) => !isBlankOrComment(line));
  if (meaningful.length === 0) return [];
  const first = (meaningful[0] as string).trim();
  if (first.startsWith('[')) return parseJsonOrFlowList(meaningful.join('\n'));
  if (!first.startsWith('-')) return undefined;
  return parseBlockList(meaningful);
}

function isBlankOrComment(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#') || trimmed === '---';
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** A YAML block sequence of maps: `- key: value` then `  key: value` lines at the item's key column. */
function parseBlockList(lines: string[]): string[] | undefined {
  if (lines.some((line) => /^\s*\t/.test(line))) return undefined; // tabs are not YAML indentation
  const listIndent = indentOf(lines[0] as string);
  const arns: string[] = [];
  let item: { keyColumn: number; rolearn?: string } | undefined;
  const finish = () => {
    if (item?.rolearn) arns.push(item.rolearn);
  };
  for (const line of lines) {
    const indent = indentOf(line);
    if (indent < listIndent) return undefined;
    const body = line.slice(indent);
    if (indent === listIndent) {
      const entry = /^-(\s+|$)(.*)$/.exec(body);
      if (!entry) return undefined; // a key at list level: not a list of maps
      finish();
      const rest = entry[2] ?? '';
      const keyColumn = indent + 1 + (entry[1] ?? '').length;
      item = { keyColumn };
      if (rest.trim() === '') continue;
      if (rest.trimStart().startsWith('{')) {
        const map = parseFlowMap(rest.trim());
        if (!map) return undefined;
        if (map.rolearn) item.rolearn = map.rolearn;
        continue;
      }
      const pair = parseKeyLine(rest);
      if (!pair || (pair.key === 'rolearn' && pair.value === undefined)) return undefined;
      if (pair.key === 'rolearn') item.rolearn = pair.value;
      continue;
    }
    if (!item) return undefined;
    // A line at the item's key column is a key of the item, unless it is an entry of a list value
    // (YAML lets `groups:` entries start at the key's own column). Deeper lines belong to a value.
    if (indent === item.keyColumn && !body.startsWith('-')) {
      const pair = parseKeyLine(body);
      // A rolearn this parser cannot read (a block scalar, say) must not read as "not mapped".
      if (!pair || (pair.key === 'rolearn' && pair.value === undefined)) return undefined;
      if (pair.key === 'rolearn') item.rolearn = pair.value;
    } else if (indent < item.keyColumn && !body.startsWith('-')) {
      return undefined;
    }
  }
  finish();
  return arns;
}

/** `key: value`, `"key": 'value'  # comment`, `key:` (value on the following lines). */
function parseKeyLine(text: string): { key: string; value?: string } | undefined {
  const match = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[A-Za-z0-9_-]+)\s*:(?:\s+(.*)|\s*)$/.exec(text.trim());
  if (!match) return undefined;
  const key = unquote(match[1] as string);
  if (key === undefined) return undefined;
  const raw = match[2];
  if (raw === undefined || raw.trim() === '' || raw.trim().startsWith('#')) return { key };
  const value = scalar(raw);
  return value === undefined ? { key } : { key, value };
}

/** A plain, single- or double-quoted scalar, without a trailing comment. */
function scalar(raw: string): string | undefined {
  const text = raw.trim();
  if (text.startsWith('"') || text.startsWith("'")) {
    const quote = text[0] === '"' ? /^"((?:[^"\\]|\\.)*)"/ : /^'((?:[^']|'')*)'/;
    const match = quote.exec(text);
    if (!match) return undefined;
    return unquote(match[0]);
  }
  // Plain scalar: a comment starts at " #".
  const value = text.replace(/\s+#.*$/, '').trim();
  // Block scalars (`|`, `>-`), flow collections, anchors and aliases are not values this parser reads.
  if (value === '' || /^[|>][-+0-9]*$/.test(value) || /^[[{&*!]/.test(value)) {
    return undefined;
  }
  return value;
}

function unquote(token: string): string | undefined {
  if (token.startsWith('"')) {
    try {
      return JSON.parse(token) as string;
    } catch {
      return undefined;
    }
  }
  if (token.startsWith("'")) return token.slice(1, -1).replaceAll("''", "'");
  return token;
}

/** JSON (`[{"rolearn": ...}]`), else a YAML flow list of flow maps. */
function parseJsonOrFlowList(text: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return undefined;
    const arns: string[] = [];
    for (const entry of parsed) {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
      const arn = (entry as Record<string, unknown>).rolearn;
      if (typeof arn === 'string' && arn) arns.push(arn);
    }
    return arns;
  } catch {
    // not JSON: a YAML flow list, handled below
  }
  const inner = text.trim();
  if (!inner.endsWith(']')) return undefined;
  const items = splitTopLevel(inner.slice(1, -1), ',');
  if (!items) return undefined;
  const arns: string[] = [];
  for (const item of items) {
    if (item.trim() === '') continue;
    const map = parseFlowMap(item.trim());
    if (!map) return undefined;
    if (map.rolearn) arns.push(map.rolearn);
  }
  return arns;
}

/** `{rolearn: arn:aws:iam::1:role/x, username: "system:node:{{EC2PrivateDNSName}}", groups: [a, b]}` */
function parseFlowMap(text: string): Record<string, string> | undefined {
  if (!text.startsWith('{')) return undefined;
  const withoutComment = text.replace(/\}\s+#.*$/, '}');
  if (!withoutComment.endsWith('}')) return undefined;
  const pairs = splitTopLevel(withoutComment.slice(1, -1), ',');
  if (!pairs) return undefined;
  const map: Record<string, string> = {};
  for (const pair of pairs) {
    if (pair.trim() === '') continue;
    const match = /^\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[A-Za-z0-9_-]+)\s*:\s*([\s\S]*)$/.exec(pair);
    if (!match) return undefined;
    const key = unquote(match[1] as string);
    if (key === undefined) return undefined;
    const raw = (match[2] ?? '').trim();
    const nested = raw.startsWith('[') || raw.startsWith('{'); // a nested collection (groups)
    const value = nested ? undefined : raw.startsWith('"') || raw.startsWith("'") ? unquote(raw) : raw;
    if (value !== undefined && value !== '') map[key] = value;
    else if (key === 'rolearn') return undefined;
  }
  return map;
}

/**
 * Splits on `separator` outside quotes and brackets. Plain scalars may hold `:` and `{{ }}` (the
 * username template), so only quotes and `[]`/`{}` nesting matter. Undefined when unbalanced.
 */
function splitTopLevel(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let quote: '"' | "'" | undefined;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      current += c;
      if (quote === '"' && c === '\\') {
        current += text[i + 1] ?? '';
        i += 1;
      } else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") {
          current += "'";
          i += 1;
        } else {
          quote = undefined;
        }
      }
      continue;
    }
    if ((c === '"' || c === "'") && current.trim() === '') quote = c;
    else if ((c === '"' || c === "'") && /:\s*$/.test(current)) quote = c;
    else if (c === '[' || c === '{') depth += 1;
    else if (c === ']' || c === '}') depth -= 1;
    if (depth < 0) return undefined;
    if (c === separator && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (quote || depth !== 0) return undefined;
  parts.push(current);
  return parts;
}
