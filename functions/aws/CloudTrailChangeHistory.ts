import { type CloudTrailClient, type Event, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { ChangeEvent, ChangeHistory, Log } from '../core/model/ports.js';
import { silentLog } from '../core/model/ports.js';
import { Memo } from '../Memo.js';
import { awsCall } from './awsCall.js';

/** LookupEvents' quota: 2 calls per second per account and region, shared with everyone in the account. */
export const LOOKUP_EVENTS_PER_SECOND = 2;
/** The most a page holds. */
const PAGE_SIZE = 50;
/** Pages read per resource: the newest 100 events; a busier resource's older changes are not the latest. */
const DEFAULT_MAX_PAGES = 2;
/** A lookup that would wait longer than this for its turn fails instead of holding up the check. */
const DEFAULT_MAX_WAIT_MS = 10_000;

/**
 * Spaces calls at a steady rate: a token bucket that holds one token, so no burst. Turns are taken
 * when asked for, so concurrent callers queue in order. Clock and sleep are injected for tests.
 */
export class RateLimiter {
  readonly #intervalMs: number;
  readonly #maxWaitMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #nextAt = Number.NEGATIVE_INFINITY;

  constructor(options: {
    perSecond: number;
    maxWaitMs?: number;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
  }) {
    this.#intervalMs = 1000 / options.perSecond;
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#now = options.now ?? (() => Date.now());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Waits for the next turn. Throws RateLimitWaitError, taking no turn, when it is too far off. */
  async take(): Promise<void> {
    const now = this.#now();
    const at = Math.max(now, this.#nextAt);
    if (at - now > this.#maxWaitMs) throw new RateLimitWaitError(at - now, this.#maxWaitMs);
    this.#nextAt = at + this.#intervalMs;
    if (at > now) await this.#sleep(at - now);
  }
}

export class RateLimitWaitError extends Error {
  override name = 'RateLimitWaitError';
  constructor(waitMs: number, maxWaitMs: number) {
    super(
      `too many CloudTrail lookups queued in this process: the next turn is ${Math.ceil(waitMs)} ms away, over the ${maxWaitMs} ms a check waits (LookupEvents allows ${LOOKUP_EVENTS_PER_SECOND} calls per second per account and region)`,
    );
  }
}

/**
 * One limiter per region for the whole process (Lambda container): every CloudTrailChangeHistory,
 * of every unit of work, takes its turns from it. Keyed by region only: a process works with one
 * account's credentials.
 */
const limiters = new Memo<RateLimiter>();

export function regionRateLimiter(region: string): RateLimiter {
  return limiters.get(region, () => new RateLimiter({ perSecond: LOOKUP_EVENTS_PER_SECOND }));
}

export interface CloudTrailChangeHistoryOptions {
  client: CloudTrailClient;
  log?: Log;
  /** Default: the process's limiter for the client's region. */
  limiter?: RateLimiter;
  /** Pages read per resource; default 2 (100 events). */
  maxPages?: number;
}

/**
 * ChangeHistory on CloudTrail's event history (LookupEvents by ResourceName, management events of
 * the last 90 days). Each page is one call, spaced to the API's rate; throttling beyond that (others
 * in the account) is retried by the SDK. Each resource is read once per instance (one unit of work):
 * the first lookup's window serves later askers, failures included.
 */
export class CloudTrailChangeHistory implements ChangeHistory {
  readonly #client: CloudTrailClient;
  readonly #log: Log;
  readonly #limiter: RateLimiter | undefined;
  readonly #maxPages: number;
  readonly #lookups = new Map<string, Promise<ChangeEvent[]>>();

  constructor(options: CloudTrailChangeHistoryOptions) {
    this.#client = options.client;
    this.#log = options.log ?? silentLog;
    this.#limiter = options.limiter;
    this.#maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  }

  lookupEvents(resourceName: string, since: Date): Promise<ChangeEvent[]> {
    let lookup = this.#lookups.get(resourceName);
    if (!lookup) {
      lookup = this.#read(resourceName, since);
      this.#lookups.set(resourceName, lookup);
    }
    return lookup;
  }

  async #read(resourceName: string, since: Date): Promise<ChangeEvent[]> {
    const limiter = this.#limiter ?? regionRateLimiter(await this.#client.config.region());
    const events: ChangeEvent[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const token = nextToken;
      const page = await awsCall('cloudtrail:LookupEvents', async () => {
        await limiter.take();
        return this.#client.send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: resourceName }],
            StartTime: since,
            MaxResults: PAGE_SIZE,
            ...(token && { NextToken: token }),
          }),
        );
      });
      pages += 1;
      for (const event of page.Events ?? []) {
        const change = toChangeEvent(event);
        if (change) events.push(change);
      }
      nextToken = page.NextToken;
    } while (nextToken && pages < this.#maxPages);
    if (nextToken) {
      this.#log.debug('CloudTrail history read in part: older events not read', {
        resourceName,
        pages,
        events: events.length,
      });
    }
    // CloudTrail answers newest first; sorted anyway, as the port promises it.
    return events.sort((a, b) => Date.parse(b.eventTime) - Date.parse(a.eventTime));
  }
}

/** The parts of a CloudTrail record (the CloudTrailEvent JSON) read here. */
interface CloudTrailRecord {
  eventTime?: string;
  eventSource?: string;
  eventName?: string;
  readOnly?: boolean;
  errorCode?: string;
  userIdentity?: { type?: string; arn?: string; userName?: string; invokedBy?: string };
}

/**
 * One LookupEvents event as a ChangeEvent; undefined for a call that failed (errorCode set), which
 * changed nothing. The caller's ARN is the record's userIdentity.arn (an assumed-role session, a
 * user); a service acting on its own has none and is named by invokedBy.
 */
export function toChangeEvent(event: Event): ChangeEvent | undefined {
  const record = parseRecord(event.CloudTrailEvent);
  if (record.errorCode) return undefined;
  const eventName = event.EventName ?? record.eventName;
  const eventTime = event.EventTime?.toISOString() ?? record.eventTime;
  if (!eventName || !eventTime) return undefined;
  const eventSource = event.EventSource ?? record.eventSource;
  const principalArn = record.userIdentity?.arn;
  const userName = event.Username ?? record.userIdentity?.userName ?? record.userIdentity?.invokedBy;
  const readOnly = event.ReadOnly !== undefined ? event.ReadOnly === 'true' : record.readOnly;
  return {
    eventName,
    eventTime,
    ...(eventSource && { eventSource }),
    ...(principalArn && { principalArn }),
    ...(userName && { userName }),
    ...(event.EventId && { eventId: event.EventId }),
    ...(readOnly !== undefined && { readOnly }),
  };
}

/** The record, or nothing when it is missing or not JSON: the event's own fields still serve. */
function parseRecord(json: string | undefined): CloudTrailRecord {
  if (!json) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed && typeof parsed === 'object' ? (parsed as CloudTrailRecord) : {};
  } catch {
    return {};
  }
}
