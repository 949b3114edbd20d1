/**
 * `npm run demo`: the story of the missing route, on a laptop. Starts moto_server (a local AWS
 * emulator) and the Kubernetes API stub, lays out the seed's account through the real AWS APIs, runs
 * `check` as a person would, shows the alert that reached the topic's SQS subscriber, and cleans up.
 */

import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeRouteTablesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { formatAlert } from '../functions/alerts/formatAlert.js';
import type { Report } from '../functions/core/model/types.js';
import { type ReceivedAlert, readAlerts } from '../test/support/alertQueue.js';
import { type KubernetesStub, startKubernetesStub } from '../test/support/kubernetesStub.js';
import { harnessClientConfig, type MotoServer, startMotoServer } from '../test/support/motoServer.js';
import { runCli } from '../test/support/runCli.js';
import { buildSeedAccount } from '../test/support/seedAccount.js';
import { createStateTable } from '../test/support/stateTable.js';

// The SDK's notice that future versions need Node 22 is not part of the story.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const started = Date.now();
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (text: string) => console.log(`\n${bold(`▶ ${text}`)}`);
const indent = (text: string, by = '  ') => text.replace(/^/gm, by);

async function main(): Promise<void> {
  let moto: MotoServer | undefined;
  let stub: KubernetesStub | undefined;
  try {
    step('Starting moto_server (AWS emulator) and a Kubernetes API stub on loopback');
    [moto, stub] = await Promise.all([
      startMotoServer(),
      startKubernetesStub({ clusterName: 'eks-workshop' }),
    ]);
    console.log(`  AWS endpoint ${moto.endpoint}, Kubernetes API ${stub.url}`);

    step('Laying out the account of the story (VPC 10.42.0.0/16, us-west-2)');
    const seed = await buildSeedAccount(moto.endpoint);
    const { default: healthy, new: broken } = seed.nodegroups;
    console.log(
      indent(
        [
          `cluster ${seed.clusterName}, NAT gateway ${seed.natGatewayId} in public subnet ${seed.publicSubnetId}`,
          `nodegroup ${healthy.name}: subnet ${healthy.subnetId}, route table ${healthy.routeTableId} (0.0.0.0/0 → ${seed.natGatewayId}), instance ${healthy.instanceIds.join(', ')}`,
          `nodegroup ${broken.name}: subnet ${broken.subnetId} (10.42.192.0/19), route table ${broken.routeTableId} (local route only), instance ${broken.instanceIds.join(', ')}`,
        ].join('\n'),
      ),
    );
    // The healthy node registers with the API server; the unjoined one never can.
    for (const instanceId of healthy.instanceIds) {
      stub.addNode({ instanceId, availabilityZone: seed.availabilityZone, nodegroup: healthy.name });
    }
    console.log(`  kubectl get nodes: 1 node (${healthy.name}); nothing from ${broken.name}`);

    const env = {
      ...moto.env,
      KUBERNETES_API_URL: stub.url,
      STATE_TABLE: await createStateTable(moto.endpoint),
    };
    const cli = async (args: string[]) => {
      const run = await runCli(
        ['check', '--cluster', seed.clusterName, '--join-window', '0', '--topic-arn', seed.topicArn, ...args],
        env,
      );
      console.log(indent(run.stdout.trimEnd(), '  │ '));
      if (run.stderr) console.log(indent(run.stderr.trimEnd(), '  ! '));
      console.log(`\n  exit code ${run.code}`);
    };

    console.log(`\n${bold('ACT 1 — notify: find it, explain it, tell the team')}`);
    step('Running: npm run --silent cli -- check --cluster eks-workshop --join-window 0 --topic-arn …');
    console.log(
      '  (the instances were launched seconds ago, so the demo judges them at once instead of after 300 s)\n',
    );
    await cli([]);

    step('The alert, as received by the SQS subscriber of the SNS topic');
    const [alert] = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000 });
    if (!alert) throw new Error('no alert arrived on the queue');
    showAlert(alert, true);

    console.log(`\n${bold('ACT 2 — remediate: the same fix the runbook does by hand, hands-off')}`);
    step(
      'Running: npm run --silent cli -- check --cluster eks-workshop --nodegroup new_nodegroup_2 --policy remediate …',
    );
    await cli(['--nodegroup', broken.name, '--policy', 'remediate']);

    const ec2 = new EC2Client(harnessClientConfig(moto.endpoint));
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [broken.routeTableId] }),
    );
    step(`Route table ${broken.routeTableId} now`);
    for (const r of RouteTables?.[0]?.Routes ?? []) {
      console.log(`  ${r.DestinationCidrBlock} → ${r.NatGatewayId ?? r.GatewayId} (${r.State})`);
    }
    const asg = new AutoScalingClient(harnessClientConfig(moto.endpoint));
    const { AutoScalingGroups } = await asg.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [broken.autoScalingGroupName] }),
    );
    const replacements = (AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId ?? '');
    console.log(
      `  ${broken.autoScalingGroupName} launched ${replacements.join(', ')} in place of ${broken.instanceIds.join(', ')}`,
    );

    step('The replacement boots with a way out through the NAT gateway and registers');
    for (const instanceId of replacements) {
      stub.addNode({ instanceId, availabilityZone: seed.availabilityZone, nodegroup: broken.name });
    }
    console.log(
      `  kubectl get nodes -l eks.amazonaws.com/nodegroup=${broken.name}: ${replacements.length} node(s) Ready`,
    );

    step('Running the check again (the Lambda does this on the replacement launch event)');
    await cli(['--nodegroup', broken.name, '--policy', 'remediate']);

    step('Alerts of act 2, on the same Slack thread');
    for (const received of await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000, min: 2 })) {
      showAlert(received, false);
    }
  } finally {
    step('Cleaning up');
    await Promise.all([moto?.stop(), stub?.close()]);
    console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** One received alert: its subject and attributes, and (in full) what Slack shows of the same message. */
function showAlert(alert: ReceivedAlert, full: boolean): void {
  const report = JSON.parse(alert.message) as Report;
  const nodegroup = report.nodegroups[0];
  const attributes = Object.entries(alert.messageAttributes)
    .map(([k, v]) => `${k}=${v.value}`)
    .join(', ');
  console.log(`  subject: ${alert.subject}\n  attributes: ${attributes}`);
  if (!nodegroup) return;
  const chat = JSON.parse(formatAlert(report, nodegroup).structure.default);
  if (!full) {
    console.log(indent(chat.content.title, '  ┃ '));
    return;
  }
  console.log(`  body (sqs/lambda): the JSON report of ${report.nodegroups.map((n) => n.name).join(', ')}`);
  console.log(
    "\n  What Slack shows (the same message's default key, an Amazon Q Developer custom notification):",
  );
  console.log(indent(`${chat.content.title}\n\n${chat.content.description}`, '  ┃ '));
  console.log(
    indent(`Next steps:\n${chat.content.nextSteps.map((s: string) => `• ${s}`).join('\n')}`, '  ┃ '),
  );
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
