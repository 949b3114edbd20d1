import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  EC2Client,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, type SeenRequest, startFaultProxy, unauthorized } from '../support/faultProxy.js';
import { harnessClientConfig, type MotoServer, startMotoServer } from '../support/motoServer.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';
import { createStateTable, STATE_TABLE } from '../support/stateTable.js';

const HOOK_TIMEOUT_MS = 60_000;

/** Clients for one endpoint; maxAttempts 2 as everywhere in the harness. */
function clientsFor(endpoint: string, maxAttempts = 2) {
  const config = { ...harnessClientConfig(endpoint), maxAttempts };
  return {
    ec2: new EC2Client(config),
    eks: new EKSClient(config),
    autoScaling: new AutoScalingClient(config),
    dynamodb: new DynamoDBClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
  };
}
type Clients = ReturnType<typeof clientsFor>;

describe('fault proxy between the AWS SDK and moto', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let seed: SeedAccount;
  /** Through the proxy. */
  let via: Clients;
  /** Through the proxy, without SDK retries. */
  let viaOnce: Clients;
  /** Straight to moto: to see what really happened there. */
  let direct: Clients;
  /** What the proxy saw while the seed was built. */
  let seedRequests: SeenRequest[];

  beforeAll(async () => {
    moto = await startMotoServer();
    proxy = await startFaultProxy(moto.endpoint);
    // The whole seed goes through the proxy: pass-through for EC2, EKS, Auto Scaling, SNS and SQS.
    seed = await buildSeedAccount(proxy.endpoint);
    seedRequests = proxy.requests();
    proxy.clearRequests();
    await createStateTable(moto.endpoint);
    via = clientsFor(proxy.endpoint);
    viaOnce = clientsFor(proxy.endpoint, 1);
    direct = clientsFor(moto.endpoint);
  }, HOOK_TIMEOUT_MS);

  afterEach(() => {
    proxy.clearRules();
    proxy.clearRequests();
  });

  afterAll(async () => {
    for (const clients of [via, viaOnce, direct]) {
      for (const client of Object.values(clients ?? {})) client.destroy();
    }
    await proxy?.close();
    await moto?.stop();
  }, HOOK_TIMEOUT_MS);

  const routesOf = async (routeTableId: string) => {
    const { RouteTables } = await direct.ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }),
    );
    return RouteTables?.[0]?.Routes ?? [];
  };

  it('relays every call unchanged and names each one service:Operation', () => {
    const operations = seedRequests.map((request) => request.operation);
    expect(operations).toEqual(
      expect.arrayContaining([
        'ec2:CreateVpc',
        'ec2:CreateRoute',
        'ec2:CreateNatGateway',
        'ec2:DescribeRouteTables',
        'eks:CreateCluster',
        'eks:CreateNodegroup',
        'eks:DescribeNodegroup',
        'autoscaling:CreateAutoScalingGroup',
        'autoscaling:DescribeAutoScalingGroups',
        'sns:CreateTopic',
        'sns:Subscribe',
        'sqs:CreateQueue',
        'sqs:GetQueueAttributes',
      ]),
    );
    // Nothing left unidentified (an unknown REST route would read 'eks:GET /path').
    expect(operations.filter((operation) => !/^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/.test(operation))).toEqual([]);
    expect(seedRequests.filter((request) => request.fault !== undefined)).toEqual([]);
  });

  it('refuses a non-loopback upstream', async () => {
    await expect(startFaultProxy('http://ec2.us-west-2.amazonaws.com')).rejects.toThrow(/non-loopback/);
  });

  describe('error: answered without reaching moto, with the code as the SDK error name', () => {
    it('EC2 (ec2 query): UnauthorizedOperation on CreateRoute, and no route is created', async () => {
      const { routeTableId } = seed.nodegroups.new;
      proxy.addRule(unauthorized('ec2:CreateRoute'));

      await expect(
        via.ec2.send(
          new CreateRouteCommand({
            RouteTableId: routeTableId,
            DestinationCidrBlock: '0.0.0.0/0',
            NatGatewayId: seed.natGatewayId,
          }),
        ),
      ).rejects.toMatchObject({
        name: 'UnauthorizedOperation',
        message: 'You are not authorized to perform this operation.',
        $metadata: { httpStatusCode: 403 },
      });
      expect(proxy.requests()).toEqual([{ operation: 'ec2:CreateRoute', fault: 'error' }]);
      expect((await routesOf(routeTableId)).map((route) => route.DestinationCidrBlock)).toEqual([
        '10.42.0.0/16',
      ]);
    });

    it('EC2: InvalidRoute.NotFound on ReplaceRoute', async () => {
      // XML-special characters survive the round trip.
      const message = 'no route to 0.0.0.0/0 in "the table" <&>';
      proxy.addRule({
        operation: 'ec2:ReplaceRoute',
        kind: 'error',
        status: 400,
        code: 'InvalidRoute.NotFound',
        message,
      });
      await expect(
        via.ec2.send(
          new ReplaceRouteCommand({
            RouteTableId: seed.nodegroups.default.routeTableId,
            DestinationCidrBlock: '0.0.0.0/0',
            NatGatewayId: seed.natGatewayId,
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidRoute.NotFound', message, $metadata: { httpStatusCode: 400 } });
    });

    it('Auto Scaling (query): AccessDenied on TerminateInstanceInAutoScalingGroup, and the instance stays', async () => {
      const { autoScalingGroupName, instanceIds } = seed.nodegroups.new;
      proxy.addRule({
        operation: 'autoscaling:TerminateInstanceInAutoScalingGroup',
        kind: 'error',
        status: 403,
        code: 'AccessDenied',
        message: 'User is not authorized to perform: autoscaling:TerminateInstanceInAutoScalingGroup',
      });

      await expect(
        via.autoScaling.send(
          new TerminateInstanceInAutoScalingGroupCommand({
            InstanceId: instanceIds[0],
            ShouldDecrementDesiredCapacity: false,
          }),
        ),
      ).rejects.toMatchObject({
        name: 'AccessDenied',
        message: 'User is not authorized to perform: autoscaling:TerminateInstanceInAutoScalingGroup',
        $metadata: { httpStatusCode: 403 },
      });
      const { AutoScalingGroups } = await direct.autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroupName] }),
      );
      expect(AutoScalingGroups?.[0]?.Instances?.map((instance) => instance.InstanceId)).toEqual(instanceIds);
    });

    it('SNS (query): the wire code AuthorizationError on Publish, named as SNS models it', async () => {
      proxy.addRule({ operation: 'sns:Publish', kind: 'error', status: 403, code: 'AuthorizationError' });
      // SNS's model gives its errors an awsQueryError code: the SDK maps the code real SNS sends
      // (AuthorizationError) to the modelled exception's name, as it would against AWS.
      await expect(
        via.sns.send(new PublishCommand({ TopicArn: seed.topicArn, Message: 'hello' })),
      ).rejects.toMatchObject({ name: 'AuthorizationErrorException', $metadata: { httpStatusCode: 403 } });
    });

    it('EKS (REST-JSON): ResourceInUseException on UpdateNodegroupConfig, and the size is unchanged', async () => {
      const nodegroupName = seed.nodegroups.new.name;
      proxy.addRule({
        operation: 'eks:UpdateNodegroupConfig',
        kind: 'error',
        status: 409,
        code: 'ResourceInUseException',
        message: 'Nodegroup is currently being updated',
      });

      await expect(
        via.eks.send(
          new UpdateNodegroupConfigCommand({
            clusterName: seed.clusterName,
            nodegroupName,
            scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 2 },
          }),
        ),
      ).rejects.toMatchObject({
        name: 'ResourceInUseException',
        message: 'Nodegroup is currently being updated',
        $metadata: { httpStatusCode: 409 },
      });
      const { nodegroup } = await direct.eks.send(
        new DescribeNodegroupCommand({ clusterName: seed.clusterName, nodegroupName }),
      );
      expect(nodegroup?.scalingConfig?.desiredSize).toBe(1);
    });

    it('DynamoDB (JSON 1.0): ConditionalCheckFailedException on PutItem, and nothing is written', async () => {
      const key = { pk: { S: 'lock#fault-proxy' }, sk: { S: 'lock' } };
      proxy.addRule({
        operation: 'dynamodb:PutItem',
        kind: 'error',
        status: 400,
        code: 'ConditionalCheckFailedException',
        message: 'The conditional request failed',
      });

      await expect(
        via.dynamodb.send(new PutItemCommand({ TableName: STATE_TABLE, Item: key })),
      ).rejects.toMatchObject({
        name: 'ConditionalCheckFailedException',
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
      });
      const { Item } = await direct.dynamodb.send(new GetItemCommand({ TableName: STATE_TABLE, Key: key }));
      expect(Item).toBeUndefined();
    });

    it('SQS (JSON 1.0, query-compatible): QueueDoesNotExist on SendMessage', async () => {
      proxy.addRule({ operation: 'sqs:SendMessage', kind: 'error', status: 400, code: 'QueueDoesNotExist' });
      await expect(
        via.sqs.send(new SendMessageCommand({ QueueUrl: seed.queueUrl, MessageBody: 'hello' })),
      ).rejects.toMatchObject({ name: 'QueueDoesNotExist', $metadata: { httpStatusCode: 400 } });
    });
  });

  describe('error: the wire shape of each protocol', () => {
    // The SDK reads an error's code from more than one place, so check the bodies themselves.
    const rawCall = (
      service: string,
      path: string,
      init: { body: string; headers: Record<string, string> },
    ) =>
      fetch(`${proxy.endpoint}${path}`, {
        method: 'POST',
        body: init.body,
        headers: {
          ...init.headers,
          authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/us-west-2/${service}/aws4_request, SignedHeaders=host, Signature=0`,
        },
      });
    const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

    it('EC2: <Response><Errors><Error>', async () => {
      proxy.addRule({
        operation: 'ec2:CreateRoute',
        kind: 'error',
        status: 403,
        code: 'UnauthorizedOperation',
        message: 'a & b',
      });
      const response = await rawCall('ec2', '/', {
        body: 'Action=CreateRoute&Version=2016-11-15',
        headers: form,
      });
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(
        /^<\?xml[^>]*>\s*<Response><Errors><Error><Code>UnauthorizedOperation<\/Code><Message>a &amp; b<\/Message><\/Error><\/Errors><RequestID>[-0-9a-f]{36}<\/RequestID><\/Response>$/,
      );
    });

    it('Auto Scaling, SNS: <ErrorResponse> with Type Sender (4xx) or Receiver (5xx)', async () => {
      proxy.addRule({
        operation: 'autoscaling:TerminateInstanceInAutoScalingGroup',
        kind: 'error',
        status: 403,
        code: 'AccessDenied',
        message: 'no',
      });
      proxy.addRule({ operation: 'sns:ListTopics', kind: 'lose-response' });
      const denied = await rawCall('autoscaling', '/', {
        body: 'Action=TerminateInstanceInAutoScalingGroup&Version=2011-01-01',
        headers: form,
      });
      expect(denied.status).toBe(403);
      expect(await denied.text()).toMatch(
        /<ErrorResponse><Error><Type>Sender<\/Type><Code>AccessDenied<\/Code><Message>no<\/Message><\/Error><RequestId>[-0-9a-f]{36}<\/RequestId><\/ErrorResponse>$/,
      );
      const lost = await rawCall('sns', '/', {
        body: 'Action=ListTopics&Version=2010-03-31',
        headers: form,
      });
      expect(lost.status).toBe(500);
      expect(await lost.text()).toMatch(/<Type>Receiver<\/Type><Code>InternalError<\/Code>/);
    });

    it('DynamoDB (X-Amz-Target) and EKS (REST): {"__type", "message"} and x-amzn-errortype', async () => {
      proxy.addRule({
        operation: 'dynamodb:PutItem',
        kind: 'error',
        status: 400,
        code: 'ValidationException',
        message: 'bad',
      });
      proxy.addRule({
        operation: 'eks:UpdateNodegroupConfig',
        kind: 'error',
        status: 409,
        code: 'ResourceInUseException',
      });
      const dynamodb = await rawCall('dynamodb', '/', {
        body: '{}',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.PutItem',
        },
      });
      expect(dynamodb.status).toBe(400);
      expect(dynamodb.headers.get('x-amzn-errortype')).toBe('ValidationException');
      expect(await dynamodb.json()).toEqual({ __type: 'ValidationException', message: 'bad' });

      const eks = await rawCall('eks', '/clusters/c/node-groups/ng/update-config', {
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(eks.status).toBe(409);
      expect(eks.headers.get('x-amzn-errortype')).toBe('ResourceInUseException');
      expect(await eks.json()).toEqual({ __type: 'ResourceInUseException', message: expect.any(String) });
    });
  });

  describe('lose-response: moto carries the request out, the SDK never sees the answer', () => {
    const destination = '192.168.0.0/16';
    const createRoute = (clients: Clients) =>
      clients.ec2.send(
        new CreateRouteCommand({
          RouteTableId: seed.nodegroups.new.routeTableId,
          DestinationCidrBlock: destination,
          NatGatewayId: seed.natGatewayId,
        }),
      );
    const createdRoute = async () =>
      (await routesOf(seed.nodegroups.new.routeTableId)).find(
        (route) => route.DestinationCidrBlock === destination,
      );

    afterEach(async () => {
      if (await createdRoute()) {
        await direct.ec2.send(
          new DeleteRouteCommand({
            RouteTableId: seed.nodegroups.new.routeTableId,
            DestinationCidrBlock: destination,
          }),
        );
      }
    });

    it('HTTP 500 InternalError: the route exists in moto, and the SDK retry gets RouteAlreadyExists', async () => {
      proxy.addRule({ operation: 'ec2:CreateRoute', kind: 'lose-response' });

      await expect(createRoute(via)).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
      expect(await createdRoute()).toMatchObject({ NatGatewayId: seed.natGatewayId, State: 'active' });
      expect(proxy.requests()).toEqual([
        { operation: 'ec2:CreateRoute', fault: 'lose-response' },
        { operation: 'ec2:CreateRoute', fault: undefined },
      ]);
    });

    it('without retries the SDK sees the InternalError itself', async () => {
      proxy.addRule({ operation: 'ec2:CreateRoute', kind: 'lose-response' });

      await expect(createRoute(viaOnce)).rejects.toMatchObject({
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
      expect(await createdRoute()).toMatchObject({ NatGatewayId: seed.natGatewayId });
    });

    it('drop: the connection is cut after moto created the route; the SDK retries into RouteAlreadyExists', async () => {
      proxy.addRule({ operation: 'ec2:CreateRoute', kind: 'lose-response', drop: true });

      await expect(createRoute(via)).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
      expect(await createdRoute()).toMatchObject({ NatGatewayId: seed.natGatewayId });
      expect(proxy.requests().map((request) => request.fault)).toEqual(['lose-response', undefined]);
    });

    it('drop without retries: a network error reaches the caller', async () => {
      proxy.addRule({ operation: 'ec2:CreateRoute', kind: 'lose-response', drop: true });

      await expect(createRoute(viaOnce)).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(await createdRoute()).toBeDefined();
    });
  });

  describe('rewrite: moto answers, the body is changed on the way back', () => {
    it('makes DescribeNatGateways report the NAT gateway as pending (a shorter body)', async () => {
      const natGatewayId = seed.natGatewayId as string;
      proxy.addRule({
        operation: 'ec2:DescribeNatGateways',
        kind: 'rewrite',
        transform: (body) => body.replace('<state>available</state>', '<state>pending</state>'),
      });

      const rewritten = await via.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natGatewayId] }));
      expect(rewritten.NatGateways?.[0]).toMatchObject({ NatGatewayId: natGatewayId, State: 'pending' });
      // moto itself is untouched, and the rule was used up by the one call.
      const real = await direct.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natGatewayId] }));
      expect(real.NatGateways?.[0]?.State).toBe('available');
      const again = await via.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natGatewayId] }));
      expect(again.NatGateways?.[0]?.State).toBe('available');
    });

    it('makes a route a blackhole in DescribeRouteTables (a longer body)', async () => {
      const { routeTableId } = seed.nodegroups.default;
      proxy.addRule({
        operation: 'ec2:DescribeRouteTables',
        kind: 'rewrite',
        transform: (body) =>
          body.replace(
            new RegExp(
              `(<natGatewayId>${seed.natGatewayId}</natGatewayId>[\\s\\S]*?<state>)active(</state>)`,
            ),
            '$1blackhole$2',
          ),
      });

      const { RouteTables } = await via.ec2.send(
        new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }),
      );
      expect(RouteTables?.[0]?.Routes).toContainEqual(
        expect.objectContaining({ NatGatewayId: seed.natGatewayId, State: 'blackhole' }),
      );
      expect(RouteTables?.[0]?.Routes).toContainEqual(
        expect.objectContaining({ GatewayId: 'local', State: 'active' }),
      );
    });

    it('rewrites a REST-JSON answer: DescribeNodegroup reports DEGRADED', async () => {
      proxy.addRule({
        operation: 'eks:DescribeNodegroup',
        kind: 'rewrite',
        transform: (body) => {
          const parsed = JSON.parse(body) as { nodegroup: { status: string } };
          parsed.nodegroup.status = 'DEGRADED';
          return JSON.stringify(parsed);
        },
      });
      const { nodegroup } = await via.eks.send(
        new DescribeNodegroupCommand({
          clusterName: seed.clusterName,
          nodegroupName: seed.nodegroups.new.name,
        }),
      );
      expect(nodegroup?.status).toBe('DEGRADED');
    });
  });

  describe('rules', () => {
    const describeVpcs = () => viaOnce.ec2.send(new DescribeVpcsCommand({}));

    it('apply to the next `times` matching requests, then expire', async () => {
      proxy.addRule({
        operation: 'ec2:DescribeVpcs',
        kind: 'error',
        status: 503,
        code: 'Unavailable',
        times: 2,
      });

      await expect(describeVpcs()).rejects.toMatchObject({ name: 'Unavailable' });
      await expect(describeVpcs()).rejects.toMatchObject({ name: 'Unavailable' });
      const { Vpcs } = await describeVpcs();
      expect(Vpcs?.map((vpc) => vpc.VpcId)).toContain(seed.vpcId);
      expect(proxy.requests().map((request) => request.fault)).toEqual(['error', 'error', undefined]);
    });

    it('default to one request', async () => {
      proxy.addRule(unauthorized('ec2:DescribeVpcs'));

      await expect(describeVpcs()).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
      await expect(describeVpcs()).resolves.toBeDefined();
    });

    it('with times: Infinity apply until clearRules()', async () => {
      proxy.addRule(unauthorized('ec2:DescribeVpcs', { times: Number.POSITIVE_INFINITY }));

      for (let call = 0; call < 4; call++) {
        await expect(describeVpcs()).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
      }
      proxy.clearRules();
      await expect(describeVpcs()).resolves.toBeDefined();
    });

    it('match only their operation', async () => {
      proxy.addRule(unauthorized('ec2:DescribeNatGateways'));

      await expect(describeVpcs()).resolves.toBeDefined();
      await expect(viaOnce.ec2.send(new DescribeNatGatewaysCommand({}))).rejects.toMatchObject({
        name: 'UnauthorizedOperation',
      });
    });

    it('match only requests their predicate accepts (query params), and only those use them up', async () => {
      const { routeTableId } = seed.nodegroups.new;
      proxy.addRule({
        operation: 'ec2:DescribeRouteTables',
        kind: 'error',
        status: 400,
        code: 'InvalidRouteTableID.NotFound',
        when: (request) => request.params['RouteTableId.1'] === routeTableId,
      });

      const other = await viaOnce.ec2.send(
        new DescribeRouteTablesCommand({ RouteTableIds: [seed.nodegroups.default.routeTableId] }),
      );
      expect(other.RouteTables).toHaveLength(1);
      await expect(
        viaOnce.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] })),
      ).rejects.toMatchObject({ name: 'InvalidRouteTableID.NotFound' });
      expect(proxy.requests().map((request) => request.fault)).toEqual([undefined, 'error']);
    });

    it('see REST path labels and JSON bodies in their predicate', async () => {
      proxy.addRule({
        operation: 'eks:DescribeNodegroup',
        kind: 'error',
        status: 404,
        code: 'ResourceNotFoundException',
        when: (request) => request.params.nodegroupName === seed.nodegroups.new.name,
      });
      proxy.addRule({
        operation: 'dynamodb:GetItem',
        kind: 'error',
        status: 400,
        code: 'ValidationException',
        when: (request) => JSON.stringify(request.params.Key).includes('lock#poisoned'),
      });

      const describeNodegroup = (nodegroupName: string) =>
        viaOnce.eks.send(new DescribeNodegroupCommand({ clusterName: seed.clusterName, nodegroupName }));
      await expect(describeNodegroup(seed.nodegroups.default.name)).resolves.toBeDefined();
      await expect(describeNodegroup(seed.nodegroups.new.name)).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });

      const getItem = (pk: string) =>
        viaOnce.dynamodb.send(
          new GetItemCommand({ TableName: STATE_TABLE, Key: { pk: { S: pk }, sk: { S: 'lock' } } }),
        );
      await expect(getItem('lock#fine')).resolves.toBeDefined();
      await expect(getItem('lock#poisoned')).rejects.toMatchObject({ name: 'ValidationException' });
    });

    it('delay: the request reaches moto after the given time', async () => {
      proxy.addRule({ operation: 'ec2:DescribeVpcs', kind: 'delay', ms: 400 });

      const started = Date.now();
      const { Vpcs } = await describeVpcs();
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(Vpcs?.map((vpc) => vpc.VpcId)).toContain(seed.vpcId);
      expect(proxy.requests()).toEqual([{ operation: 'ec2:DescribeVpcs', fault: 'delay' }]);
    });

    it('refuse times <= 0', () => {
      expect(() => proxy.addRule({ operation: 'ec2:DescribeVpcs', kind: 'delay', ms: 1, times: 0 })).toThrow(
        /times must be > 0/,
      );
    });
  });
});
