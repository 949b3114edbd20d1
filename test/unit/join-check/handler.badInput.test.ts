import { readFileSync } from 'node:fs';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { namedError } from '../../support/sdkErrors.js';
import { mockSdkClients, stubLambdaEnvironment } from '../../support/sdkMocks.js';

const ALL = mockSdkClients('eks', 'autoScaling', 'ec2', 'sns', 'sqs', 'sts', 'iam', 'dynamodb');
const { autoScaling, sqs, sts } = ALL;

const OWN_ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '210987654321';
const QUEUE_ARN = `arn:aws:sqs:us-west-2:${OWN_ACCOUNT}:eks-join-remediator-events`;
const LAUNCH = JSON.parse(
  readFileSync(new URL('../../../events/asg-launch-successful.json', import.meta.url), 'utf8'),
);

stubLambdaEnvironment();

beforeEach(() => {
  // No group is found: a launch that gets as far as the tag lookup is skipped as gone.
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
  sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: `https://sqs.us-west-2.amazonaws.com/${OWN_ACCOUNT}/q` });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'again' });
  sts.on(GetCallerIdentityCommand).resolves({ Account: OWN_ACCOUNT });
});

afterEach(() => {
  for (const name of ['JOIN_WINDOW_SECONDS', 'REGIONS']) vi.stubEnv(name, '');
});

/** The handler module parses its configuration at import: a fresh module per test, like a cold start. */
async function coldStart() {
  vi.resetModules();
  return import('../../../functions/join-check/handler.js');
}

/** A launch of the sample, dated `secondsAgo` before now (negative: in the future). */
function launch(secondsAgo = 3600, change: { account?: string; region?: string } = {}) {
  const event = structuredClone(LAUNCH);
  event.time = new Date(Date.now() - secondsAgo * 1000).toISOString();
  Object.assign(event, change);
  return event;
}

function sqsRecord(n: number, body: unknown, requeues?: string): SQSRecord {
  return {
    messageId: `msg-${n}`,
    receiptHandle: `rh-${n}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1795686608520',
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: '1795686908520',
    },
    messageAttributes:
      requeues === undefined
        ? {}
        : {
            requeues: {
              dataType: 'Number',
              stringValue: requeues,
              stringListValues: [],
              binaryListValues: [],
            },
          },
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-west-2',
  };
}

function sqsEvent(...bodies: unknown[]): SQSEvent {
  return { Records: bodies.map((body, n) => sqsRecord(n, body)) };
}

function lambdaContext(account = OWN_ACCOUNT): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'eks-join-remediator',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-west-2:${account}:function:eks-join-remediator`,
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/eks-join-remediator',
    logStreamName: '2026/12/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 600_000,
    done() {},
    fail() {},
    succeed() {},
  };
}

function expectNoAwsCall(except: (keyof typeof ALL)[] = []) {
  for (const [name, client] of Object.entries(ALL)) {
    if (!except.includes(name as keyof typeof ALL)) expect(client, name).not.toHaveReceivedAnyCommand();
  }
}

describe('handler: events dated in the future', () => {
  it('reports a launch dated beyond the join window plus 5 minutes as malformed (DLQ), never re-queued', async () => {
    vi.stubEnv('JOIN_WINDOW_SECONDS', '1800');
    const { handler, handleEvent } = await coldStart();
    const batch = sqsEvent(launch(-(1800 + 600)));

    expect(await handler(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expectNoAwsCall();
    const { outcome } = await handleEvent(batch);
    expect(outcome.notDue).toEqual([]);
    expect(outcome.failed).toEqual([
      {
        id: 'msg-0',
        reason: expect.stringMatching(/^event time .* is 2\d{3} s in the future/),
        malformed: true,
      },
    ]);
  });

  it('reports it as malformed when invoked directly too, without throwing (a retry cannot help)', async () => {
    const { handler } = await coldStart();

    const result = await handler(launch(-3600));

    expect(result).toMatchObject({ checks: [], failed: [{ malformed: true }] });
    expectNoAwsCall();
  });
});

describe('handler: re-queues of one launch are counted and capped', () => {
  it('sends a launch that was sent back twice back once more, carrying requeues 3', async () => {
    vi.stubEnv('JOIN_WINDOW_SECONDS', '1800');
    const { handler } = await coldStart();

    const result = await handler({ Records: [sqsRecord(0, launch(600), '2')] });

    expect(result).toEqual({ batchItemFailures: [] });
    expect(sqs).toHaveReceivedCommandExactlyOnceWith(SendMessageCommand, {
      QueueUrl: `https://sqs.us-west-2.amazonaws.com/${OWN_ACCOUNT}/q`,
      DelaySeconds: 900,
      MessageAttributes: { requeues: { DataType: 'Number', StringValue: '3' } },
    });
  });

  it('reports a launch still not due at the cap as malformed, naming the count, and does not send it back', async () => {
    vi.stubEnv('JOIN_WINDOW_SECONDS', '1800');
    const { handler, handleEvent } = await coldStart();
    // A 1800 s window needs two 900 s delays; the cap is that plus 2.
    const batch: SQSEvent = { Records: [sqsRecord(0, launch(600), '4')] };

    expect(await handler(batch, lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: 'msg-0' }],
    });
    const { outcome } = await handleEvent(batch, lambdaContext());
    expect(outcome.failed).toEqual([
      {
        id: 'msg-0',
        reason: expect.stringMatching(
          /still not due after 4 re-queues \(cap 4 for a join window of 1800 s\): its time cannot be right$/,
        ),
        malformed: true,
      },
    ]);
    expectNoAwsCall();
  });

  it('reports a record whose requeues attribute is not a whole number as malformed', async () => {
    vi.stubEnv('JOIN_WINDOW_SECONDS', '1800');
    const { handleEvent } = await coldStart();

    const { response, outcome } = await handleEvent({ Records: [sqsRecord(0, launch(600), 'many')] });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(outcome.failed).toEqual([
      {
        id: 'msg-0',
        reason: 'record msg-0: the requeues message attribute is not a whole number',
        malformed: true,
      },
    ]);
    expectNoAwsCall();
  });
});

describe('handler: events of another account or an unwatched region', () => {
  it('skips an event of another account without any AWS call', async () => {
    const { handleEvent } = await coldStart();

    const { response, outcome } = await handleEvent(
      sqsEvent(launch(3600, { account: OTHER_ACCOUNT })),
      lambdaContext(),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(outcome.skipped).toEqual([
      {
        id: 'msg-0',
        reason: `event of account ${OTHER_ACCOUNT}, not this function's account ${OWN_ACCOUNT}: skipped without any call (misrouted event bus?)`,
      },
    ]);
    expectNoAwsCall();
  });

  it('takes its own account from the function ARN in Lambda, without calling STS', async () => {
    const { handler } = await coldStart();

    await handler(sqsEvent(launch(3600)), lambdaContext());
    await handler(sqsEvent(launch(3600, { account: OTHER_ACCOUNT })), lambdaContext());

    expect(sts).not.toHaveReceivedAnyCommand();
    // Its own account's launch went on to the tag lookup; the other's did not.
    expect(autoScaling).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 1);
  });

  it('asks STS for its own account once per process, however many invocations, when there is no Lambda context', async () => {
    const { handler } = await coldStart();

    await handler(sqsEvent(launch(3600, { account: OTHER_ACCOUNT })));
    await handler(
      sqsEvent(launch(3600, { account: OTHER_ACCOUNT }), launch(3600, { account: OTHER_ACCOUNT })),
    );

    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expectNoAwsCall(['sts']);
  });

  it('does not ask STS when no event names an account', async () => {
    const event = launch(3600);
    delete event.account;
    const { handler } = await coldStart();

    await handler(sqsEvent(event));

    expect(sts).not.toHaveReceivedAnyCommand();
    expect(autoScaling).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 1);
  });

  it('fails the records for a retry when its own account cannot be read, and asks again next time', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejectsOnce(
        Object.assign(new Error('The security token included in the request is expired'), {
          name: 'ExpiredToken',
          $metadata: {},
        }),
      )
      .resolves({ Account: OWN_ACCOUNT });
    const { handler, handleEvent } = await coldStart();
    const batch = sqsEvent(launch(3600), launch(3600, { account: OTHER_ACCOUNT }));

    const first = await handleEvent(batch);

    expect(first.response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'msg-0' }, { itemIdentifier: 'msg-1' }],
    });
    expect(first.outcome.failed[0]).toEqual({
      id: 'msg-0',
      reason: `cannot tell whether account ${OWN_ACCOUNT} is this function's own (sts:GetCallerIdentity failed: ExpiredToken: The security token included in the request is expired): the record is retried`,
    });
    expectNoAwsCall(['sts']);

    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 2);
  });

  it('throws on a direct invocation whose account cannot be read, so Lambda retries it', async () => {
    sts.on(GetCallerIdentityCommand).rejects(namedError('AccessDenied', 'denied'));
    const { handler } = await coldStart();

    await expect(handler(launch(3600))).rejects.toThrow(/sts:GetCallerIdentity failed: AccessDenied/);
    expectNoAwsCall(['sts']);
  });

  it('skips an event of a region that is not in REGIONS, naming the region, without any AWS call', async () => {
    vi.stubEnv('REGIONS', 'eu-west-1,eu-central-1');
    const { handleEvent } = await coldStart();

    const { response, outcome } = await handleEvent(sqsEvent(launch(3600)), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(outcome.skipped).toEqual([
      {
        id: 'msg-0',
        reason: 'event of region us-west-2, which is not watched (REGIONS: eu-west-1,eu-central-1)',
      },
    ]);
    expectNoAwsCall();
  });

  it("watches only the function's own region by default", async () => {
    const { handleEvent } = await coldStart();

    const { outcome } = await handleEvent(
      sqsEvent(launch(3600, { region: 'ap-south-1' }), launch(3600)),
      lambdaContext(),
    );

    expect(outcome.skipped).toEqual([
      { id: 'msg-0', reason: 'event of region ap-south-1, which is not watched (REGIONS: us-west-2)' },
      { id: 'msg-1', reason: expect.stringContaining('no longer exists') },
    ]);
  });

  it('fails at cold start on a bad REGIONS, naming the variable', async () => {
    vi.stubEnv('REGIONS', 'us-west-2;eu-west-1');

    await expect(coldStart()).rejects.toThrow(/^REGIONS must be a comma-separated list of AWS region names/);
  });
});

describe('handler: odd SQS envelopes', () => {
  it.each([
    ['a null record', null, 'record 1 is null, not an SQS message'],
    ['a record that is a string', 'msg-1', 'record 1 is string, not an SQS message'],
    [
      'a record without messageId',
      { ...sqsRecord(1, launch()), messageId: undefined },
      'record 1 has no messageId',
    ],
    [
      'a record with an empty messageId',
      { ...sqsRecord(1, launch()), messageId: '' },
      'record 1 has no messageId',
    ],
  ])('fails the whole batch on %s, before any AWS call, and logs why', async (_name, odd, reason) => {
    const module = await coldStart();
    const { log } = await import('../../../functions/logger.js');
    const logged = vi.spyOn(log, 'error');
    const batch = { Records: [sqsRecord(0, launch()), odd, sqsRecord(2, launch())] };

    const failure = module.handler(batch);

    // Lambda cannot retry one record without its messageId: an empty or unknown itemIdentifier
    // fails the whole batch, so the handler says so itself by throwing.
    await expect(failure).rejects.toThrow(module.UnusableBatchError);
    await expect(failure).rejects.toThrow(`SQS batch failed as a whole: ${reason}`);
    expect(logged).toHaveBeenCalledWith('SQS record without a usable messageId', { reason });
    await expect(module.handleEvent(batch)).rejects.toMatchObject({ exitCode: 2 });
    expectNoAwsCall();
  });

  it('reports a record that is not from SQS but has a messageId as malformed, and handles the rest', async () => {
    const { handleEvent } = await coldStart();
    const kinesis = { ...sqsRecord(1, launch()), eventSource: 'aws:kinesis' };

    const { response, outcome } = await handleEvent(
      { Records: [sqsRecord(0, launch()), kinesis] },
      lambdaContext(),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
    expect(outcome.failed).toEqual([
      {
        id: 'msg-1',
        reason: 'record msg-1 is not an SQS message (eventSource "aws:kinesis", not "aws:sqs")',
        malformed: true,
      },
    ]);
    expect(outcome.skipped.map((s) => s.id)).toEqual(['msg-0']);
  });

  it('takes an event with a Records array as an SQS batch even when no record is from SQS', async () => {
    const { handler } = await coldStart();
    const { eventSource: _, ...noSource } = sqsRecord(0, launch());

    const result = await handler({
      Records: [noSource, { ...sqsRecord(1, launch()), eventSource: 'aws:sns' }],
    });

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }, { itemIdentifier: 'msg-1' }] });
    expectNoAwsCall();
  });

  it('answers an empty batch with no failures and no call', async () => {
    const { handler } = await coldStart();

    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
    expectNoAwsCall();
  });
});
