/** Every item of every page a paginator yields. */
export async function collect<P, T>(
  pages: AsyncIterable<P>,
  items: (page: P) => T[] | undefined,
): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...(items(page) ?? []));
  return all;
}

/** `items` in slices of at most `size`: one request each, under the API's limit of values per call. */
export function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Every item of every page, for `values` read in slices of at most `size` (the API's limit of values
 * per call), each value once.
 */
export async function collectInSlices<P, T>(
  values: string[],
  size: number,
  pages: (slice: string[]) => AsyncIterable<P>,
  items: (page: P) => T[] | undefined,
): Promise<T[]> {
  const all: T[] = [];
  for (const slice of chunk([...new Set(values)], size)) all.push(...(await collect(pages(slice), items)));
  return all;
}
