/**
 * A local stand-in for an EKS cluster's Kubernetes API, just big enough for node membership:
 * `GET /api/v1/nodes` with or without label selectors and with `limit`/`continue` paging (nodes may
 * lack the nodegroup label, so only the whole list has them), real-shaped NodeList and
 * Status bodies, and bearer tokens checked the way the EKS authenticator checks them, as far as that
 * is possible offline (see `rejectToken`). It also serves ConfigMaps by name
 * (`GET /api/v1/namespaces/{namespace}/configmaps/{name}`), for the aws-auth ConfigMap.
 *
 * Request handling is a pipeline (authenticate → mode → route), so later behaviour, such as nodes
 * that only register once a condition holds, slots in without touching the others.
 *
 * Modes play an API server that misbehaves (see StubMode): refusing, failing, paging in a loop,
 * answering too slowly, or answering with more than a reader should take.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

/**
 * - 'ok': answers as an API server does.
 * - 'unauthorized': 401 to every request, whatever the token.
 * - 'forbidden': 403 (RBAC) to node lists and ConfigMaps.
 * - 'error': 500 (etcd timed out) to node lists and ConfigMaps.
 * - 'repeat-continue': node lists answer their first page, every time, with one and the same
 *   `continue` token (even when everything fits on the page), as a broken paginator does; the
 *   token sent back is ignored. ConfigMaps are served as in 'ok'.
 * - 'slow-body': every authenticated answer is sent as in 'ok' up to the middle of its body (status,
 *   headers and the first half at once), and the rest only `bodyDelayMs` later (default 10 000).
 * - 'oversized': node lists answer 200 with a real NodeList (as in 'ok') whose first Node carries an
 *   annotation padding the body to `bodyBytes` bytes (default 17 MiB), sent without Content-Length.
 */
export type StubMode =
  | 'ok'
  | 'unauthorized'
  | 'forbidden'
  | 'error'
  | 'repeat-continue'
  | 'slow-body'
  | 'oversized';

/** Settings of the modes that take any; each is reset to its default by the next setMode. */
export interface StubModeOptions {
  /** 'slow-body': how long the second half of each body is held back, in ms. Default 10 000. */
  bodyDelayMs?: number;
  /** 'oversized': the size of each node list body, in bytes. Default 17 MiB. */
  bodyBytes?: number;
  /**
   * The mode takes effect only once this many more node list requests (GET /api/v1/nodes, one per
   * page) have been answered as in 'ok'; until then every request is answered as in 'ok'. E.g. a
   * check's first read succeeds and the re-read just before recycling fails. Default 0: at once.
   */
  afterNodeLists?: number;
}

/** The `continue` token of every node list page in 'repeat-continue' mode. */
export const REPEATED_CONTINUE = Buffer.from(
  JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1000, start: 'repeat\u0000' }),
).toString('base64');

const DEFAULT_BODY_DELAY_MS = 10_000;
const DEFAULT_OVERSIZED_BYTES = 17 * 1024 * 1024;

export interface StubNode {
  instanceId: string;
  availabilityZone: string;
  /** The nodegroup the instance belongs to, and the value of its `eks.amazonaws.com/nodegroup` label. */
  nodegroup: string;
  /**
   * Default true. false: the Node registers without the `eks.amazonaws.com/nodegroup` label, as one of
   * a custom AMI whose own bootstrap sets other labels does; only its `spec.providerID` names it.
   */
  nodegroupLabel?: boolean;
  /** Default true. */
  ready?: boolean;
  /**
   * With `ready: false`, the Ready condition's status, reason and message. Defaults: 'False',
   * KubeletNotReady and the kubelet's message for a CNI that never started (NOT_READY_CNI_MESSAGE).
   */
  notReady?: { status?: 'False' | 'Unknown'; reason?: string; message?: string };
  /** Default: the next free address in 10.42.0.0/16. */
  privateIp?: string;
}

export interface StubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  /** Why the stub answered 401 to a token: what a real API server only writes to its own log. */
  tokenRejected?: string;
}

export interface KubernetesStub {
  /** e.g. http://127.0.0.1:41234, or https:// when started with `tls`. */
  url: string;
  addNode(node: StubNode): void;
  removeNode(instanceId: string): void;
  setNodes(nodes: StubNode[]): void;
  /** Changes how the stub answers from the next request on (see StubMode); 'ok' restores it. */
  setMode(mode: StubMode, options?: StubModeOptions): void;
  /** Creates or replaces a ConfigMap; `undefined` deletes it (GET then answers 404). */
  setConfigMap(namespace: string, name: string, data: Record<string, string> | undefined): void;
  /**
   * 'forbidden': every ConfigMap read answers 403 as RBAC does when the caller's group has no Role for
   * it, while nodes stay readable. Default 'ok'.
   */
  setConfigMapAccess(access: 'ok' | 'forbidden'): void;
  /** Every request received, oldest first. */
  requests: StubRequest[];
  /**
   * The node list requests among `requests` (GET /api/v1/nodes), oldest first; `labelSelector` is
   * absent from the query of a whole-list read. A paged list is one request per page.
   */
  nodeListRequests(): StubRequest[];
  close(): Promise<void>;
}

export interface KubernetesStubOptions {
  /**
   * When given, a token must be presigned for this cluster. The cluster name travels only inside the
   * signature, so checking it means recomputing the signature, as STS does: the stub then also
   * needs the signer's secret, `credentials`.
   */
  clusterName?: string;
  /** The identity the stub plays STS for when `clusterName` is set. Default STUB_CREDENTIALS. */
  credentials?: AwsCredentialIdentity;
  /** Serve https with this PEM key and certificate instead of http. */
  tls?: { key: string; cert: string };
}

/** The static identity the moto harness gives the SDK, so a reader using that environment is admitted. */
export const STUB_CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'testing',
  secretAccessKey: 'testing',
  sessionToken: 'testing',
};

/** The identity named in the 403 message, as an assumed role looks in a real one. */
export const STUB_CALLER_ARN = 'arn:aws:sts::123456789012:assumed-role/x/y';

const TOKEN_PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_LENGTH = 4096;
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** The only query parameters the EKS authenticator lets through to STS. */
const ALLOWED_TOKEN_PARAMS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
/** What the kubelet reports while no CNI has set up the pod network (e.g. aws-node not running). */
export const NOT_READY_CNI_MESSAGE =
  'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';
const STS_HOST = /^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/;
const KUBELET_VERSION = 'v1.31.4-eks-aeac579';

export async function startKubernetesStub(options: KubernetesStubOptions = {}): Promise<KubernetesStub> {
  const nodes = new Map<string, StoredNode>();
  const configMaps = new Map<string, StoredConfigMap>();
  const requests: StubRequest[] = [];
  let mode: StubMode = 'ok';
  let modeOptions: StubModeOptions = {};
  /** Node list requests still to answer as in 'ok' before `mode` applies (afterNodeLists). */
  let okNodeListsLeft = 0;
  /** Bodies held back in 'slow-body' mode: cleared on close so none outlives the stub. */
  const heldBack = new Set<NodeJS.Timeout>();
  /** Requests answered in 'slow-body' mode (the mode may change while one is handled). */
  const slowAnswers = new WeakSet<http.IncomingMessage>();
  let configMapAccess: 'ok' | 'forbidden' = 'ok';
  let resourceVersion = 1000;
  let addressCounter = 0;

  const store = (node: StubNode) => {
    addressCounter += 1;
    resourceVersion += 1;
    nodes.set(node.instanceId, {
      ...node,
      privateIp: node.privateIp ?? `10.42.${Math.floor(addressCounter / 250)}.${(addressCounter % 250) + 4}`,
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      uid: randomUUID(),
      resourceVersion: String(resourceVersion),
    });
  };

  async function handle(req: http.IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://stub');
    const record: StubRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers.authorization !== undefined && { authorization: req.headers.authorization }),
    };
    requests.push(record);
    const current = okNodeListsLeft > 0 ? 'ok' : mode;
    if (current === 'slow-body') slowAnswers.add(req);
    if (okNodeListsLeft > 0 && record.method === 'GET' && url.pathname === '/api/v1/nodes') {
      okNodeListsLeft -= 1;
    }

    const tokenRejected = await rejectToken(req.headers.authorization, options);
    if (tokenRejected || current === 'unauthorized') {
      if (tokenRejected) record.tokenRejected = tokenRejected;
      return statusReply(401, 'Unauthorized', 'Unauthorized');
    }
    const configMapPath = CONFIG_MAP_PATH.exec(url.pathname);
    if (configMapPath && (current === 'forbidden' || configMapAccess === 'forbidden')) {
      const [, namespace = '', name = ''] = configMapPath;
      return statusReply(
        403,
        'Forbidden',
        `configmaps "${name}" is forbidden: User "${STUB_CALLER_ARN}" cannot get resource "configmaps" in API group "" in the namespace "${namespace}"`,
        { name, kind: 'configmaps' },
      );
    }
    if (current === 'forbidden') {
      return statusReply(
        403,
        'Forbidden',
        `nodes is forbidden: User "${STUB_CALLER_ARN}" cannot list resource "nodes" in API group "" at the cluster scope`,
        { kind: 'nodes' },
      );
    }
    if (current === 'error') {
      return statusReply(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out', {
        causes: [{ message: 'etcdserver: request timed out' }],
      });
    }
    if (configMapPath) {
      if (record.method !== 'GET') {
        return statusReply(405, 'MethodNotAllowed', `${record.method} is not supported by this stub`);
      }
      const [, namespace = '', name = ''] = configMapPath;
      const stored = configMaps.get(`${namespace}/${name}`);
      if (!stored) {
        return statusReply(404, 'NotFound', `configmaps "${name}" not found`, { name, kind: 'configmaps' });
      }
      return { status: 200, body: toConfigMap(stored) };
    }
    if (url.pathname !== '/api/v1/nodes') {
      return statusReply(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (record.method !== 'GET') {
      return statusReply(405, 'MethodNotAllowed', `${record.method} is not supported by this stub`);
    }
    if (current === 'repeat-continue') {
      const params = new URLSearchParams(url.searchParams);
      params.delete('continue');
      const page = listNodes([...nodes.values()], params, String(resourceVersion));
      const list = page.body as { metadata?: Record<string, unknown> };
      if (page.status === 200 && list.metadata) list.metadata.continue = REPEATED_CONTINUE;
      return page;
    }
    const listed = listNodes([...nodes.values()], url.searchParams, String(resourceVersion));
    if (current === 'oversized' && listed.status === 200) {
      return { ...listed, body: padded(listed.body, modeOptions.bodyBytes ?? DEFAULT_OVERSIZED_BYTES) };
    }
    return listed;
  }

  const listener: http.RequestListener = (req, res) => {
    handle(req).then(
      ({ status, body }) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        const headers = { 'content-type': 'application/json', 'cache-control': 'no-cache, private' };
        // 401s are answered at once in every mode: the slowness is the API server's, not the authenticator's.
        if (!slowAnswers.has(req) || status === 401) {
          // 'oversized' goes without Content-Length (chunked), as the API server streams a large list.
          res.writeHead(status, headers);
          res.end(text);
          return;
        }
        res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
        const half = Buffer.from(text).subarray(0, Math.floor(Buffer.byteLength(text) / 2));
        res.write(half);
        const timer = setTimeout(() => {
          heldBack.delete(timer);
          if (!res.destroyed) res.end(Buffer.from(text).subarray(half.length));
        }, modeOptions.bodyDelayMs ?? DEFAULT_BODY_DELAY_MS);
        heldBack.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          heldBack.delete(timer);
        });
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`stub failure: ${String(error)}`);
      },
    );
  };
  const server = options.tls ? https.createServer(options.tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    addNode: store,
    removeNode(instanceId) {
      if (nodes.delete(instanceId)) resourceVersion += 1;
    },
    setNodes(list) {
      nodes.clear();
      for (const node of list) store(node);
    },
    setMode(next, options = {}) {
      mode = next;
      modeOptions = { ...options };
      okNodeListsLeft = options.afterNodeLists ?? 0;
    },
    setConfigMap(namespace, name, data) {
      resourceVersion += 1;
      const key = `${namespace}/${name}`;
      if (data === undefined) {
        configMaps.delete(key);
        return;
      }
      const existing = configMaps.get(key);
      configMaps.set(key, {
        namespace,
        name,
        data: { ...data },
        uid: existing?.uid ?? randomUUID(),
        createdAt: existing?.createdAt ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        resourceVersion: String(resourceVersion),
      });
    },
    setConfigMapAccess(access) {
      configMapAccess = access;
    },
    requests,
    nodeListRequests: () => requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/nodes'),
    close() {
      for (const timer of heldBack) clearTimeout(timer);
      heldBack.clear();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

interface StoredNode extends StubNode {
  privateIp: string;
  createdAt: string;
  uid: string;
  resourceVersion: string;
}

interface Reply {
  status: number;
  body: unknown;
}

interface StoredConfigMap {
  namespace: string;
  name: string;
  data: Record<string, string>;
  uid: string;
  createdAt: string;
  resourceVersion: string;
}

const CONFIG_MAP_PATH = /^\/api\/v1\/namespaces\/([a-z0-9-]+)\/configmaps\/([a-z0-9.-]+)$/;

/** A v1 ConfigMap as the API server returns it (managedFields trimmed). */
function toConfigMap(stored: StoredConfigMap) {
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name: stored.name,
      namespace: stored.namespace,
      uid: stored.uid,
      resourceVersion: stored.resourceVersion,
      creationTimestamp: stored.createdAt,
    },
    data: stored.data,
  };
}

/**
 * The `mapRoles` value of an aws-auth ConfigMap as EKS writes it for managed nodegroups: a YAML block
 * list, groups first, one entry per node role.
 */
export function awsAuthMapRoles(roleArns: string[]): string {
  return roleArns
    .map(
      (arn) =>
        `- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: ${arn}\n  username: system:node:{{EC2PrivateDNSName}}\n`,
    )
    .join('');
}

function statusReply(code: number, reason: string, message: string, details?: unknown): Reply {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details !== undefined && { details }),
      code,
    },
  };
}

// --- Listing -------------------------------------------------------------------------------------

/**
 * A NodeList body of about `bytes` bytes (JSON text): its first Node carries the padding as an
 * annotation, so the body stays a valid NodeList however large. A list without Nodes gets one.
 */
function padded(list: unknown, bytes: number): string {
  type Item = { metadata: { name?: string; annotations?: Record<string, string> } };
  const { items = [], ...rest } = list as { items?: Item[] };
  const base = JSON.stringify({ ...rest, items });
  const [first, ...others] = items;
  const filler = 'x'.repeat(Math.max(0, bytes - base.length - 64));
  const carrier: Item = first ?? { metadata: { name: 'padding' } };
  const withFiller = {
    ...carrier,
    metadata: {
      ...carrier.metadata,
      annotations: { ...carrier.metadata.annotations, 'stub.example.com/padding': filler },
    },
  };
  return JSON.stringify({ ...rest, items: [withFiller, ...others] });
}

/**
 * Items come back in name order (etcd key order); a continue token carries the name to resume after,
 * encoded the way the API server encodes its own.
 */
function listNodes(stored: StoredNode[], params: URLSearchParams, resourceVersion: string): Reply {
  const selector = parseLabelSelector(params.get('labelSelector') ?? '');
  if (typeof selector === 'string') return statusReply(400, 'BadRequest', selector);
  let start = '';
  const continueParam = params.get('continue');
  if (continueParam) {
    const decoded = decodeContinue(continueParam);
    if (decoded === undefined) {
      return statusReply(400, 'BadRequest', `continue key is not valid: ${continueParam}`);
    }
    start = decoded;
  }
  const matching = stored
    .map(toNode)
    .filter((node) => selector.every((requirement) => requirement(node.metadata.labels)))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
    .filter((node) => node.metadata.name >= start);
  const limit = Number.parseInt(params.get('limit') ?? '', 10);
  const page = limit > 0 ? matching.slice(0, limit) : matching;
  const last = page.at(-1);
  const more = page.length < matching.length && last !== undefined;
  return {
    status: 200,
    body: {
      kind: 'NodeList',
      apiVersion: 'v1',
      metadata: {
        resourceVersion,
        ...(more && { continue: encodeContinue(last.metadata.name, resourceVersion) }),
      },
      items: page,
    },
  };
}

type LabelRequirement = (labels: Record<string, string>) => boolean;

/** Equality-based selectors: `k=v`, `k==v`, `k!=v`, comma-separated (AND). Returns an error message otherwise. */
function parseLabelSelector(selector: string): LabelRequirement[] | string {
  const requirements: LabelRequirement[] = [];
  for (const term of selector.split(',').filter((t) => t.trim())) {
    const match = /^\s*([\w./-]+)\s*(!=|==|=)\s*([\w.-]*)\s*$/.exec(term);
    if (!match) return `unable to parse requirement: ${term} (this stub supports only equality selectors)`;
    const [, key = '', operator, value = ''] = match;
    requirements.push(
      operator === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value,
    );
  }
  return requirements;
}

function encodeContinue(lastName: string, resourceVersion: string): string {
  const token = { v: 'meta.k8s.io/v1', rv: Number(resourceVersion), start: `${lastName}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

function decodeContinue(token: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      v?: unknown;
      start?: unknown;
    };
    return parsed.v === 'meta.k8s.io/v1' && typeof parsed.start === 'string' ? parsed.start : undefined;
  } catch {
    return undefined;
  }
}

/** A v1 Node as an EKS managed nodegroup registers it (trimmed of capacity and images). */
function toNode(node: StoredNode) {
  const region = node.availabilityZone.replace(/[a-z]$/, '');
  const domain = region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
  const name = `ip-${node.privateIp.replaceAll('.', '-')}.${domain}`;
  const ready = node.ready ?? true;
  const since = node.createdAt;
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: since,
    lastTransitionTime: since,
    reason,
    message,
  });
  return {
    metadata: {
      name,
      uid: node.uid,
      resourceVersion: node.resourceVersion,
      creationTimestamp: since,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/instance-type': 'm5.large',
        'beta.kubernetes.io/os': 'linux',
        'eks.amazonaws.com/capacityType': 'ON_DEMAND',
        ...(node.nodegroupLabel !== false && { 'eks.amazonaws.com/nodegroup': node.nodegroup }),
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'm5.large',
        'topology.kubernetes.io/region': region,
        'topology.kubernetes.io/zone': node.availabilityZone,
      } as Record<string, string>,
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': node.privateIp,
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { providerID: `aws:///${node.availabilityZone}/${node.instanceId}` },
    status: {
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : condition(
              'Ready',
              node.notReady?.status ?? 'False',
              node.notReady?.reason ?? 'KubeletNotReady',
              node.notReady?.message ?? NOT_READY_CNI_MESSAGE,
            ),
      ],
      addresses: [
        { type: 'InternalIP', address: node.privateIp },
        { type: 'InternalDNS', address: name },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        architecture: 'amd64',
        bootID: node.uid,
        containerRuntimeVersion: 'containerd://1.7.25',
        kernelVersion: '6.1.127-135.201.amzn2023.x86_64',
        kubeProxyVersion: KUBELET_VERSION,
        kubeletVersion: KUBELET_VERSION,
        machineID: node.uid.replaceAll('-', ''),
        operatingSystem: 'linux',
        osImage: 'Amazon Linux 2023.6.20250203',
        systemUUID: node.uid,
      },
    },
  };
}

// --- Authentication ------------------------------------------------------------------------------

/**
 * Checks a bearer token the way aws-iam-authenticator's verifier does before it calls STS, then,
 * when the stub knows the cluster name, does STS's part too: recomputes the signature with the
 * cluster name as `x-k8s-aws-id`. Returns why the token is rejected, or undefined when it is admitted.
 */
async function rejectToken(
  authorization: string | undefined,
  { clusterName, credentials = STUB_CREDENTIALS }: KubernetesStubOptions,
): Promise<string | undefined> {
  if (!authorization?.startsWith('Bearer ')) return 'no bearer token';
  const token = authorization.slice('Bearer '.length);
  if (token.length > MAX_TOKEN_LENGTH) return 'token is too large';
  if (!token.startsWith(TOKEN_PREFIX)) return `token is missing the ${TOKEN_PREFIX} prefix`;
  const encoded = token.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return 'token is not unpadded base64url';

  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return 'token does not decode to a URL';
  }
  if (url.protocol !== 'https:') return `unexpected scheme ${url.protocol} in pre-signed URL`;
  if (!STS_HOST.test(url.host)) return `unexpected hostname ${url.host} in pre-signed URL`;
  if (url.pathname !== '/') return 'unexpected path in pre-signed URL';

  const params = new Map<string, string>();
  for (const key of new Set(url.searchParams.keys())) {
    if (!ALLOWED_TOKEN_PARAMS.has(key.toLowerCase())) return `non-whitelisted query parameter ${key}`;
    const values = url.searchParams.getAll(key);
    if (values.length !== 1) return 'query parameter with multiple values not supported';
    params.set(key.toLowerCase(), values[0] as string);
  }
  if (params.get('action') !== 'GetCallerIdentity') return 'unexpected action parameter in pre-signed URL';
  const signedHeaders = (params.get('x-amz-signedheaders') ?? '').toLowerCase().split(';');
  if (!signedHeaders.includes('x-k8s-aws-id')) return 'client did not sign the x-k8s-aws-id header';
  if (!params.get('x-amz-signature')) return 'pre-signed URL has no X-Amz-Signature';
  const expires = Number(params.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900) return 'invalid X-Amz-Expires parameter';
  const signedAt = parseAmzDate(params.get('x-amz-date') ?? '');
  if (!signedAt) return 'X-Amz-Date parameter missing or malformed';
  if (Date.now() > signedAt.getTime() + TOKEN_LIFETIME_MS) return 'X-Amz-Date parameter is expired';

  if (clusterName === undefined) return undefined;
  return rejectSignature(url, params, signedAt, expires, clusterName, credentials);
}

/** STS's part: the signature must match the one this identity would make for this cluster. */
async function rejectSignature(
  url: URL,
  params: Map<string, string>,
  signedAt: Date,
  expires: number,
  clusterName: string,
  credentials: AwsCredentialIdentity,
): Promise<string | undefined> {
  const [accessKeyId, , region, service] = (params.get('x-amz-credential') ?? '').split('/');
  if (accessKeyId !== credentials.accessKeyId) return `unknown access key ${accessKeyId}`;
  if ((params.get('x-amz-security-token') ?? '') !== (credentials.sessionToken ?? '')) {
    return 'security token does not match the access key';
  }
  const signer = new SignatureV4({
    credentials,
    region: region ?? '',
    service: service ?? '',
    sha256: Sha256,
  });
  const expected = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: url.hostname,
      path: '/',
      query: { Action: params.get('action') ?? '', Version: params.get('version') ?? '' },
      headers: { host: url.hostname, 'x-k8s-aws-id': clusterName },
    },
    { signingDate: signedAt, expiresIn: expires },
  );
  return expected.query?.['X-Amz-Signature'] === params.get('x-amz-signature')
    ? undefined
    : `signature does not match: the token was not presigned for cluster ${clusterName} by ${accessKeyId}`;
}

/** `20250131T235959Z` → Date; undefined when malformed. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}
