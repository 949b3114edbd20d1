import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodegroupOfGroup, type ParsedEvent, parseEvent } from '../../../functions/events/parseEvent.js';

type Json = Record<string, unknown>;
type Sample = Json & { detail: Json & { requestParameters?: Json } };

function load(name: string): Sample {
  return JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8')) as Sample;
}

const SAMPLES = {
  launch: load('asg-launch-successful.json'),
  failed: load('asg-launch-unsuccessful.json'),
  create: load('eks-create-nodegroup.json'),
  updateConfig: load('eks-update-nodegroup-config.json'),
};

/** A fresh copy per test, so altering it cannot leak into another test. */
function sample(name: keyof typeof SAMPLES): Sample {
  return structuredClone(SAMPLES[name]);
}

const GROUP = 'eks-new_nodegroup_2-a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b';

function expectMalformed(result: ParsedEvent): string {
  expect(result.kind).toBe('malformed');
  if (result.kind !== 'malformed') throw new Error('unreachable');
  expect(result.reason).toEqual(expect.any(String));
  expect(result.reason.length).toBeGreaterThan(10);
  return result.reason;
}

function expectSkip(result: ParsedEvent): string {
  expect(result.kind).toBe('skip');
  if (result.kind !== 'skip') throw new Error('unreachable');
  expect(result.reason.length).toBeGreaterThan(10);
  return result.reason;
}

describe('parseEvent: Auto Scaling launch', () => {
  it('turns a successful launch into a launch with group, instance, region, account and time', () => {
    expect(parseEvent(sample('launch'))).toEqual({
      kind: 'launch',
      autoScalingGroupName: GROUP,
      instanceId: 'i-0a1b2c3d4e5f60718',
      region: 'us-west-2',
      account: '123456789012',
      time: '2026-11-26T09:50:08Z',
    });
  });

  it('takes the group from the event, whatever it is called', () => {
    const event = sample('launch');
    event.detail.AutoScalingGroupName = 'eks-other-0000';

    expect(parseEvent(event)).toMatchObject({ kind: 'launch', autoScalingGroupName: 'eks-other-0000' });
  });

  it('still checks the group when the event has no instance id, region, account or time', () => {
    const event = sample('launch');
    delete event.detail.EC2InstanceId;
    delete event.region;
    delete event.account;
    delete event.time;

    const result = parseEvent(event);

    expect(result).toEqual({ kind: 'launch', autoScalingGroupName: GROUP });
    expect(result).not.toHaveProperty('instanceId');
    expect(result).not.toHaveProperty('region');
    expect(result).not.toHaveProperty('account');
    expect(result).not.toHaveProperty('time');
  });

  it.each(['EC2 Instance Terminate Successful', 'EC2 Instance-launch Lifecycle Action'])(
    "skips Auto Scaling '%s'",
    (detailType) => {
      const event = sample('launch');
      event['detail-type'] = detailType;

      expect(expectSkip(parseEvent(event))).toContain(detailType);
    },
  );

  it('reports a launch without detail.AutoScalingGroupName as malformed', () => {
    const event = sample('launch');
    delete event.detail.AutoScalingGroupName;

    expect(expectMalformed(parseEvent(event))).toContain('AutoScalingGroupName');
  });

  it.each([[''], [42], [null], [['eks-a']]])(
    'reports a launch whose group name is %j as malformed',
    (value) => {
      const event = sample('launch');
      event.detail.AutoScalingGroupName = value;

      expect(expectMalformed(parseEvent(event))).toContain('AutoScalingGroupName');
    },
  );
});

describe('parseEvent: Auto Scaling launch that failed', () => {
  it('turns an unsuccessful launch into a failure with the status message, cause, subnet, zone and time', () => {
    expect(parseEvent(sample('failed'))).toEqual({
      kind: 'launch-failed',
      autoScalingGroupName: GROUP,
      statusMessage:
        'Instance became unhealthy while waiting for instance to be in InService state. Termination Reason: Client.InternalError: Client error on launch',
      cause: expect.stringContaining('an instance was started in response to a difference'),
      subnetId: 'subnet-0e5e4b6c1d2a3f405',
      availabilityZone: 'us-west-2a',
      region: 'us-west-2',
      account: '123456789012',
      time: '2026-11-26T09:50:41Z',
    });
  });

  it('keeps a failure without a status message, Details or cause: it is still a failed launch', () => {
    const event = sample('failed');
    delete event.detail.StatusMessage;
    delete event.detail.Details;
    delete event.detail.Cause;
    expect(parseEvent(event)).toMatchObject({ kind: 'launch-failed', statusMessage: '' });
    expect(parseEvent(event)).not.toHaveProperty('subnetId');
  });

  it('reports a failure whose status message is not a string, or without a group, as malformed', () => {
    const numeric = sample('failed');
    numeric.detail.StatusMessage = 42;
    expect(expectMalformed(parseEvent(numeric))).toContain('StatusMessage');
    const groupless = sample('failed');
    delete groupless.detail.AutoScalingGroupName;
    expect(expectMalformed(parseEvent(groupless))).toContain('AutoScalingGroupName');
  });

  it('reports a failure dated beyond the join window plus 5 minutes as malformed, like a launch', () => {
    const event = sample('failed');
    const options = { receivedAt: new Date('2026-11-26T09:00:00Z'), joinWindowSeconds: 300 };
    expect(expectMalformed(parseEvent(event, options))).toContain('in the future');
  });
});

describe('parseEvent: EKS nodegroup API calls', () => {
  it('turns CreateNodegroup into a nodegroup check of eks-workshop / new_nodegroup_2', () => {
    expect(parseEvent(sample('create'))).toEqual({
      kind: 'nodegroup',
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      trigger: 'CreateNodegroup',
      region: 'us-west-2',
      account: '123456789012',
      time: '2026-11-26T09:48:51Z',
    });
  });

  it('turns UpdateNodegroupConfig into a nodegroup check', () => {
    expect(parseEvent(sample('updateConfig'))).toEqual({
      kind: 'nodegroup',
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      trigger: 'UpdateNodegroupConfig',
      region: 'us-west-2',
      account: '123456789012',
      time: '2026-11-26T10:05:12Z',
    });
  });

  it('turns UpdateNodegroupVersion into a nodegroup check', () => {
    const event = sample('updateConfig');
    event.detail.eventName = 'UpdateNodegroupVersion';
    event.detail.requestParameters = {
      name: 'eks-workshop',
      nodegroupName: 'new_nodegroup_2',
      releaseVersion: '1.31.3-20241205',
      force: false,
    };

    expect(parseEvent(event)).toMatchObject({
      kind: 'nodegroup',
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      trigger: 'UpdateNodegroupVersion',
    });
  });

  it('accepts clusterName when a tool logs the cluster under that name', () => {
    const event = sample('create');
    const request = event.detail.requestParameters as Json;
    delete request.name;
    request.clusterName = 'eks-workshop';

    expect(parseEvent(event)).toMatchObject({
      kind: 'nodegroup',
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
    });
  });

  it('skips a call that failed: nothing changed', () => {
    const event = sample('create');
    event.detail.errorCode = 'ResourceInUseException';
    event.detail.errorMessage =
      'NodeGroup already exists with name new_nodegroup_2 and cluster name eks-workshop';
    delete event.detail.responseElements;

    const reason = expectSkip(parseEvent(event));

    expect(reason).toContain('CreateNodegroup');
    expect(reason).toContain('ResourceInUseException');
  });

  it('skips a failed call even when its requestParameters are missing', () => {
    const event = sample('updateConfig');
    event.detail.errorCode = 'AccessDenied';
    delete event.detail.requestParameters;

    expectSkip(parseEvent(event));
  });

  it.each(['DeleteNodegroup', 'DescribeCluster', 'CreateCluster', 'TagResource'])(
    'skips EKS %s',
    (eventName) => {
      const event = sample('create');
      event.detail.eventName = eventName;

      expect(expectSkip(parseEvent(event))).toContain(eventName);
    },
  );

  it('skips an EKS event without an eventName', () => {
    const event = sample('create');
    delete event.detail.eventName;

    expectSkip(parseEvent(event));
  });

  it('skips EKS events that are not API calls', () => {
    const event = sample('create');
    event['detail-type'] = 'EKS Nodegroup State Change';

    expect(expectSkip(parseEvent(event))).toContain('EKS Nodegroup State Change');
  });

  it('reports a nodegroup call without requestParameters as malformed', () => {
    const event = sample('create');
    delete event.detail.requestParameters;

    expect(expectMalformed(parseEvent(event))).toContain('requestParameters');
  });

  it('reports a nodegroup call whose requestParameters is not an object as malformed', () => {
    const event = sample('create');
    (event.detail as Json).requestParameters = 'name=eks-workshop';

    expect(expectMalformed(parseEvent(event))).toContain('requestParameters');
  });

  it('reports a nodegroup call without nodegroupName as malformed', () => {
    const event = sample('updateConfig');
    delete event.detail.requestParameters?.nodegroupName;

    expect(expectMalformed(parseEvent(event))).toContain('nodegroupName');
  });

  it('reports a nodegroup call without the cluster name as malformed', () => {
    const event = sample('create');
    delete event.detail.requestParameters?.name;

    expect(expectMalformed(parseEvent(event))).toContain('cluster');
  });

  it.each([[''], [7], [null]])('reports a nodegroup call whose nodegroupName is %j as malformed', (value) => {
    const event = sample('create');
    (event.detail.requestParameters as Json).nodegroupName = value;

    expectMalformed(parseEvent(event));
  });
});

describe('parseEvent: other events', () => {
  it('skips events from other sources', () => {
    const event = sample('launch');
    event.source = 'aws.ec2';
    event['detail-type'] = 'EC2 Instance State-change Notification';
    event.detail = { 'instance-id': 'i-0a1b2c3d4e5f60718', state: 'running' };

    expect(expectSkip(parseEvent(event))).toContain('aws.ec2');
  });

  it('skips an EKS-shaped API call that comes from another source', () => {
    const event = sample('create');
    event.source = 'aws.ec2';

    expect(parseEvent(event).kind).toBe('skip');
  });
});

describe('parseEvent: malformed input', () => {
  it.each([
    ['a string', 'not json at all'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an array', [SAMPLES.launch]],
  ])('reports %s as malformed', (_name, value) => {
    expect(expectMalformed(parseEvent(value))).toContain('not a JSON object');
  });

  it('reports an object without source or detail-type as malformed', () => {
    const event = sample('launch');
    delete event.source;

    expect(expectMalformed(parseEvent(event))).toContain('source');
    expect(expectMalformed(parseEvent({ detail: {} }))).toContain('detail-type');
  });

  it('reports an event without a detail object as malformed', () => {
    const event = sample('launch');
    delete (event as Json).detail;

    expect(expectMalformed(parseEvent(event))).toContain('detail');
  });

  it.each([
    ['a string', 'launched'],
    ['null', null],
    ['an array', []],
  ])('reports an event whose detail is %s as malformed', (_name, detail) => {
    const event = sample('create') as Json;
    event.detail = detail;

    expect(expectMalformed(parseEvent(event))).toContain('detail');
  });

  it('does not alter the event it parses', () => {
    const event = sample('create');
    const before = structuredClone(event);

    parseEvent(event);

    expect(event).toEqual(before);
  });
});

describe('parseEvent: events dated in the future', () => {
  const RECEIVED = new Date('2026-11-26T10:00:00Z');
  const at = (secondsAhead: number) => new Date(RECEIVED.getTime() + secondsAhead * 1000).toISOString();

  it.each(['launch', 'create'] as const)(
    'reports a %s event dated beyond the join window plus 5 minutes as malformed, naming the time',
    (name) => {
      const event = sample(name);
      event.time = at(300 + 300 + 1);

      const reason = expectMalformed(parseEvent(event, { receivedAt: RECEIVED, joinWindowSeconds: 300 }));

      expect(reason).toBe(
        `event time ${event.time} is 601 s in the future, more than the join window (300 s) plus 300 s: the sender's clock or the event is wrong`,
      );
    },
  );

  it.each([
    ['just inside the limit', 300 + 300],
    ['slightly ahead (clock skew)', 30],
    ['in the past', -3600],
  ])('accepts a launch dated %s', (_name, ahead) => {
    const event = sample('launch');
    event.time = at(ahead);

    expect(parseEvent(event, { receivedAt: RECEIVED, joinWindowSeconds: 300 }).kind).toBe('launch');
  });

  it('scales the limit with the join window', () => {
    const event = sample('launch');
    event.time = at(3600);

    expect(parseEvent(event, { receivedAt: RECEIVED, joinWindowSeconds: 1800 }).kind).toBe('malformed');
    expect(parseEvent(event, { receivedAt: RECEIVED, joinWindowSeconds: 3600 }).kind).toBe('launch');
  });

  it('does not judge the time without a receive time, or a time it cannot read', () => {
    const event = sample('launch');
    event.time = '2099-01-01T00:00:00Z';
    expect(parseEvent(event).kind).toBe('launch');

    event.time = 'tomorrow';
    expect(parseEvent(event, { receivedAt: RECEIVED, joinWindowSeconds: 300 }).kind).toBe('launch');
  });

  it('keeps skipping an event it does not handle, whatever its time', () => {
    const event = sample('launch');
    event['detail-type'] = 'EC2 Instance Terminate Successful';
    event.time = '2099-01-01T00:00:00Z';

    expectSkip(parseEvent(event, { receivedAt: RECEIVED, joinWindowSeconds: 300 }));
  });
});

describe('nodegroupOfGroup', () => {
  it('reads cluster and nodegroup from the tags EKS puts on the group', () => {
    expect(
      nodegroupOfGroup({
        'eks:cluster-name': 'eks-workshop',
        'eks:nodegroup-name': 'new_nodegroup_2',
        'k8s.io/cluster-autoscaler/enabled': 'true',
      }),
    ).toEqual({ cluster: 'eks-workshop', nodegroup: 'new_nodegroup_2' });
  });

  it.each([
    ['no tags at all', undefined],
    ['empty tags', {}],
    ['only the cluster tag', { 'eks:cluster-name': 'eks-workshop' }],
    ['only the nodegroup tag', { 'eks:nodegroup-name': 'new_nodegroup_2' }],
    ['an empty cluster tag', { 'eks:cluster-name': '', 'eks:nodegroup-name': 'new_nodegroup_2' }],
    ['a self-managed group', { 'kubernetes.io/cluster/eks-workshop': 'owned', Name: 'self-managed' }],
  ])('says the group is not a managed nodegroup with %s', (_name, tags) => {
    expect(nodegroupOfGroup(tags)).toBeUndefined();
  });
});
