/**
 * `npm run demo`: the story of the missing route, on a laptop. Starts moto_server (a local AWS
 * emulator) and the Kubernetes API stub, lays out the seed's account through the real AWS APIs, runs
 * `check` as a person would, shows the alert that reached the topic's SQS subscriber, and cleans up.
 */
import { formatAlert } from '../functions/alerts/formatAlert.js';
import type { Report } from '../functions/core/types.js';
import { readAlerts } from '../test/support/alertQueue.js';
import { type KubernetesStub, startKubernetesStub } from '../test/support/kubernetesStub.js';
import { type MotoServer, startMotoServer } from '../test/support/motoServer.js';
import { runCli } from '../test/support/runCli.js';
import { buildSeedAccount } from '../test/support/seedAccount.js';

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
    // The healthy node registers with the API server; the stranded one never can.
    for (const instanceId of healthy.instanceIds) {
      stub.addNode({ instanceId, availabilityZone: seed.availabilityZone, nodegroup: healthy.name });
    }
    console.log(`  kubectl get nodes: 1 node (${healthy.name}); nothing from ${broken.name}`);

    step('Running: npm run --silent cli -- check --cluster eks-workshop --join-window 0 --topic-arn …');
    console.log(
      '  (the instances were launched seconds ago, so the demo judges them at once instead of after 300 s)\n',
    );
    const run = await runCli(
      ['check', '--cluster', seed.clusterName, '--join-window', '0', '--topic-arn', seed.topicArn],
      {
        ...moto.env,
        KUBERNETES_API_URL: stub.url,
      },
    );
    console.log(indent(run.stdout.trimEnd(), '  │ '));
    if (run.stderr) console.log(indent(run.stderr.trimEnd(), '  ! '));
    console.log(`\n  exit code ${run.code} (1: a problem remains)`);

    step('The alert, as received by the SQS subscriber of the SNS topic');
    const [alert] = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000 });
    if (!alert) throw new Error('no alert arrived on the queue');
    const report = JSON.parse(alert.message) as Report;
    const attributes = Object.entries(alert.messageAttributes)
      .map(([k, v]) => `${k}=${v.value}`)
      .join(', ');
    console.log(`  subject: ${alert.subject}\n  attributes: ${attributes}`);
    console.log(`  body (sqs/lambda): the JSON report of ${report.nodegroups.map((n) => n.name).join(', ')}`);

    const nodegroup = report.nodegroups[0];
    if (nodegroup) {
      const chat = JSON.parse(formatAlert(report, nodegroup).structure.default);
      console.log(
        `\n  What Slack shows (the same message's default key, an Amazon Q Developer custom notification):`,
      );
      console.log(indent(`${chat.content.title}\n\n${chat.content.description}`, '  ┃ '));
      console.log(
        indent(`Next steps:\n${chat.content.nextSteps.map((s: string) => `• ${s}`).join('\n')}`, '  ┃ '),
      );
    }
  } finally {
    step('Cleaning up');
    await Promise.all([moto?.stop(), stub?.close()]);
    console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
