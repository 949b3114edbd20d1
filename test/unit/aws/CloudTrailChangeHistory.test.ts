import {
  CloudTrailClient,
  CloudTrailServiceException,
  type Event,
  LookupEventsCommand,
} from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CloudTrailChangeHistory,
  RateLimiter,
  toChangeEvent,
} from '../../../functions/aws/CloudTrailChangeHistory.js';
import { annotateChanges } from '../../../functions/core/check/annotateChanges.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import { namedError, serviceError } from '../../support/sdkErrors.js';

const cloudTrail = mockClient(CloudTrailClient);

beforeEach(() => {
  cloudTrail.reset();
});

const ACCOUNT = '123456789012';
const TABLE = 'rtb-0f1e2d3c4b5a69788';
const ROLE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/platform-admin/jdoe@example.com`;
const SINCE = new Date('2026-08-28T10:05:00.000Z');
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

const client = (region = 'us-west-2') =>
  new CloudTrailClient({ region, credentials: CREDENTIALS, maxAttempts: 1 });

/** A clock that only moves when the code under test sleeps: simulated time, no real waiting. */
function simulatedTime() {
  let now = 0;
  const limiter = new RateLimiter({
    perSecond: 2,
    now: () => now,
    sleep: async (ms) => {
      const wakeAt = now + ms;
      await Promise.resolve();
      now = Math.max(now, wakeAt);
    },
  });
  return { limiter, now: () => now };
}

/**
 * A LookupEvents event as CloudTrail returns it: the summary fields, the resources, and the whole
 * record as a JSON string in CloudTrailEvent.
 */
function ec2Event(
  eventName: string,
  eventTime: string,
  options: {
    requestParameters?: unknown;
    userIdentity?: unknown;
    readOnly?: boolean;
    errorCode?: string;
  } = {},
): Event {
  const eventId = `${eventName.toLowerCase()}-${eventTime}`;
  const readOnly = options.readOnly ?? false;
  const userIdentity = options.userIdentity ?? {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEID1234567:jdoe@example.com',
    arn: ROLE_SESSION,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEXAMPLEKEY123456',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEID1234567',
        arn: `arn:aws:iam::${ACCOUNT}:role/platform-admin`,
        accountId: ACCOUNT,
        userName: 'platform-admin',
      },
      attributes: { creationDate: '2026-11-26T09:41:07Z', mfaAuthenticated: 'false' },
    },
  };
  const record = {
    eventVersion: '1.10',
    userIdentity,
    eventTime: eventTime.replace('.000Z', 'Z'),
    eventSource: 'ec2.amazonaws.com',
    eventName,
    awsRegion: 'us-west-2',
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.7',
    requestParameters: options.requestParameters ?? {
      routeTableId: TABLE,
      destinationCidrBlock: '0.0.0.0/0',
    },
    ...(options.errorCode
      ? { errorCode: options.errorCode, errorMessage: 'You are not authorized to perform this operation.' }
      : { responseElements: { requestId: '0a1b2c3d-1111-2222-3333-444455556666', _return: true } }),
    requestID: '0a1b2c3d-1111-2222-3333-444455556666',
    eventID: eventId,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: 'ec2.us-west-2.amazonaws.com',
    },
  };
  return {
    EventId: eventId,
    EventName: eventName,
    ReadOnly: String(readOnly),
    AccessKeyId: 'ASIAEXAMPLEKEY123456',
    EventTime: new Date(eventTime),
    EventSource: 'ec2.amazonaws.com',
    Username: 'jdoe@example.com',
    Resources: [{ ResourceType: 'AWS::EC2::RouteTable', ResourceName: TABLE }],
    CloudTrailEvent: JSON.stringify(record),
  };
}

const deleteRoute = ec2Event('DeleteRoute', '2026-11-26T10:02:00.000Z');

describe('CloudTrailChangeHistory', () => {
  it('asks LookupEvents for the resource since the given time, 50 a page, and reads who made each call', async () => {
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [deleteRoute] });
    const history = new CloudTrailChangeHistory({ client: client(), limiter: simulatedTime().limiter });

    const events = await history.lookupEvents(TABLE, SINCE);

    expect(cloudTrail).toHaveReceivedCommandWith(LookupEventsCommand, {
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: TABLE }],
      StartTime: SINCE,
      MaxResults: 50,
    });
    expect(events).toEqual([
      {
        eventName: 'DeleteRoute',
        eventTime: '2026-11-26T10:02:00.000Z',
        eventSource: 'ec2.amazonaws.com',
        principalArn: ROLE_SESSION,
        userName: 'jdoe@example.com',
        eventId: 'deleteroute-2026-11-26T10:02:00.000Z',
        readOnly: false,
      },
    ]);
  });

  it('follows NextToken and returns both pages newest first', async () => {
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({
        Events: [
          ec2Event('DeleteRoute', '2026-11-26T10:02:00.000Z'),
          ec2Event('CreateTags', '2026-11-20T08:00:00.000Z'),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({ Events: [ec2Event('CreateRoute', '2026-09-01T08:00:00.000Z')] });
    const history = new CloudTrailChangeHistory({ client: client(), limiter: simulatedTime().limiter });

    const events = await history.lookupEvents(TABLE, SINCE);

    expect(cloudTrail).toHaveReceivedCommandTimes(LookupEventsCommand, 2);
    expect(cloudTrail.commandCalls(LookupEventsCommand)[1]?.args[0].input).toMatchObject({
      NextToken: 'page-2',
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: TABLE }],
    });
    expect(events.map((e) => e.eventName)).toEqual(['DeleteRoute', 'CreateTags', 'CreateRoute']);
  });

  it('reads a bounded number of pages of a history that never ends', async () => {
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [deleteRoute], NextToken: 'again' });
    const history = new CloudTrailChangeHistory({
      client: client(),
      limiter: simulatedTime().limiter,
      maxPages: 3,
    });

    await history.lookupEvents(TABLE, SINCE);

    expect(cloudTrail).toHaveReceivedCommandTimes(LookupEventsCommand, 3);
  });

  it('reads each resource once per instance: the second asker gets the first answer', async () => {
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [deleteRoute] });
    const history = new CloudTrailChangeHistory({ client: client(), limiter: simulatedTime().limiter });

    const [first, second] = await Promise.all([
      history.lookupEvents(TABLE, SINCE),
      history.lookupEvents(TABLE, SINCE),
    ]);

    expect(second).toBe(first);
    expect(cloudTrail).toHaveReceivedCommandTimes(LookupEventsCommand, 1);
  });

  it('throws an AwsCallError naming cloudtrail:LookupEvents when access is denied, which the check reports as ACCESS_DENIED', async () => {
    cloudTrail
      .on(LookupEventsCommand)
      .rejects(
        serviceError(
          CloudTrailServiceException,
          'AccessDeniedException',
          `User: arn:aws:sts::${ACCOUNT}:assumed-role/eks-join-remediator/fn is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action`,
        ),
      );
    const history = new CloudTrailChangeHistory({ client: client(), limiter: simulatedTime().limiter });

    const error = await history.lookupEvents(TABLE, SINCE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).message).toContain(
      "(grant cloudtrail:LookupEvents to the caller's IAM role)",
    );

    const [annotated] = await annotateChanges(
      [
        {
          code: 'NO_DEFAULT_ROUTE',
          severity: 'critical',
          resourceId: TABLE,
          routeTableId: TABLE,
          message: '',
          fix: '',
        },
      ],
      {
        changes: new CloudTrailChangeHistory({ client: client(), limiter: simulatedTime().limiter }),
        log: silentLog,
      },
      new Date('2026-11-26T10:05:00Z'),
    );
    expect(annotated?.lastChange).toMatchObject({ found: false, why: 'ACCESS_DENIED' });
  });

  it('throttling left after the SDK’s retries is an AwsCallError that says so', async () => {
    cloudTrail.on(LookupEventsCommand).rejects(namedError('ThrottlingException', 'Rate exceeded'));
    const history = new CloudTrailChangeHistory({ client: client(), limiter: simulatedTime().limiter });
    await expect(history.lookupEvents(TABLE, SINCE)).rejects.toThrow(/throttled after retries/);
  });
});

describe('the LookupEvents rate: 2 calls per second per account and region', () => {
  it('spaces 5 lookups over at least 2 s of simulated time, one call every 500 ms', async () => {
    const time = simulatedTime();
    const sentAt: number[] = [];
    cloudTrail.on(LookupEventsCommand).callsFake(async () => {
      sentAt.push(time.now());
      return { Events: [] };
    });
    const history = new CloudTrailChangeHistory({ client: client(), limiter: time.limiter });

    for (const id of ['rtb-01', 'rtb-02', 'rtb-03', 'rtb-04', 'rtb-05'])
      await history.lookupEvents(id, SINCE);

    expect(time.now()).toBeGreaterThanOrEqual(2000);
    expect(sentAt).toEqual([0, 500, 1000, 1500, 2000]);
  });

  it('refuses a turn further off than the check will wait, without taking it', async () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, maxWaitMs: 1000, now: () => now, sleep: async () => {} });
    await limiter.take(); // 0
    await limiter.take(); // 500
    await limiter.take(); // 1000
    await expect(limiter.take()).rejects.toThrow(/too many CloudTrail lookups queued/);
    now = 1000;
    await expect(limiter.take()).resolves.toBeUndefined();
  });

  describe('on real timers (faked)', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('spaces concurrent lookups the same way, pages included', async () => {
      const sentAt: number[] = [];
      const start = Date.now();
      cloudTrail.on(LookupEventsCommand).callsFake(async (input: { NextToken?: string }) => {
        sentAt.push(Date.now() - start);
        return input.NextToken ? { Events: [] } : { Events: [], NextToken: 'more' };
      });
      const history = new CloudTrailChangeHistory({
        client: client(),
        limiter: new RateLimiter({ perSecond: 2 }),
      });

      const all = Promise.all(['rtb-01', 'rtb-02', 'rtb-03'].map((id) => history.lookupEvents(id, SINCE)));
      await vi.runAllTimersAsync();
      await all;

      expect(sentAt).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    });

    it('a second instance waits for the first one’s turn in the same region, not in another', async () => {
      cloudTrail.on(LookupEventsCommand).resolves({ Events: [] });
      // Regions of their own: the process-wide limiters outlive this test.
      const first = new CloudTrailChangeHistory({ client: client('eu-north-1') });
      const second = new CloudTrailChangeHistory({ client: client('eu-north-1') });
      const elsewhere = new CloudTrailChangeHistory({ client: client('ap-southeast-4') });

      await first.lookupEvents(TABLE, SINCE);
      let secondDone = false;
      const waiting = second.lookupEvents(TABLE, SINCE).then(() => {
        secondDone = true;
      });
      await elsewhere.lookupEvents(TABLE, SINCE);
      await vi.advanceTimersByTimeAsync(400);
      expect(secondDone).toBe(false);
      expect(cloudTrail).toHaveReceivedCommandTimes(LookupEventsCommand, 2);

      await vi.advanceTimersByTimeAsync(100);
      await waiting;
      expect(cloudTrail).toHaveReceivedCommandTimes(LookupEventsCommand, 3);
    });
  });
});

describe('toChangeEvent: one CloudTrail event as a change', () => {
  it('drops a call that failed: it changed nothing', () => {
    expect(
      toChangeEvent(
        ec2Event('DeleteRoute', '2026-11-26T10:02:00.000Z', { errorCode: 'Client.UnauthorizedOperation' }),
      ),
    ).toBeUndefined();
  });

  it('names a service acting on its own (no ARN) by invokedBy', () => {
    const event = ec2Event('DeleteNatGateway', '2026-11-26T09:12:00.000Z', {
      requestParameters: { DeleteNatGatewayRequest: { NatGatewayId: 'nat-0dead000000000000' } },
      userIdentity: { type: 'AWSService', invokedBy: 'cloudformation.amazonaws.com' },
    });
    delete event.Username;
    expect(toChangeEvent(event)).toMatchObject({
      eventName: 'DeleteNatGateway',
      userName: 'cloudformation.amazonaws.com',
    });
    expect(toChangeEvent(event)).not.toHaveProperty('principalArn');
  });

  it('keeps read-only as CloudTrail says it', () => {
    expect(
      toChangeEvent(ec2Event('DescribeRouteTables', '2026-11-26T10:00:00.000Z', { readOnly: true })),
    ).toMatchObject({ readOnly: true });
  });

  it('still gives the event’s own fields when its record is not JSON', () => {
    expect(toChangeEvent({ ...deleteRoute, CloudTrailEvent: '{truncated' })).toMatchObject({
      eventName: 'DeleteRoute',
      eventTime: '2026-11-26T10:02:00.000Z',
      userName: 'jdoe@example.com',
      readOnly: false,
    });
  });
});
