import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOOT_EVIDENCE_MAX_BYTES,
  bootEvidenceOf,
  bootSignatures,
  bootVerdict,
  relevantLines,
  scrubSecrets,
} from '../../../functions/core/diagnose/bootEvidence.js';
import type { BootSignature, Finding, FindingCode } from '../../../functions/core/model/types.js';

/**
 * Console outputs as EC2 returns them for nodes that did not join: the kernel, cloud-init, and what
 * bootstrap.sh (AL2) or nodeadm (AL2023) and the kubelet print through it. The lines follow the
 * shapes reported in awslabs/amazon-eks-ami issues #2436, #1821, #999 and #557 and kubelet's own.
 */
const KERNEL_NOISE = [
  '[    0.000000] Linux version 6.1.115-126.197.amzn2023.x86_64 (mockbuild@ip-10-0-43-71) (gcc (GCC) 11.4.1 20230605 (Red Hat 11.4.1-2), GNU ld version 2.39-6.amzn2023.0.10) #1 SMP PREEMPT_DYNAMIC Tue Nov  5 21:23:40 UTC 2024',
  '[    0.000000] Command line: BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz-6.1.115-126.197.amzn2023.x86_64 root=UUID=4e5c9d2a-3b8e-4a65-9e4a-0f1b2c3d4e5f ro console=tty0 console=ttyS0,115200n8 nvme_core.io_timeout=4294967295 rd.emergency=poweroff rd.shell=0 selinux=1 security=selinux quiet',
  '[    1.204417] ACPI: PM-Timer IO Port: 0xb008',
  '[    2.884012] systemd[1]: Detected virtualization amazon.',
].join('\n');

/** AL2, self-managed user data: bootstrap.sh asks EKS for the cluster and times out. */
const AL2_DESCRIBE_CLUSTER_TIMEOUT = `${KERNEL_NOISE}
[   12.530214] cloud-init[2512]: Cloud-init v. 19.3-46.amzn2.0.2 running 'modules:final' at Wed, 02 Dec 2026 04:10:11 +0000. Up 12.40 seconds.
[   12.871104] cloud-init[2512]: + B64_CLUSTER_CA=LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM1ekNDQWMrZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwK
[   12.872004] cloud-init[2512]: + /etc/eks/bootstrap.sh eks-workshop --kubelet-extra-args '--node-labels=eks.amazonaws.com/nodegroup=new_nodegroup_2'
[   13.120771] cloud-init[2512]: 2026-12-02T04:10:12+0000 [eks-bootstrap] INFO: starting...
[   13.134902] cloud-init[2512]: 2026-12-02T04:10:12+0000 [eks-bootstrap] INFO: --b64-cluster-ca or --apiserver-endpoint is not defined, describing cluster...
[  133.561200] cloud-init[2512]: Connect timeout on endpoint URL: "https://eks.us-west-2.amazonaws.com/clusters/eks-workshop"
[  133.563418] cloud-init[2512]: Exited with error on line 358
[  133.570124] cloud-init[2512]: Dec 02 04:12:12 cloud-init[2512]: util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [1]
[  133.571250] cloud-init[2512]: Dec 02 04:12:12 cloud-init[2512]: cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)
[  133.580021] cloud-init[2512]: Cloud-init v. 19.3-46.amzn2.0.2 finished at Wed, 02 Dec 2026 04:12:12 +0000. Datasource DataSourceEc2.  Up 133.57 seconds

Amazon Linux 2
Kernel 5.10.226-214.880.amzn2.x86_64 on an x86_64

ip-10-42-1-5 login: `;

/** AL2023 managed node: nodeadm cannot reach the EC2 API to describe its own instance. */
const AL2023_NODEADM_TIMEOUT = `${KERNEL_NOISE}
[   13.226001] cloud-init[1829]: Dec 02 04:10:14 localhost nodeadm[1619]: {"level":"info","ts":1796184614.7808166,"caller":"init/init.go:70","msg":"Enriching configuration.."}
[   13.235135] cloud-init[1829]: Dec 02 04:10:14 localhost nodeadm[1619]: {"level":"info","ts":1796184614.7808402,"caller":"init/init.go:157","msg":"Fetching instance details.."}
[   14.101203] cloud-init[1829]: Dec 02 04:10:15 localhost nodeadm[1619]: SDK 2026/12/02 04:10:15 DEBUG retrying request EC2/DescribeInstances, attempt 2
[   74.120447] cloud-init[1829]: Dec 02 04:11:15 localhost nodeadm[1619]: {"level":"fatal","ts":1796184675.1204,"caller":"nodeadm/main.go:36","msg":"Command failed","error":"operation error EC2: DescribeInstances, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post \\"https://ec2.us-west-2.amazonaws.com/\\": dial tcp 52.94.132.100:443: i/o timeout"}
[   74.130112] cloud-init[1829]: 2026-12-02 04:11:15,130 - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [1]
`;

/** A kubelet that got to the API server and was refused: the node role is not admitted. */
const KUBELET_UNAUTHORIZED = `${KERNEL_NOISE}
${Array.from(
  { length: 40 },
  (_, n) =>
    `[  ${95 + n * 7}.210001] kubelet[2345]: E1202 04:11:${String(10 + n).padStart(2, '0')}.123456    2345 kubelet_node_status.go:96] "Unable to register node with API server" err="Unauthorized" node="ip-10-42-1-5.us-west-2.compute.internal"`,
).join('\n')}
[  400.510203] kubelet[2345]: E1202 04:16:10.510203    2345 reflector.go:158] "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Node: failed to list *v1.Node: Unauthorized" logger="UnhandledError"
`;

/** DNS: the VPC resolver is off, the cluster endpoint's name does not resolve. */
const KUBELET_NO_SUCH_HOST = `${KERNEL_NOISE}
[  120.441822] kubelet[2345]: E1202 04:12:01.441822    2345 kubelet_node_status.go:96] "Unable to register node with API server" err="Post \\"https://0964692BCB2AC7F55C5ABBDBC1DD6A70.gr7.us-west-2.eks.amazonaws.com/api/v1/nodes\\": dial tcp: lookup 0964692BCB2AC7F55C5ABBDBC1DD6A70.gr7.us-west-2.eks.amazonaws.com on 10.42.0.2:53: no such host" node="ip-10-42-1-5.us-west-2.compute.internal"
`;

const KUBELET_X509 = `${KERNEL_NOISE}
[  120.441822] kubelet[2345]: E1202 04:12:01.441822    2345 kubelet_node_status.go:96] "Unable to register node with API server" err="Post \\"https://0964692BCB2AC7F55C5ABBDBC1DD6A70.gr7.us-west-2.eks.amazonaws.com/api/v1/nodes\\": tls: failed to verify certificate: x509: certificate signed by unknown authority" node="ip-10-42-1-5.us-west-2.compute.internal"
`;

/** The instance profile has no role: credentials from IMDS fail (IMDS is on the host: no egress involved). */
const NODEADM_NO_CREDENTIALS = `${KERNEL_NOISE}
[   20.310447] cloud-init[1829]: Dec 02 04:10:21 localhost nodeadm[1619]: {"level":"fatal","ts":1796184621.3104,"caller":"nodeadm/main.go:36","msg":"Command failed","error":"operation error EC2: DescribeInstances, get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, request canceled, context deadline exceeded"}
`;

const HEALTHY_BOOT = `${KERNEL_NOISE}
[   13.226001] cloud-init[1829]: Dec 02 04:10:14 localhost nodeadm[1619]: {"level":"info","ts":1796184614.7808166,"caller":"init/init.go:70","msg":"Enriching configuration.."}
[   16.553020] cloud-init[1829]: Cloud-init v. 22.2.2 finished at Wed, 02 Dec 2026 04:10:17 +0000. Datasource DataSourceEc2.  Up 16.55 seconds
`;

const finding = (code: FindingCode): Finding => ({
  code,
  severity: 'critical',
  resourceId: 'rtb-1735b99221e47150e',
  message: code,
  fix: '',
});
const NETWORK = [finding('NO_DEFAULT_ROUTE'), finding('NODES_NOT_JOINED')];
const IDENTITY = [finding('NODE_ROLE_NOT_AUTHORIZED'), finding('NODES_NOT_JOINED')];
const bytes = (lines: string[]) => Buffer.byteLength(lines.join('\n'), 'utf8');

describe('bootEvidenceOf: real console outputs of nodes that did not join', () => {
  it('AL2: keeps bootstrap.sh timing out on the EKS API, and it corroborates a missing route', () => {
    const evidence = bootEvidenceOf(
      'i-0a1b2c3d4e5f60718',
      { text: AL2_DESCRIBE_CLUSTER_TIMEOUT, at: '2026-12-02T04:12:30.000Z' },
      NETWORK,
    );

    expect(evidence).toMatchObject({
      instanceId: 'i-0a1b2c3d4e5f60718',
      signatures: ['API_TIMEOUT'],
      verdict: 'corroborates',
      at: '2026-12-02T04:12:30.000Z',
    });
    expect(evidence.lines).toContain(
      'Connect timeout on endpoint URL: "https://eks.us-west-2.amazonaws.com/clusters/eks-workshop"',
    );
    expect(evidence.lines).toContain('Exited with error on line 358');
    // Kernel lines, the login prompt and the xtrace of the CA are not evidence.
    expect(evidence.lines.join('\n')).not.toMatch(/Linux version|login:|B64_CLUSTER_CA|LS0tLS1CRUdJTi/);
    expect(evidence.unavailable).toBeUndefined();
  });

  it('AL2023: keeps the fatal nodeadm line with its cause (cut in the middle), without ts, caller or pids', () => {
    const evidence = bootEvidenceOf('i-0a1b2c3d4e5f60718', { text: AL2023_NODEADM_TIMEOUT }, NETWORK);

    expect(evidence.signatures).toEqual(['API_TIMEOUT']);
    expect(evidence.verdict).toBe('corroborates');
    const fatal = evidence.lines.find((l) => l.startsWith('nodeadm: {"level":"fatal"'));
    expect(fatal).toMatch(
      /^nodeadm: \{"level":"fatal","msg":"Command failed".*….*dial tcp 52\.94\.132\.100:443: i\/o timeout"\}$/,
    );
    expect(evidence.lines.join('\n')).not.toMatch(/"ts":|"caller":|\w\[\d+\]:|Enriching configuration/);
    expect(bytes(evidence.lines)).toBeLessThanOrEqual(BOOT_EVIDENCE_MAX_BYTES);
  });

  it('kubelet Unauthorized: corroborates an identity finding, contradicts a network one, and is shown once', () => {
    const withIdentity = bootEvidenceOf('i-1', { text: KUBELET_UNAUTHORIZED }, IDENTITY);
    const withNetwork = bootEvidenceOf('i-1', { text: KUBELET_UNAUTHORIZED }, NETWORK);

    expect(withIdentity.signatures).toEqual(['UNAUTHORIZED']);
    expect(withIdentity.verdict).toBe('corroborates');
    expect(withNetwork.verdict).toBe('contradicts');
    // Forty repeats of the same error are one line; the klog header is gone.
    expect(withIdentity.lines).toEqual([
      'kubelet: "Unable to register node with API server" err="Unauthorized" node="ip-10-42-1-5.us-west-2.compute.internal"',
      'kubelet: "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Node: failed to list *v1.Node: Unauthorized" logger="UnhandledError"',
    ]);
  });

  it('a lookup that finds no host is DNS, not a timeout, and corroborates VPC DNS being off', () => {
    const evidence = bootEvidenceOf('i-1', { text: KUBELET_NO_SUCH_HOST }, [finding('VPC_DNS_DISABLED')]);

    expect(evidence.signatures).toEqual(['DNS_FAILURE']);
    expect(evidence.verdict).toBe('corroborates');
  });

  it('a certificate error means the node reached the endpoint: it contradicts a network finding', () => {
    const evidence = bootEvidenceOf('i-1', { text: KUBELET_X509 }, NETWORK);

    expect(evidence.signatures).toEqual(['CERTIFICATE_ERROR']);
    expect(evidence.verdict).toBe('contradicts');
  });

  it('timeouts only contradict an identity finding: the node never got far enough to be refused', () => {
    expect(bootEvidenceOf('i-1', { text: AL2023_NODEADM_TIMEOUT }, IDENTITY).verdict).toBe('contradicts');
  });

  it('an IMDS credentials failure is that, not an egress timeout, and proves nothing about the network', () => {
    const evidence = bootEvidenceOf('i-1', { text: NODEADM_NO_CREDENTIALS }, NETWORK);

    expect(evidence.signatures).toEqual(['CREDENTIALS_FAILURE']);
    expect(evidence.verdict).toBe('inconclusive');
  });

  it('a boot without errors keeps no lines and is inconclusive', () => {
    expect(bootEvidenceOf('i-1', { text: HEALTHY_BOOT }, NETWORK)).toEqual({
      instanceId: 'i-1',
      lines: [],
      signatures: [],
      verdict: 'inconclusive',
    });
  });

  it('strips ANSI colours and control characters from what it keeps', () => {
    const text =
      '\u001b[0;31m[FAILED]\u001b[0m Failed to start \u001b[0;1;39mkubelet.service\u001b[0m - Kubernetes Kubelet.\u0007\r\n';
    expect(relevantLines(text)).toEqual(['[FAILED] Failed to start kubelet.service - Kubernetes Kubelet.']);
  });

  it('keeps the newest lines within the bound, lines with a signature first', () => {
    const text = [
      AL2023_NODEADM_TIMEOUT,
      ...Array.from(
        { length: 30 },
        (_, n) =>
          `cloud-init[1829]: util.py[WARNING]: Failed running step ${n} of the user data, see the log`,
      ),
    ].join('\n');

    const evidence = bootEvidenceOf('i-1', { text }, NETWORK);

    expect(bytes(evidence.lines)).toBeLessThanOrEqual(BOOT_EVIDENCE_MAX_BYTES);
    expect(evidence.lines.some((l) => l.includes('i/o timeout'))).toBe(true);
    expect(evidence.lines.at(-1)).toContain('step 29');
  });

  it('counts the bound in UTF-8 bytes and never cuts a character in two', () => {
    const line = `kubelet[1]: error: ${'ünïcödé ☃ 🚀 '.repeat(60)}`;
    const evidence = bootEvidenceOf('i-1', { text: line }, []);

    expect(bytes(evidence.lines)).toBeLessThanOrEqual(BOOT_EVIDENCE_MAX_BYTES);
    expect(evidence.lines.join('\n')).not.toContain('\uFFFD');
    expect(evidence.lines.join('\n')).toEqual(
      Buffer.from(evidence.lines.join('\n'), 'utf8').toString('utf8'),
    );
  });
});

describe('bootSignatures', () => {
  it.each<[string, BootSignature[]]>([
    ['Get "https://ABC.gr7.us-west-2.eks.amazonaws.com/api": context deadline exceeded', ['API_TIMEOUT']],
    ['Post "https://sts.us-west-2.amazonaws.com/": net/http: TLS handshake timeout', ['API_TIMEOUT']],
    [
      'curl: (28) Failed to connect to api.ecr.us-west-2.amazonaws.com port 443 after 129 ms: Connection timed out',
      ['API_TIMEOUT'],
    ],
    ['Could not connect to the endpoint URL: "https://api.ecr.us-west-2.amazonaws.com/"', ['API_TIMEOUT']],
    ['dial tcp 10.42.0.17:443: connect: connection refused', ['API_TIMEOUT']],
    [
      'dial tcp: lookup sts.us-west-2.amazonaws.com on 10.42.0.2:53: read udp 10.42.1.5:41234->10.42.0.2:53: i/o timeout',
      ['DNS_FAILURE'],
    ],
    [
      'dial tcp: lookup api.ecr.us-west-2.amazonaws.com: Temporary failure in name resolution',
      ['DNS_FAILURE'],
    ],
    ['lookup ABC.gr7.us-west-2.eks.amazonaws.com on 10.42.0.2:53: server misbehaving', ['DNS_FAILURE']],
    ['curl: (6) Could not resolve host: eks.us-west-2.amazonaws.com', ['DNS_FAILURE']],
    ['error: You must be logged in to the server (Unauthorized)', ['UNAUTHORIZED']],
    ['https response error StatusCode: 401, RequestID: 5f2d, api error Unauthorized', ['UNAUTHORIZED']],
    ['api error UnauthorizedOperation: You are not authorized to perform this operation.', ['UNAUTHORIZED']],
    [
      'Unable to register node with API server: nodes is forbidden: User "system:anonymous" cannot create resource "nodes"',
      ['UNAUTHORIZED'],
    ],
    [
      'x509: certificate has expired or is not yet valid: current time 2026-12-02T04:12:01Z is after 2026-11-01T00:00:00Z',
      ['CERTIFICATE_ERROR'],
    ],
    ['curl: (60) SSL certificate problem: unable to get local issuer certificate', ['CERTIFICATE_ERROR']],
    ['NoCredentialProviders: no valid providers in chain. Deprecated.', ['CREDENTIALS_FAILURE']],
    [
      'Unable to locate credentials. You can configure credentials by running "aws configure".',
      ['CREDENTIALS_FAILURE'],
    ],
    ['[  401.123456] kubelet started', []],
    ['Reached target Network is Online.', []],
  ])('%s → %j', (line, expected) => {
    expect(bootSignatures([line])).toEqual(expected);
  });
});

describe('bootVerdict', () => {
  it.each<[string, BootSignature[], Finding[], 'corroborates' | 'contradicts' | 'inconclusive']>([
    ['network + timeout', ['API_TIMEOUT'], NETWORK, 'corroborates'],
    ['network + DNS', ['DNS_FAILURE'], [finding('MISSING_VPC_ENDPOINTS')], 'corroborates'],
    ['network + Unauthorized', ['UNAUTHORIZED'], [finding('SECURITY_GROUP_BLOCKS_EGRESS')], 'contradicts'],
    ['network + timeout and Unauthorized', ['API_TIMEOUT', 'UNAUTHORIZED'], NETWORK, 'inconclusive'],
    ['identity + Unauthorized', ['UNAUTHORIZED'], [finding('NODE_ROLE_MISSING_POLICY')], 'corroborates'],
    ['identity + timeout only', ['API_TIMEOUT'], IDENTITY, 'contradicts'],
    ['identity + certificate only', ['CERTIFICATE_ERROR'], IDENTITY, 'inconclusive'],
    [
      'network and identity + Unauthorized: the identity cause is borne out',
      ['UNAUTHORIZED'],
      [...NETWORK, ...IDENTITY],
      'corroborates',
    ],
    [
      'network and identity + timeout: the network cause is borne out',
      ['API_TIMEOUT'],
      [...NETWORK, ...IDENTITY],
      'corroborates',
    ],
    ['no signature', [], NETWORK, 'inconclusive'],
    ['no network or identity finding', ['API_TIMEOUT'], [finding('NODES_NOT_JOINED')], 'inconclusive'],
  ])('%s → %s', (_name, signatures, findings, expected) => {
    expect(bootVerdict(signatures, findings)).toBe(expected);
  });
});

describe('scrubSecrets', () => {
  it.each([
    [
      'the EKS token',
      'Authorization: Bearer k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eQ',
      'aHR0cHM6Ly9zdHM',
    ],
    ['an access key id', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
    [
      'a secret key',
      'export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'wJalrXUtnFEMI',
    ],
    [
      'a session token in JSON',
      '{"SessionToken": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLXdlc3QtMiJHMEUCIQDx", "Expiration": "2026-12-02T10:00:00Z"}',
      'IQoJb3JpZ2lu',
    ],
    ['a password pair', 'mysql --user=app password=correct-horse-battery-staple', 'correct-horse'],
    ['a token pair', 'GET /api?token=s3cr3t-t0k3n-value&limit=500', 's3cr3t'],
    [
      'a JWT',
      'projected token eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl',
      'eyJhbGciOiJSUzI1NiIs',
    ],
    [
      'a PEM key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEA',
    ],
    ['a long hex run', 'signing key 3f786850e387550fdab836ed7e6dc881de23001b loaded', '3f786850e387550f'],
  ])('redacts %s', (_kind, text, secret) => {
    const scrubbed = scrubSecrets(text);
    expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain('[redacted]');
  });

  it('leaves ordinary log words, paths and endpoints alone', () => {
    const line =
      'Unable to register node with API server err="Post https://eks.us-west-2.amazonaws.com/clusters/eks-workshop: i/o timeout" path=/var/lib/kubelet/kubeconfig failed to get token: Unauthorized';
    expect(scrubSecrets(line)).toBe(line);
  });
});

// --- The properties -----------------------------------------------------------------------------------

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HEX = '0123456789abcdef';
const PASSWORD = `${BASE64URL}!#$%()*.:<>?@[]^{|~`;

const charsOf = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
/** Random key material as AWS and Kubernetes issue it: it mixes cases and digits. */
const random = (alphabet: string, minLength: number, maxLength: number) =>
  charsOf(alphabet, minLength, maxLength).filter((s) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /\d/.test(s));

/** A secret of each kind, in the context a boot prints it; `secret` is what must not be seen again. */
const secretInContext: fc.Arbitrary<{ kind: string; text: string; secret: string }> = fc.oneof(
  random(BASE64URL, 40, 300).map((s) => ({
    kind: 'eks token',
    text: `Authorization: Bearer k8s-aws-v1.${s}`,
    secret: s,
  })),
  random(BASE64URL, 20, 200).map((s) => ({
    kind: 'bearer',
    text: `-H "Authorization: Bearer ${s}"`,
    secret: s,
  })),
  fc
    .tuple(fc.constantFrom('AKIA', 'ASIA'), charsOf(UPPER_DIGITS, 16, 16))
    .map(([p, s]) => ({ kind: 'access key id', text: `aws_access_key_id=${p}${s}`, secret: `${p}${s}` })),
  fc
    .tuple(
      random(BASE64, 40, 40),
      fc.constantFrom(
        'aws_secret_access_key = %',
        'AWS_SECRET_ACCESS_KEY=%',
        '"SecretAccessKey": "%"',
        "secret_key: '%'",
        '%',
      ),
    )
    .map(([s, form]) => ({ kind: 'secret key', text: form.replace('%', s), secret: s })),
  fc
    .tuple(
      random(BASE64, 100, 400),
      fc.constantFrom(
        'export AWS_SESSION_TOKEN=%',
        'aws_session_token = %',
        '"SessionToken":"%"',
        '"Token" : "%"',
      ),
    )
    .map(([s, form]) => ({
      kind: 'session token',
      text: form.replace('%', `IQoJb3JpZ2luX2Vj${s}`),
      secret: s,
    })),
  fc.array(random(BASE64, 64, 64), { minLength: 1, maxLength: 5 }).chain((body) =>
    fc.constantFrom(
      {
        kind: 'pem',
        text: `-----BEGIN PRIVATE KEY-----\n${body.join('\n')}\n-----END PRIVATE KEY-----`,
        secret: body.join('\n'),
      },
      // Cut off by the end of the output: no END line.
      {
        kind: 'pem cut off',
        text: `-----BEGIN EC PRIVATE KEY-----\n${body.join('\n')}`,
        secret: body.join('\n'),
      },
    ),
  ),
  fc
    .tuple(random(BASE64URL, 10, 60), random(BASE64URL, 20, 300), random(BASE64URL, 20, 120))
    .map(([h, p, s]) => ({ kind: 'jwt', text: `token: eyJ${h}.${p}.${s}`, secret: `eyJ${h}.${p}.${s}` })),
  fc
    .tuple(
      charsOf(PASSWORD, 12, 40),
      fc.constantFrom('password', 'PASSWORD', 'token', 'X-Amz-Security-Token', 'passwd'),
    )
    .map(([s, key]) => ({ kind: `${key}=`, text: `${key}=${s}`, secret: s })),
  random('0123456789abcdefABCDEF', 32, 128).map((s) => ({ kind: 'hex', text: `key ${s} loaded`, secret: s })),
  charsOf(HEX, 40, 64)
    .filter((s) => /\d/.test(s) && /[a-f]/.test(s))
    .map((s) => ({ kind: 'hex digest', text: `sha ${s}`, secret: s })),
);

/** Lines that make a secret line relevant, so it would be shown if it were not scrubbed. */
const CONTEXTS = [
  '[  133.561200] cloud-init[2512]: + curl -sf %TEXT% https://eks.us-west-2.amazonaws.com error: dial tcp 52.94.1.2:443: i/o timeout',
  'Dec 02 04:11:15 localhost nodeadm[1619]: {"level":"fatal","msg":"Command failed","error":"%TEXT% Unauthorized"}',
  'kubelet[2345]: E1202 04:11:36.123456    2345 server.go:1] "Failed" err="%TEXT%" x509: certificate signed by unknown authority',
  '%TEXT%',
];

/** ANSI codes, anywhere in the line, even inside the secret: they must not hide it from the scrub. */
const ANSI = ['\u001b[0m', '\u001b[0;31m', '\u001b[1;39m', '\u001b]0;title\u0007', '\r', '\u0000'];

const consoleWithSecret = fc
  .tuple(
    secretInContext,
    fc.constantFrom(...CONTEXTS),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...ANSI)), { maxLength: 3 }),
    fc.array(fc.constantFrom(...KERNEL_NOISE.split('\n'), ...AL2023_NODEADM_TIMEOUT.split('\n')), {
      maxLength: 8,
    }),
    fc.array(fc.constantFrom(...KERNEL_NOISE.split('\n')), { maxLength: 4 }),
  )
  .map(([secret, context, escapes, before, after]) => {
    let line = context.replace('%TEXT%', secret.text);
    for (const [at, code] of escapes) {
      const n = at % (line.length + 1);
      line = line.slice(0, n) + code + line.slice(n);
    }
    return { ...secret, console: [...before, line, ...after].join('\n') };
  });

/** A secret that survives in part: any 12 characters of it in a row (or all of a shorter one). */
function leaks(shown: string, secret: string): boolean {
  const window = Math.min(12, secret.length);
  for (const part of secret.split('\n')) {
    for (let n = 0; n + window <= part.length; n++) {
      if (shown.includes(part.slice(n, n + window))) return true;
    }
  }
  return false;
}

describe('bootEvidenceOf: properties', () => {
  it('no secret of any kind survives, in whole or in part, and the lines stay within the bound', () => {
    fc.assert(
      fc.property(consoleWithSecret, fc.constantFrom(NETWORK, IDENTITY, []), (generated, findings) => {
        const evidence = bootEvidenceOf('i-1', { text: generated.console }, findings);
        const shown = evidence.lines.join('\n');
        expect(leaks(shown, generated.secret), `${generated.kind} leaked: ${shown}`).toBe(false);
        expect(bytes(evidence.lines)).toBeLessThanOrEqual(BOOT_EVIDENCE_MAX_BYTES);
      }),
      { numRuns: 400 },
    );
  });

  it('whatever the output, the lines are within the bound, non-empty and free of control characters', () => {
    const anyLine = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 600 }),
      fc.constantFrom(...AL2_DESCRIBE_CLUSTER_TIMEOUT.split('\n'), ...KUBELET_NO_SUCH_HOST.split('\n')),
      fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => `kubelet[1]: E1202 error: ${s} i/o timeout`),
    );
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 60 }), (lines) => {
        const evidence = bootEvidenceOf('i-1', { text: lines.join('\n') }, NETWORK);
        expect(bytes(evidence.lines)).toBeLessThanOrEqual(BOOT_EVIDENCE_MAX_BYTES);
        for (const line of evidence.lines) {
          expect(line.length).toBeGreaterThan(0);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none.
          expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
