/**
 * Values made once per key and shared. An async maker's promise is shared by concurrent callers; one
 * that rejects is forgotten, so the next caller asks again rather than inherit the failure, and so is
 * one whose value `keep` refuses. With `maxAgeMs`, a value is made afresh once it is that old.
 */
export class Memo<V> {
  readonly #entries = new Map<string, { value: V; madeAt: number }>();
  readonly #keep: ((value: Awaited<V>) => boolean) | undefined;
  readonly #maxAgeMs: number;

  constructor(options: { keep?: (value: Awaited<V>) => boolean; maxAgeMs?: number } = {}) {
    this.#keep = options.keep;
    this.#maxAgeMs = options.maxAgeMs ?? Number.POSITIVE_INFINITY;
  }

  /** The key's value, made by `make` when the memo has none (or only an expired one). */
  get(key: string, make: () => V): V {
    const entry = this.#entries.get(key);
    if (entry && Date.now() - entry.madeAt < this.#maxAgeMs) return entry.value;
    return this.set(key, make());
  }

  /** Keeps `value` for the key in place of what it held (e.g. a read made afresh on purpose). */
  set(key: string, value: V): V {
    const entry = { value, madeAt: Date.now() };
    this.#entries.set(key, entry);
    if (value instanceof Promise) {
      // Only this entry: a newer value set meanwhile stays.
      const forget = () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      };
      value.then((made: Awaited<V>) => this.#keep?.(made) === false && forget(), forget);
    }
    return value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
