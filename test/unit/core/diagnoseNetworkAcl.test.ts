import { describe, expect, it } from 'vitest';
import { ALL_IPV4 } from '../../../functions/core/diagnose/cidr.js';
import {
  diagnoseNetworkAcl,
  evaluateNetworkAcl,
  freeRuleNumber,
  HTTPS_OUT,
  HTTPS_RETURN,
} from '../../../functions/core/diagnose/diagnoseNetworkAcl.js';
import type { Cluster, NetworkAclEntry, NetworkSnapshot } from '../../../functions/core/model/types.js';
import { NEW_SUBNET, PRIVATE_SUBNET, PUBLIC_SUBNET } from '../../support/factories.js';
import {
  defaultAcl,
  entry,
  fullNetwork,
  networkAcl,
  nodeEndpoints,
  privateCluster,
  publicCluster,
  REGION,
} from '../../support/networkFactories.js';

const ACL = 'acl-0custom000000000001';

/** The new subnet (or another) with its own ACL holding `entries` (and the `*` rules). */
function withAcl(entries: NetworkAclEntry[], extra: Partial<NetworkSnapshot> = {}): NetworkSnapshot {
  return fullNetwork({
    networkAcls: [defaultAcl([PUBLIC_SUBNET, PRIVATE_SUBNET]), networkAcl(ACL, [NEW_SUBNET], entries)],
    ...extra,
  });
}

function diagnose(network: NetworkSnapshot, cluster: Cluster = publicCluster(), subnetId = PRIVATE_SUBNET) {
  return diagnoseNetworkAcl({
    region: REGION,
    cluster,
    network,
    subnetId,
    instanceIds: ['i-0a1b2c3d4e5f60718'],
  });
}

const allowAll = [entry(100, true, 'allow'), entry(100, false, 'allow')];
const tcp = (from: number, to: number) => ({ protocol: '6', portRange: { from, to } });

describe('evaluateNetworkAcl', () => {
  const everything = [ALL_IPV4];

  it('lets the first matching rule decide, lowest number first, whatever the order given', () => {
    const entries = [entry(200, true, 'allow'), entry(100, true, 'deny', tcp(443, 443))];
    expect(evaluateNetworkAcl(entries, HTTPS_OUT, everything)).toMatchObject({
      denied: true,
      ruleNumber: 100,
    });
    const swapped = [entry(100, true, 'allow'), entry(200, true, 'deny', tcp(443, 443))];
    expect(evaluateNetworkAcl(swapped, HTTPS_OUT, everything)).toEqual({ denied: false });
  });

  it('denies what no rule allows: the final * rule', () => {
    expect(evaluateNetworkAcl([], HTTPS_OUT, everything)).toEqual({ denied: true, ruleNumber: 32767 });
    expect(evaluateNetworkAcl([entry(32767, true, 'deny')], HTTPS_OUT, everything)).toEqual({
      denied: true,
      ruleNumber: 32767,
    });
  });

  it('skips rules of the other direction, other protocols, other ports and IPv6', () => {
    const entries = [
      entry(10, false, 'allow'),
      entry(20, true, 'allow', { protocol: '17' }),
      entry(30, true, 'allow', tcp(80, 80)),
      entry(40, true, 'allow', { cidrBlock: undefined, ipv6CidrBlock: '::/0' }),
    ];
    expect(evaluateNetworkAcl(entries, HTTPS_OUT, everything).denied).toBe(true);
  });

  it('is not sure, so says allowed, when an earlier narrower allow lets some of it through', () => {
    const entries = [
      entry(50, true, 'allow', { ...tcp(443, 443), cidrBlock: '52.0.0.0/8' }),
      entry(100, true, 'deny'),
    ];
    expect(evaluateNetworkAcl(entries, HTTPS_OUT, everything)).toEqual({ denied: false });
  });

  it('denies when narrower denies together cover every address', () => {
    const entries = [
      entry(10, true, 'deny', { cidrBlock: '0.0.0.0/1' }),
      entry(20, true, 'deny', { cidrBlock: '128.0.0.0/1' }),
      entry(30, true, 'allow'),
    ];
    expect(evaluateNetworkAcl(entries, HTTPS_OUT, everything)).toMatchObject({
      denied: true,
      ruleNumber: 10,
    });
  });

  it('does not let a deny of some ports decide the others (return traffic)', () => {
    const entries = [entry(10, false, 'deny', tcp(1024, 2048)), entry(20, false, 'allow', tcp(1024, 65535))];
    expect(evaluateNetworkAcl(entries, HTTPS_RETURN, everything)).toEqual({ denied: false });
  });

  it('counts an allow of only part of the ephemeral range as letting replies through', () => {
    const entries = [entry(100, false, 'allow', tcp(32768, 60999))];
    expect(evaluateNetworkAcl(entries, HTTPS_RETURN, everything)).toEqual({ denied: false });
  });

  it('treats a rule it cannot read as allowing, never as a reason to report', () => {
    expect(
      evaluateNetworkAcl([entry(10, true, 'allow', { cidrBlock: 'garbage' })], HTTPS_OUT, everything),
    ).toEqual({
      denied: false,
    });
  });

  it('reads protocol names as well as numbers', () => {
    expect(
      evaluateNetworkAcl([entry(10, true, 'allow', { protocol: 'tcp' })], HTTPS_OUT, everything),
    ).toEqual({
      denied: false,
    });
  });
});

describe('freeRuleNumber', () => {
  it('puts the allow just before the deny, on a round number after the rules below it', () => {
    expect(freeRuleNumber(new Set([100, 32767]), 100)).toBe(90);
    expect(freeRuleNumber(new Set([100, 32767]), 32767)).toBe(32700);
    expect(freeRuleNumber(new Set([10, 20, 30]), 30)).toBe(29);
    expect(freeRuleNumber(new Set([1, 2]), 2)).toBeUndefined();
    expect(freeRuleNumber(new Set([1]), 1)).toBeUndefined();
  });
});

describe('NACL_BLOCKS_EGRESS', () => {
  it('is silent for the default ACL that allows everything', () => {
    expect(diagnose(fullNetwork())).toBeUndefined();
  });

  it('reports an ACL that denies HTTPS out, naming the rule, with an allow numbered before it', () => {
    const network = withAcl([
      entry(100, true, 'deny', tcp(443, 443)),
      ...allowAll.map((e) => ({ ...e, ruleNumber: 200 })),
    ]);
    const finding = diagnose(network, publicCluster(), NEW_SUBNET);
    expect(finding).toMatchObject({
      code: 'NACL_BLOCKS_EGRESS',
      severity: 'critical',
      resourceId: ACL,
      subnetId: NEW_SUBNET,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
    });
    expect(finding?.message).toContain(`Network ACL ${ACL} (associated with ${NEW_SUBNET})`);
    expect(finding?.message).toContain(
      'HTTPS (TCP 443) to the internet is denied by rule 100 (deny TCP 443 to 0.0.0.0/0)',
    );
    expect(finding?.fix).toBe(
      `aws ec2 create-network-acl-entry --network-acl-id ${ACL} --rule-number 90 --egress --protocol tcp --port-range From=443,To=443 --cidr-block 0.0.0.0/0 --rule-action allow --region us-west-2`,
    );
  });

  it('is silent for the healthy twin: 443 allowed out and the replies in', () => {
    const network = withAcl([
      entry(100, true, 'allow', tcp(443, 443)),
      entry(100, false, 'allow', tcp(1024, 65535)),
    ]);
    expect(diagnose(network, publicCluster(), NEW_SUBNET)).toBeUndefined();
  });

  it('reports an ACL that lets HTTPS out but not the replies back in (stateless)', () => {
    const network = withAcl([
      entry(100, true, 'allow', tcp(443, 443)),
      entry(100, false, 'allow', tcp(22, 22)),
    ]);
    const finding = diagnose(network, publicCluster(), NEW_SUBNET);
    expect(finding?.message).toContain(
      'the replies (TCP 1024-65535) from the internet are denied inbound by the final * rule (no rule allows it)',
    );
    expect(finding?.fix).toBe(
      `aws ec2 create-network-acl-entry --network-acl-id ${ACL} --rule-number 32700 --ingress --protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow --region us-west-2`,
    );
  });

  it('evaluates the VPC default ACL for a subnet without an association and says so', () => {
    const network = fullNetwork({
      networkAcls: [networkAcl('acl-0default', [], [entry(100, false, 'allow')], true)],
    });
    const finding = diagnose(network, publicCluster(), NEW_SUBNET);
    expect(finding?.message).toContain(`The VPC default network ACL acl-0default (used by ${NEW_SUBNET})`);
  });

  it('reports an ACL that only lets HTTPS go to the VPC when the endpoint is public only', () => {
    const network = withAcl([
      entry(100, true, 'allow', { ...tcp(443, 443), cidrBlock: '10.42.0.0/16' }),
      entry(100, false, 'allow'),
    ]);
    expect(diagnose(network, publicCluster(), NEW_SUBNET)?.code).toBe('NACL_BLOCKS_EGRESS');
  });

  describe('with private endpoint access', () => {
    const vpcOnly = [
      entry(100, true, 'allow', { ...tcp(443, 443), cidrBlock: '10.42.0.0/16' }),
      entry(100, false, 'allow', { ...tcp(1024, 65535), cidrBlock: '10.42.0.0/16' }),
    ];

    it('accepts an ACL that only opens the VPC when the subnet has no internet route (all endpoints there)', () => {
      const network = withAcl(vpcOnly, { vpcEndpoints: nodeEndpoints() });
      expect(diagnose(network, privateCluster(), NEW_SUBNET)).toBeUndefined();
    });

    it('reports an ACL that closes the VPC to a subnet that has nothing else, and opens the VPC blocks only', () => {
      const network = withAcl([entry(100, false, 'allow')], {
        vpcEndpoints: nodeEndpoints(),
        cidrBlocks: ['10.42.0.0/16', '100.64.0.0/16'],
      });
      const finding = diagnose(network, privateCluster(), NEW_SUBNET);
      expect(finding?.message).toContain(
        'HTTPS (TCP 443) to the VPC (10.42.0.0/16, 100.64.0.0/16) is denied',
      );
      expect(finding?.fix.split('\n')).toEqual([
        `aws ec2 create-network-acl-entry --network-acl-id ${ACL} --rule-number 32700 --egress --protocol tcp --port-range From=443,To=443 --cidr-block 10.42.0.0/16 --rule-action allow --region us-west-2`,
        `aws ec2 create-network-acl-entry --network-acl-id ${ACL} --rule-number 32760 --egress --protocol tcp --port-range From=443,To=443 --cidr-block 100.64.0.0/16 --rule-action allow --region us-west-2`,
      ]);
    });

    it('does not report when the internet is closed but the VPC is open, for a subnet with a NAT route', () => {
      const network = fullNetwork({
        networkAcls: [networkAcl(ACL, [PRIVATE_SUBNET], vpcOnly)],
      });
      expect(diagnose(network, privateCluster(), PRIVATE_SUBNET)).toBeUndefined();
      // The same ACL with a public-only cluster blocks the nodes.
      expect(diagnose(network, publicCluster(), PRIVATE_SUBNET)?.code).toBe('NACL_BLOCKS_EGRESS');
    });

    it('is not judged when the VPC CIDR blocks are unknown', () => {
      const network = withAcl([], { cidrBlocks: undefined });
      expect(diagnose(network, privateCluster(), NEW_SUBNET)).toBeUndefined();
    });
  });

  it('is not judged when the ACLs were not read', () => {
    expect(diagnose(fullNetwork({ networkAcls: undefined }))).toBeUndefined();
  });

  it('changes the rule itself when no lower rule number is free', () => {
    const network = withAcl([entry(1, true, 'deny'), entry(100, false, 'allow')]);
    const finding = diagnose(network, publicCluster(), NEW_SUBNET);
    expect(finding?.fix).toContain(
      `aws ec2 replace-network-acl-entry --network-acl-id ${ACL} --rule-number 1 --egress --protocol tcp --port-range From=443,To=443 --cidr-block 0.0.0.0/0 --rule-action allow --region us-west-2`,
    );
  });
});
