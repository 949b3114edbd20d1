import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAccountReader } from '../../functions/aws/AwsAccountReader.js';
import { CloudTrailChangeHistory } from '../../functions/aws/CloudTrailChangeHistory.js';
import { type AwsClients, createAwsClients } from '../../functions/aws/clients.js';
import { runCheck } from '../../functions/core/check/runCheck.js';
import { AwsCallError } from '../../functions/core/model/errors.js';
import { KubernetesNodeReader } from '../../functions/kubernetes/KubernetesNodeReader.js';
import { MemoryStateStore } from '../../functions/state/MemoryStateStore.js';
import { type KubernetesStub, STUB_CREDENTIALS, startKubernetesStub } from '../support/kubernetesStub.js';
import { type MotoServer, startMotoServer, TEST_REGION } from '../support/motoServer.js';
import { recordingLog } from '../support/recordingLog.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';

/**
 * Who changed it, on the AWS emulator. moto 5.2.1 has no LookupEvents: its server answers HTTP 500
 * with an HTML error page ("The lookup_events action has not been implemented" in its own log). A
 * check through the real adapters must still succeed, and its routing finding must say why no change
 * is known rather than claim there was none.
 */
let moto: MotoServer;
let stub: KubernetesStub;
let seed: SeedAccount;

beforeAll(async () => {
  [moto, stub] = await Promise.all([startMotoServer(), startKubernetesStub({ clusterName: 'eks-workshop' })]);
  seed = await buildSeedAccount(moto.endpoint);
  stub.setNodes(
    seed.nodegroups.default.instanceIds.map((instanceId) => ({
      instanceId,
      availabilityZone: seed.availabilityZone,
      nodegroup: 'default',
    })),
  );
});

afterAll(async () => {
  await Promise.all([moto?.stop(), stub?.close()]);
});

/** Clients as the tool builds them, pointed at moto; two attempts, so moto's 500 is not retried for long. */
function toolClients(): AwsClients {
  return createAwsClients({
    endpoint: moto.endpoint,
    region: TEST_REGION,
    credentials: STUB_CREDENTIALS,
    maxAttempts: 2,
  });
}

describe('CloudTrail change history on moto', () => {
  it('moto does not implement LookupEvents: the call fails with a server error, named as cloudtrail:LookupEvents', async () => {
    const { cloudTrail } = toolClients();
    await expect(
      cloudTrail.send(
        new LookupEventsCommand({
          LookupAttributes: [
            { AttributeKey: 'ResourceName', AttributeValue: seed.nodegroups.new.routeTableId },
          ],
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });

    const history = new CloudTrailChangeHistory({ client: cloudTrail });
    const error = await history.lookupEvents(seed.nodegroups.new.routeTableId, new Date(0)).catch((e) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).message).toMatch(/^cloudtrail:LookupEvents failed: /);
  });

  it('a check still finds the route table without a default route, and says the change history could not be read', async () => {
    const clients = toolClients();
    const log = recordingLog();
    const kubernetes = new KubernetesNodeReader({
      credentials: async () => STUB_CREDENTIALS,
      apiUrlOverride: stub.url,
    });
    const { report, errors } = await runCheck(
      {
        clusterName: seed.clusterName,
        nodegroupNames: ['new_nodegroup_2'],
        policyOverride: 'notify',
        defaultPolicy: 'notify',
        joinWindowSeconds: 0,
      },
      {
        account: new AwsAccountReader(clients),
        membership: kubernetes.session(),
        state: new MemoryStateStore(),
        changes: new CloudTrailChangeHistory({ client: clients.cloudTrail, log }),
        clock: { now: () => new Date() },
        log,
      },
    );

    expect(errors).toEqual([]);
    const findings = report.nodegroups[0]?.findings ?? [];
    expect(findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    const noRoute = findings[0];
    expect(noRoute?.resourceId).toBe(seed.nodegroups.new.routeTableId);
    expect(noRoute?.lastChange).toEqual({
      found: false,
      why: 'UNAVAILABLE',
      // moto answers with an HTML error page: said as such, not as the JSON parser's complaint.
      detail: `CloudTrail's event history of ${seed.nodegroups.new.routeTableId} could not be read: cloudtrail:LookupEvents got an answer that is not CloudTrail's (HTTP 500)`,
    });
    // One line for people: the SDK's note on its HTML-instead-of-JSON error is left out.
    expect(noRoute?.lastChange?.found === false && noRoute.lastChange.detail).not.toContain('\n');
    expect(findings[1]).not.toHaveProperty('lastChange');
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'CloudTrail lookup failed',
        extra: expect.objectContaining({
          resourceName: seed.nodegroups.new.routeTableId,
          why: 'UNAVAILABLE',
        }),
      }),
    );
  });
});
