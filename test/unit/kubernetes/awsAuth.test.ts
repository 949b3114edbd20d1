import { describe, expect, it } from 'vitest';
import { parseMapRolesArns } from '../../../functions/kubernetes/awsAuth.js';
import { awsAuthMapRoles } from '../../support/kubernetesStub.js';

const NODE = 'arn:aws:iam::111122223333:role/eks-node-role';
const ADMIN = 'arn:aws:iam::111122223333:role/platform/admin';

describe('parseMapRolesArns', () => {
  it('reads the shape EKS writes for managed nodegroups (groups first, list entries at the key column)', () => {
    const eks =
      '- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/eks-node-role\n  username: system:node:{{EC2PrivateDNSName}}\n';
    expect(parseMapRolesArns(eks)).toEqual([NODE]);
    expect(parseMapRolesArns(awsAuthMapRoles([NODE, ADMIN]))).toEqual([NODE, ADMIN]);
  });

  it('reads the shape of the EKS user guide and eksctl (rolearn first, nested indented groups)', () => {
    // The YAML as the guide prints it, from its first column.
    const guide = `- rolearn: arn:aws:iam::111122223333:role/eks-node-role
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
- rolearn: arn:aws:iam::111122223333:role/platform/admin
  username: admin:{{SessionName}}
  groups:
    - system:masters`;
    expect(parseMapRolesArns(guide)).toEqual([NODE, ADMIN]);
  });

  it('handles quoted keys and values (Terraform yamlencode), comments, CRLF and an indented list', () => {
    const terraform = [
      '  # managed by terraform',
      '  - "groups":',
      '    - "system:bootstrappers"',
      '    - "system:nodes"',
      '    "rolearn": "arn:aws:iam::111122223333:role/eks-node-role"  # node role',
      '    "username": "system:node:{{EC2PrivateDNSName}}"',
      "  - 'rolearn': 'arn:aws:iam::111122223333:role/platform/admin'",
      "    username: 'it''s admin'",
    ].join('\r\n');
    expect(parseMapRolesArns(terraform)).toEqual([NODE, ADMIN]);
  });

  it('strips a trailing comment from a plain value', () => {
    expect(parseMapRolesArns(`- rolearn: ${NODE} # the nodes\n  username: x`)).toEqual([NODE]);
  });

  it('reads JSON (Terraform jsonencode) and YAML flow maps', () => {
    expect(
      parseMapRolesArns(
        JSON.stringify([
          { rolearn: NODE, username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:nodes'] },
          { rolearn: ADMIN, username: 'admin', groups: ['system:masters'] },
        ]),
      ),
    ).toEqual([NODE, ADMIN]);
    expect(
      parseMapRolesArns(
        `- {rolearn: ${NODE}, username: "system:node:{{EC2PrivateDNSName}}", groups: [system:bootstrappers, system:nodes]}\n- {"rolearn": "${ADMIN}"}`,
      ),
    ).toEqual([NODE, ADMIN]);
    expect(parseMapRolesArns(`[{rolearn: ${NODE}, groups: [system:nodes]}]`)).toEqual([NODE]);
  });

  it('returns [] for an empty value and an empty list', () => {
    expect(parseMapRolesArns('')).toEqual([]);
    expect(parseMapRolesArns('  \n# nothing mapped\n')).toEqual([]);
    expect(parseMapRolesArns('[]')).toEqual([]);
  });

  it('skips entries without a rolearn (a userarn put in mapRoles by mistake)', () => {
    expect(
      parseMapRolesArns(
        `- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n- rolearn: ${NODE}`,
      ),
    ).toEqual([NODE]);
  });

  it.each([
    ['a mapping instead of a list', `rolearn: ${NODE}\nusername: x`],
    [
      'a block scalar rolearn it cannot read',
      '- rolearn: >-\n    arn:aws:iam::111122223333:role/eks-node-role\n  username: x',
    ],
    ['tab indentation', `- rolearn: ${NODE}\n\tusername: x`],
    ['a key dedented below its item', `  - rolearn: ${NODE}\n username: x`],
    ['broken JSON', `[{"rolearn": "${NODE}"`],
    ['a scalar', 'hello'],
  ])('returns undefined (not judged) for %s', (_what, text) => {
    expect(parseMapRolesArns(text)).toBeUndefined();
  });
});
