import { afterEach, describe, expect, it, vi } from 'vitest';
import { Memo } from '../../functions/Memo.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Memo', () => {
  it('makes a value once per key', () => {
    const memo = new Memo<{ region: string }>();
    const make = vi.fn((region: string) => ({ region }));

    const first = memo.get('us-west-2', () => make('us-west-2'));
    const again = memo.get('us-west-2', () => make('us-west-2'));
    const other = memo.get('eu-west-1', () => make('eu-west-1'));

    expect(again).toBe(first);
    expect(other).toEqual({ region: 'eu-west-1' });
    expect(make).toHaveBeenCalledTimes(2);
  });

  it('shares one promise between concurrent callers', async () => {
    const memo = new Memo<Promise<string>>();
    const read = vi.fn(async () => 'vpc-1 network');

    const [a, b] = await Promise.all([memo.get('vpc-1', read), memo.get('vpc-1', read)]);

    expect([a, b]).toEqual(['vpc-1 network', 'vpc-1 network']);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('forgets a promise that rejects: the next caller asks again', async () => {
    const memo = new Memo<Promise<string>>();
    const read = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue('url');

    await expect(memo.get('queue', read)).rejects.toThrow('throttled');
    await expect(memo.get('queue', read)).resolves.toBe('url');
    await expect(memo.get('queue', read)).resolves.toBe('url');
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('forgets a value that `keep` refuses', async () => {
    const memo = new Memo<Promise<{ kind: string }>>({ keep: (list) => list.kind !== 'unknown' });
    const read = vi.fn().mockResolvedValueOnce({ kind: 'unknown' }).mockResolvedValue({ kind: 'known' });

    await expect(memo.get('cluster', read)).resolves.toEqual({ kind: 'unknown' });
    await expect(memo.get('cluster', read)).resolves.toEqual({ kind: 'known' });
    await expect(memo.get('cluster', read)).resolves.toEqual({ kind: 'known' });
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('makes a value afresh once it is maxAgeMs old', () => {
    vi.useFakeTimers();
    const memo = new Memo<string>({ maxAgeMs: 1000 });
    let made = 0;
    const make = () => `token ${++made}`;

    expect(memo.get('cluster', make)).toBe('token 1');
    vi.advanceTimersByTime(999);
    expect(memo.get('cluster', make)).toBe('token 1');
    vi.advanceTimersByTime(1);
    expect(memo.get('cluster', make)).toBe('token 2');
  });

  it('keeps a value set in place of one still pending, even when the older one then fails', async () => {
    const memo = new Memo<Promise<string>>();
    let fail: (error: Error) => void = () => {};
    const older = memo.get('cluster', () => new Promise<string>((_, reject) => (fail = reject)));
    const fresh = memo.set('cluster', Promise.resolve('fresh list'));

    fail(new Error('gone'));
    await expect(older).rejects.toThrow('gone');

    expect(memo.get('cluster', () => Promise.resolve('read again'))).toBe(fresh);
  });

  it('forgets a key on request', () => {
    const memo = new Memo<string>();
    memo.get('cluster', () => 'rejected token');

    memo.delete('cluster');

    expect(memo.get('cluster', () => 'new token')).toBe('new token');
  });
});
