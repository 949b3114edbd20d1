/**
 * Part of `npm run bench`: how fast a launch into a subnet without egress is alerted, on moto.
 * Each run rebuilds the seed account (new_nodegroup_2's subnet has only the local route), hands the
 * Lambda handler the launch as the (undelayed) launch queue delivers it, 2 s after the instance
 * started, and times (a) the handler, from delivery to its return (static checks, alert published,
 * launch sent back for its window), and (b) delivery to the alert being readable by the topic's SQS
 * subscriber. The first run includes the handler's import and its first SDK connections (a cold start).
 * Its own process: the handler reads its configuration once, at import.
 */

import { readFileSync } from 'node:fs';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startKubernetesStub } from '../test/support/kubernetesStub.js';
import { harnessClientConfig, resetMoto, startMotoServer } from '../test/support/motoServer.js';
import { buildSeedAccount } from '../test/support/seedAccount.js';
import { sqsEventOf } from '../test/support/sqsEvent.js';
import { createStateTable } from '../test/support/stateTable.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// The metrics' EMF lines would fill the tables' output; what they hold is tested in test/unit/metrics.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const RUNS = 6;
const launchSample = JSON.parse(readFileSync('events/asg-launch-successful.json', 'utf8'));

const [moto, stub] = await Promise.all([
  startMotoServer(),
  startKubernetesStub({ clusterName: 'eks-workshop' }),
]);
try {
  const sqs = new SQSClient(harnessClientConfig(moto.endpoint));
  type Handler = (event: unknown, context: never) => Promise<unknown>;
  let handler: Handler | undefined;
  const rows: { handlerMs: number; alertMs: number }[] = [];
  let importMs = 0;
  for (let run = 0; run < RUNS; run++) {
    // The same names every run (moto is reset), so the handler's configuration stays valid.
    await resetMoto(moto.endpoint);
    const seed = await buildSeedAccount(moto.endpoint);
    const table = await createStateTable(moto.endpoint);
    const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-launches' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    stub.setNodes(
      seed.nodegroups.default.instanceIds.map((instanceId) => ({
        instanceId,
        availabilityZone: 'us-west-2a',
        nodegroup: 'default',
      })),
    );
    if (!handler) {
      Object.assign(process.env, moto.env, {
        KUBERNETES_API_URL: stub.url,
        ALERT_TOPIC_ARN: seed.topicArn,
        STATE_TABLE: table,
        JOIN_WINDOW_SECONDS: '300',
      });
      const t = performance.now();
      handler = (await import('../functions/join-check/handler.js')).handler as unknown as Handler;
      importMs = performance.now() - t;
    }
    const event = structuredClone(launchSample);
    event.time = new Date(Date.now() - 2000).toISOString();
    event.detail.AutoScalingGroupName = seed.nodegroups.new.autoScalingGroupName;
    event.detail.EC2InstanceId = seed.nodegroups.new.instanceIds[0];

    const delivered = performance.now();
    await handler?.(sqsEventOf([event], Attributes?.QueueArn), {} as never);
    const handled = performance.now();
    for (;;) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: seed.queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 1 }),
      );
      if (Messages?.length) break;
      if (performance.now() - delivered > 30_000) throw new Error('no alert within 30 s');
    }
    rows.push({ handlerMs: handled - delivered, alertMs: performance.now() - delivered });
  }
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const warm = rows
    .slice(1)
    .map((r) => r.alertMs)
    .sort((a, b) => a - b);
  console.log(
    '\nLaunch into a subnet without egress, delivery to alert (moto, seed account, 2 s after launch):',
  );
  console.log('  run  handler (checks + alert + re-queue)  delivery to alert readable');
  for (const [n, r] of rows.entries()) {
    const cold = n === 0 ? `  (cold: after a ${fmt(importMs)} import)` : '';
    console.log(
      `  ${String(n + 1).padStart(3)}  ${fmt(r.handlerMs).padStart(34)}  ${fmt(r.alertMs).padStart(26)}${cold}`,
    );
  }
  console.log(
    `  warm runs: median ${fmt(warm[Math.floor(warm.length / 2)] ?? 0)}, max ${fmt(warm.at(-1) ?? 0)}; cold: ${fmt((rows[0]?.alertMs ?? 0) + importMs)} including the import`,
  );
} finally {
  await Promise.all([moto.stop(), stub.close()]);
}
