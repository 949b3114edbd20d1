import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { READER_GROUP } from '../../functions/core/model/settings.js';
import { AWS_AUTH } from '../../functions/kubernetes/awsAuth.js';

const MANIFEST = fileURLToPath(new URL('../../infra/k8s/rbac.yaml', import.meta.url));

describe('infra/k8s/rbac.yaml: aws-auth read access', () => {
  const documents = readFileSync(MANIFEST, 'utf8')
    .split(/^---$/m)
    .map((d) => d.replace(/#.*$/gm, ''));
  const role = documents.find((d) => /^kind:\s*Role\s*$/m.test(d)) ?? '';
  const binding = documents.find((d) => /^kind:\s*RoleBinding\s*$/m.test(d)) ?? '';

  it('has a Role in kube-system that may only get the aws-auth ConfigMap, by name', () => {
    expect(role).toMatch(new RegExp(`namespace:\\s*${AWS_AUTH.namespace}\\s*$`, 'm'));
    expect(role.match(/resources:\s*\[(.*)\]/g)).toEqual(['resources: ["configmaps"]']);
    expect(role).toMatch(new RegExp(`resourceNames:\\s*\\["${AWS_AUTH.name}"\\]`));
    expect(role).toMatch(/verbs:\s*\["get"\]/);
    expect(role.match(/verbs:/g)).toHaveLength(1);
  });

  it('binds it to the readers group the function is admitted with', () => {
    const roleName = role.match(/^\s{2}name:\s*(\S+)/m)?.[1];
    expect(binding).toMatch(new RegExp(`namespace:\\s*${AWS_AUTH.namespace}\\s*$`, 'm'));
    expect(binding).toMatch(new RegExp(`kind:\\s*Group\\s*\\n\\s*name:\\s*${READER_GROUP}\\b`));
    expect(binding).toMatch(new RegExp(`roleRef:[\\s\\S]*kind:\\s*Role\\s*\\n\\s*name:\\s*${roleName}\\b`));
  });
});
