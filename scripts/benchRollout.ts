/**
 * Part of `npm run bench` (its own process: the handler reads its configuration once, at import).
 * A rollout on moto: 30 healthy nodegroups, 10 launch events each, delivered as the event source
 * mapping would (30 batches of 10, one after the other, launches of many nodegroups mixed), with a
 * state table. Compared with checking the 30 nodegroups once (one batch, one event each), the
 * rollout must cost at most 1.5× the AWS calls: cost follows the nodegroups, not the batches.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import type { SQSEvent } from 'aws-lambda';
import { recordedActions, startRecording } from '../test/support/awsWrites.js';
import { startKubernetesStub } from '../test/support/kubernetesStub.js';
import { harnessClientConfig, startMotoServer } from '../test/support/motoServer.js';
import { buildSeedAccount, createManagedNodegroup } from '../test/support/seedAccount.js';
import { sqsEventOf } from '../test/support/sqsEvent.js';
import { createStateTable } from '../test/support/stateTable.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const NODEGROUPS = 30;
const EVENTS_PER_NODEGROUP = 10;
const BATCH_SIZE = 10;

function launch(group: string, id: string, time: Date) {
  return {
    version: '0',
    id,
    'detail-type': 'EC2 Instance Launch Successful',
    source: 'aws.autoscaling',
    account: '123456789012',
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-west-2',
    resources: [],
    detail: { AutoScalingGroupName: group, StatusCode: 'InProgress' },
  };
}

const [moto, stub] = await Promise.all([
  startMotoServer(),
  startKubernetesStub({ clusterName: 'eks-workshop' }),
]);
try {
  const seed = await buildSeedAccount(moto.endpoint);
  const config = harnessClientConfig(moto.endpoint);
  const clients = {
    ec2: new EC2Client(config),
    eks: new EKSClient(config),
    autoScaling: new AutoScalingClient(config),
  };
  const groups: string[] = [];
  for (let n = 0; n < NODEGROUPS; n++) {
    const nodegroup = await createManagedNodegroup(clients, {
      cluster: seed.clusterName,
      name: `rollout-${String(n).padStart(2, '0')}`,
      subnetId: seed.nodegroups.default.subnetId,
      routeTableId: seed.nodegroups.default.routeTableId,
      desired: 1,
      clusterSecurityGroupId: seed.clusterSecurityGroupId,
    });
    groups.push(nodegroup.autoScalingGroupName);
    // Every node joins: a healthy rollout.
    for (const instanceId of nodegroup.instanceIds) {
      stub.addNode({ instanceId, availabilityZone: seed.availabilityZone, nodegroup: nodegroup.name });
    }
  }
  Object.assign(process.env, moto.env, {
    KUBERNETES_API_URL: stub.url,
    JOIN_WINDOW_SECONDS: '0',
    ALERT_TOPIC_ARN: seed.topicArn,
    STATE_TABLE: await createStateTable(moto.endpoint),
    POLICY: 'notify',
  });
  const { handler } = await import('../functions/join-check/handler.js');

  const measure = async (batches: SQSEvent[]) => {
    await startRecording(moto.endpoint);
    const k8sBefore = stub.requests.length;
    for (const batch of batches) await handler(batch);
    const actions = await recordedActions(moto.endpoint);
    const byOperation = new Map<string, number>();
    for (const a of actions) byOperation.set(a, (byOperation.get(a) ?? 0) + 1);
    return {
      byOperation: [...byOperation].map(([a, n]) => `${a.split(':')[1]}×${n}`).join(' '),
      calls: actions.length,
      nodegroupReads: actions.filter((a) => a === 'eks:DescribeNodegroup').length,
      k8s: stub.requests.length - k8sBefore,
    };
  };

  // Checking the 30 nodegroups once: one batch, one launch each.
  const once = await measure([
    sqsEventOf(groups.map((g, n) => launch(g, `once-${n}`, new Date(Date.now() - 1000)))),
  ]);

  // The rollout: launched after that check, 10 per nodegroup, mixed across nodegroups, 30 batches of 10.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const launchedAt = new Date();
  const events = Array.from({ length: EVENTS_PER_NODEGROUP }, (_, round) =>
    groups.map((g, n) => launch(g, `rollout-${round}-${n}`, launchedAt)),
  ).flat();
  const batches: SQSEvent[] = [];
  for (let i = 0; i < events.length; i += BATCH_SIZE)
    batches.push(sqsEventOf(events.slice(i, i + BATCH_SIZE)));
  const rollout = await measure(batches);

  const ratio = rollout.calls / once.calls;
  console.log(
    `\nRollout: ${events.length} launch events over ${NODEGROUPS} nodegroups in ${batches.length} batches of ${BATCH_SIZE}, with a state table`,
  );
  console.log('  run                              AWS calls  nodegroup reads  Kubernetes requests');
  console.log(
    `  check the ${NODEGROUPS} nodegroups once      ${String(once.calls).padStart(9)}  ${String(once.nodegroupReads).padStart(15)}  ${String(once.k8s).padStart(19)}`,
  );
  console.log(
    `  the rollout                      ${String(rollout.calls).padStart(9)}  ${String(rollout.nodegroupReads).padStart(15)}  ${String(rollout.k8s).padStart(19)}`,
  );
  console.log(`  ratio: ${ratio.toFixed(2)}× (target: at most 1.5×)`);
  console.log(`  once, by operation: ${once.byOperation}`);
  console.log(`  rollout, by operation: ${rollout.byOperation}`);
  for (const client of Object.values(clients)) client.destroy();
} finally {
  await Promise.all([moto.stop(), stub.close()]);
}
