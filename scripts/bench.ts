/**
 * `npm run bench`: measures what the performance claims rest on, on the seed account in moto.
 * - AWS calls per invocation for bursts of 1, 10 and 50 launch events (one nodegroup, then two):
 *   cost must follow the nodegroups, not the events.
 * - A rollout of 300 launch events over 30 nodegroups in 30 batches, with a state table, against
 *   checking the 30 nodegroups once (scripts/benchRollout.ts): cost follows nodegroups across batches.
 * - The time from a launch's delivery to its alert, for a launch into a subnet without egress
 *   (scripts/benchLaunchAlert.ts).
 * - The bundle size and the time to import the bundled handler (the cold-start part we control).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import { recordedActions, startRecording } from '../test/support/awsWrites.js';
import { startKubernetesStub } from '../test/support/kubernetesStub.js';
import { startMotoServer } from '../test/support/motoServer.js';
import { buildSeedAccount } from '../test/support/seedAccount.js';
import { sqsEventOf } from '../test/support/sqsEvent.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// The metrics' EMF lines would fill the tables' output; what they hold is tested in test/unit/metrics.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const launchSample = JSON.parse(readFileSync('events/asg-launch-successful.json', 'utf8'));

function sqsBatch(groups: string[], eventsPerGroup: number): SQSEvent {
  return sqsEventOf(
    groups.flatMap((group, g) =>
      Array.from({ length: eventsPerGroup }, (_, n) => {
        const event = structuredClone(launchSample);
        event.id = `bench-${g}-${n}`;
        // Launched now: due after any earlier check, so each burst is checked (not deduplicated away).
        event.time = new Date().toISOString();
        event.detail.AutoScalingGroupName = group;
        return event;
      }),
    ),
  );
}

async function awsCalls(): Promise<void> {
  const [moto, stub] = await Promise.all([
    startMotoServer(),
    startKubernetesStub({ clusterName: 'eks-workshop' }),
  ]);
  try {
    const seed = await buildSeedAccount(moto.endpoint);
    Object.assign(process.env, moto.env, {
      KUBERNETES_API_URL: stub.url,
      JOIN_WINDOW_SECONDS: '0',
      ALERT_TOPIC_ARN: seed.topicArn,
    });
    stub.addNode({
      instanceId: seed.nodegroups.default.instanceIds[0] ?? '',
      availabilityZone: 'us-west-2a',
      nodegroup: 'default',
    });
    const { handler } = await import('../functions/join-check/handler.js');
    console.log('AWS calls per invocation (moto request log; SDK retries counted once):');
    console.log('  nodegroups  events  AWS calls  Kubernetes list calls  by operation');
    for (const groups of [
      [seed.nodegroups.new.autoScalingGroupName],
      [seed.nodegroups.new.autoScalingGroupName, seed.nodegroups.default.autoScalingGroupName],
    ]) {
      for (const perGroup of [1, 10, 50]) {
        await startRecording(moto.endpoint);
        const before = stub.requests.length;
        await handler(sqsBatch(groups, perGroup));
        const actions = await recordedActions(moto.endpoint);
        const counts = new Map<string, number>();
        for (const a of actions) counts.set(a, (counts.get(a) ?? 0) + 1);
        const detail = [...counts].map(([a, n]) => `${a.split(':')[1]}×${n}`).join(' ');
        console.log(
          `  ${String(groups.length).padStart(10)}  ${String(groups.length * perGroup).padStart(6)}  ${String(actions.length).padStart(9)}  ${String(stub.requests.length - before).padStart(21)}  ${detail}`,
        );
      }
    }
  } finally {
    await Promise.all([moto.stop(), stub.close()]);
  }
}

function bundle(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'ignore' });
  const size = statSync('dist/join-check/index.mjs').size;
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const t = performance.now(); await import('./dist/join-check/index.mjs'); console.log(performance.now() - t);",
      ],
      { env: { ...process.env, ALERT_TOPIC_ARN: '', KUBERNETES_API_URL: '' }, encoding: 'utf8' },
    );
    samples.push(Number(out.trim()));
  }
  samples.sort((a, b) => a - b);
  console.log(`\nHandler bundle: ${(size / 1024).toFixed(1)} KiB minified (dist/join-check/index.mjs)`);
  console.log(
    `Import of the bundled handler (module load + config parse), 7 runs: median ${samples[3]?.toFixed(1)} ms, min ${samples[0]?.toFixed(1)} ms, max ${samples[6]?.toFixed(1)} ms`,
  );
}

await awsCalls();
// Its own process: the handler reads its configuration (here with a state table) once, at import.
execFileSync(process.execPath, ['--import', 'tsx', 'scripts/benchRollout.ts'], { stdio: 'inherit' });
execFileSync(process.execPath, ['--import', 'tsx', 'scripts/benchLaunchAlert.ts'], { stdio: 'inherit' });
bundle();
