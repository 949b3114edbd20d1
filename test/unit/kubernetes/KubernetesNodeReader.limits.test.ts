/**
 * The bounds on each Kubernetes read: bytes per response, a deadline per request that
 * covers a slow body, and a repeated continue token; each one that trips makes the read unknown,
 * saying which, and never throws.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { judgeInstances } from '../../../functions/core/diagnose/judgeInstances.js';
import { ConfigError } from '../../../functions/core/model/errors.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  KubernetesNodeReader,
  type KubernetesNodeReaderOptions,
} from '../../../functions/kubernetes/KubernetesNodeReader.js';
import { instance } from '../../support/factories.js';
import { REPEATED_CONTINUE } from '../../support/kubernetesStub.js';
import { stubNode } from '../../support/stubNodes.js';
import { cluster, credentials, listen, stubPerTest } from './nodeReaderSetup.js';

const MIB = 1024 * 1024;
const INSTANCE = 'i-0aaa0000000000001';

/** kube-system/aws-auth as a reader of `url` with these bounds reads it. */
const awsAuthFrom = (url: string, bounds: Partial<KubernetesNodeReaderOptions> = {}) =>
  new KubernetesNodeReader({ credentials, apiUrlOverride: url, ...bounds }).readConfigMap(
    cluster(),
    'kube-system',
    'aws-auth',
  );

/** What a reader of `url` with these bounds says about INSTANCE in nodegroup `workers`. */
const membershipFrom = (url: string | undefined, bounds: Partial<KubernetesNodeReaderOptions> = {}) =>
  new KubernetesNodeReader({ credentials, apiUrlOverride: url, ...bounds }).listNodes(cluster(), 'workers', [
    INSTANCE,
  ]);

const nodeListBody = (instanceIds: string[]) =>
  JSON.stringify({
    kind: 'NodeList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '1' },
    items: instanceIds.map((id, index) => ({
      metadata: { name: `node-${index}`, labels: { 'eks.amazonaws.com/nodegroup': 'workers' } },
      spec: { providerID: `aws:///us-west-2a/${id}` },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    })),
  });

interface Exchange {
  path: string;
  query: URLSearchParams;
  /** Bytes of body the server managed to write before the exchange ended. */
  bytesWritten: number;
  /** The client closed the connection before the server had ended its answer. */
  closedEarly: boolean;
}

/**
 * A server whose answers the test writes itself (`serve`), and which records, per request, how much
 * body it wrote and whether the reader hung up before the end.
 */
async function startServer(
  serve: (req: http.IncomingMessage, res: http.ServerResponse, exchange: Exchange) => void,
): Promise<{ url: string; exchanges: Exchange[]; close(): Promise<void> }> {
  const exchanges: Exchange[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://server');
    const exchange: Exchange = {
      path: url.pathname,
      query: url.searchParams,
      bytesWritten: 0,
      closedEarly: false,
    };
    exchanges.push(exchange);
    res.on('close', () => {
      exchange.closedEarly = !res.writableFinished;
    });
    serve(req, res, exchange);
  });
  return { ...(await listen(server)), exchanges };
}

/** Writes `chunk` every `everyMs` until the client goes away. */
function trickle(res: http.ServerResponse, exchange: Exchange, chunk: Buffer, everyMs: number) {
  const timer = setInterval(() => {
    if (res.destroyed) {
      clearInterval(timer);
      return;
    }
    res.write(chunk);
    exchange.bytesWritten += chunk.length;
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** Answers 200 with `body`, with or without Content-Length. */
function answer(body: string, { contentLength }: { contentLength: boolean }, status = 200) {
  return (_req: http.IncomingMessage, res: http.ServerResponse, exchange: Exchange) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(contentLength && { 'content-length': Buffer.byteLength(body) }),
    });
    res.end(body);
    exchange.bytesWritten = Buffer.byteLength(body);
  };
}

const detailOf = (read: { kind: string; detail?: string }) => (read.kind === 'unknown' ? read.detail : read);

describe('KubernetesNodeReader: bytes per response', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each([
    ['with Content-Length', true],
    ['streamed (chunked)', false],
  ])(
    'reads a body of exactly maxResponseBytes, and one byte more is unknown (%s)',
    async (_how, contentLength) => {
      const body = nodeListBody([INSTANCE]);
      const size = Buffer.byteLength(body);
      server = await startServer(answer(body, { contentLength }));
      const read = (maxResponseBytes: number) => membershipFrom(server?.url, { maxResponseBytes });

      expect(await read(size)).toMatchObject({ kind: 'known', nodes: [{ instanceId: INSTANCE }] });

      const over = await read(size - 1);
      expect(over).toEqual({
        kind: 'unknown',
        reason: 'unreachable',
        endpoint: server.url,
        detail: contentLength
          ? `the response exceeded ${size - 1} bytes (maxResponseBytes): Content-Length ${size}, not read`
          : `the response exceeded ${size - 1} bytes (maxResponseBytes): stopped reading it`,
      });
    },
  );

  it('does not read a body whose Content-Length is over the cap: answers at once and hangs up', async () => {
    server = await startServer((_req, res) => {
      // Announces 64 MiB, then sends nothing: a reader that waited for it would hit the timeout.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 64 * MIB });
      res.flushHeaders();
    });
    const started = Date.now();

    const membership = await membershipFrom(server.url, { maxResponseBytes: MIB, timeoutMs: 5000 });

    expect(detailOf(membership)).toBe(
      `the response exceeded ${MIB} bytes (maxResponseBytes): Content-Length ${64 * MIB}, not read`,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    await expect.poll(() => server?.exchanges[0]?.closedEarly).toBe(true);
  });

  it('stops reading a body that never ends once past the cap, well before the timeout, and hangs up', async () => {
    server = await startServer((_req, res, exchange) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":"NodeList","items":[');
      trickle(res, exchange, Buffer.alloc(64 * 1024, ' '), 1);
    });
    const started = Date.now();

    const membership = await membershipFrom(server.url, { maxResponseBytes: MIB, timeoutMs: 10_000 });

    expect(membership).toEqual({
      kind: 'unknown',
      reason: 'unreachable',
      endpoint: server.url,
      detail: `the response exceeded ${MIB} bytes (maxResponseBytes): stopped reading it`,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    await expect.poll(() => server?.exchanges[0]?.closedEarly).toBe(true);
    // The server stopped writing soon after: the socket is gone, not drained in the background.
    const written = server.exchanges[0]?.bytesWritten ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.exchanges[0]?.bytesWritten).toBe(written);
  });

  it('caps an error answer too: an oversized 500 is unknown for its size, not quoted', async () => {
    server = await startServer(answer('e'.repeat(2 * MIB), { contentLength: false }, 500));

    const membership = await membershipFrom(server.url, { maxResponseBytes: MIB });

    expect(membership).toEqual({
      kind: 'unknown',
      reason: 'unreachable',
      endpoint: server.url,
      detail: `the response exceeded ${MIB} bytes (maxResponseBytes): stopped reading it`,
    });
  });

  it('caps every page of the whole node list, says which list, and the instance is judged unknown, not unjoined', async () => {
    const small = nodeListBody([]);
    const large = nodeListBody(Array.from({ length: 20_000 }, (_, i) => `i-0${String(i).padStart(16, '0')}`));
    expect(Buffer.byteLength(large)).toBeGreaterThan(2 * MIB);
    server = await startServer((req, res, exchange) => {
      const labelled = new URL(req.url ?? '/', 'http://x').searchParams.has('labelSelector');
      answer(labelled ? small : large, { contentLength: false })(req, res, exchange);
    });

    const membership = await membershipFrom(server.url, { maxResponseBytes: MIB });

    expect(membership).toEqual({
      kind: 'unknown',
      reason: 'unreachable',
      endpoint: server.url,
      detail: `whole node list: the response exceeded ${MIB} bytes (maxResponseBytes): stopped reading it`,
    });
    const verdicts = judgeInstances(
      [instance({ instanceId: INSTANCE, launchedAt: '2020-01-01T00:00:00Z' })],
      membership,
      new Date(),
      0,
    );
    expect(verdicts).toEqual([expect.objectContaining({ instanceId: INSTANCE, joined: null })]);
  });

  it('caps the ConfigMap read: an oversized aws-auth is unknown (never absent, never parsed)', async () => {
    const configMap = JSON.stringify({ kind: 'ConfigMap', data: { mapRoles: 'r'.repeat(2 * MIB) } });
    server = await startServer(answer(configMap, { contentLength: true }));
    expect(await awsAuthFrom(server.url, { maxResponseBytes: MIB })).toEqual({
      kind: 'unknown',
      detail: `the response exceeded ${MIB} bytes (maxResponseBytes): Content-Length ${Buffer.byteLength(configMap)}, not read`,
    });
    // Under the default cap the same answer is read whole.
    const read = await awsAuthFrom(server.url);
    expect(read.kind === 'found' && read.data.mapRoles?.length).toBe(2 * MIB);
  });

  it('caps a streamed ConfigMap answer, a 404 included: unknown, not absent', async () => {
    const notFound = JSON.stringify({
      kind: 'Status',
      reason: 'NotFound',
      details: { name: 'aws-auth' },
      message: 'n'.repeat(2 * MIB),
    });
    server = await startServer(answer(notFound, { contentLength: false }, 404));

    const read = await awsAuthFrom(server.url, { maxResponseBytes: MIB });

    expect(read).toEqual({
      kind: 'unknown',
      detail: `the response exceeded ${MIB} bytes (maxResponseBytes): stopped reading it`,
    });
  });

  it.each([0, -1, Number.NaN])('rejects maxResponseBytes %s', (maxResponseBytes) => {
    expect(() => new KubernetesNodeReader({ credentials, maxResponseBytes })).toThrow(ConfigError);
  });
});

describe('KubernetesNodeReader: the default cap of 16 MiB, against the stub', () => {
  const stub = stubPerTest((s) => s.setNodes([stubNode(INSTANCE)]));

  it('is 16 MiB', () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(16 * MIB);
  });

  it('reads a 15 MiB node list whole, and gives up on a 17 MiB one', async () => {
    stub().setMode('oversized', { bodyBytes: 15 * MIB });
    expect(await membershipFrom(stub().url)).toMatchObject({
      kind: 'known',
      nodes: [{ instanceId: INSTANCE }],
    });

    stub().setMode('oversized');
    expect(await membershipFrom(stub().url)).toEqual({
      kind: 'unknown',
      reason: 'unreachable',
      endpoint: stub().url,
      detail: 'the response exceeded 16777216 bytes (maxResponseBytes): stopped reading it',
    });
  });
});

describe('KubernetesNodeReader: the deadline covers the whole body', () => {
  const stub = stubPerTest((s) => {
    s.setNodes([stubNode(INSTANCE)]);
    s.setConfigMap('kube-system', 'aws-auth', { mapRoles: '' });
  });

  it('headers and half the body in time, the rest too late: unknown ETIMEDOUT at the deadline', async () => {
    stub().setMode('slow-body', { bodyDelayMs: 3000 });
    const started = Date.now();

    const membership = await membershipFrom(stub().url, { timeoutMs: 300 });

    expect(membership).toEqual({
      kind: 'unknown',
      reason: 'unreachable',
      endpoint: stub().url,
      detail: 'ETIMEDOUT: no response within 300 ms',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a slow body inside the deadline is waited for and read', async () => {
    stub().setMode('slow-body', { bodyDelayMs: 200 });

    expect(await membershipFrom(stub().url, { timeoutMs: 3000 })).toMatchObject({
      kind: 'known',
      nodes: [{ instanceId: INSTANCE }],
    });
  });

  it('the ConfigMap read has the same deadline', async () => {
    stub().setMode('slow-body', { bodyDelayMs: 3000 });

    expect(await awsAuthFrom(stub().url, { timeoutMs: 300 })).toEqual({
      kind: 'unknown',
      detail: 'ETIMEDOUT: no response within 300 ms',
    });
  });

  it('is a deadline, not an idle timeout: a body that trickles a byte every 20 ms still ends at it', async () => {
    const server = await startServer((_req, res, exchange) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      trickle(res, exchange, Buffer.from(' '), 20);
    });
    try {
      const started = Date.now();
      const membership = await membershipFrom(server.url, { timeoutMs: 400 });

      expect(detailOf(membership)).toBe('ETIMEDOUT: no response within 400 ms');
      expect(Date.now() - started).toBeLessThan(2000);
      await expect.poll(() => server.exchanges[0]?.closedEarly).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('KubernetesNodeReader: a continue token repeated by the stub', () => {
  const stub = stubPerTest((s) => s.setNodes([stubNode(INSTANCE)]));

  it('ends the labelled list after the second page as unknown, saying so', async () => {
    stub().setMode('repeat-continue');

    const membership = await membershipFrom(stub().url);

    expect(membership).toEqual({
      kind: 'unknown',
      reason: 'unreachable',
      endpoint: stub().url,
      detail: 'the API server repeated its continue token after 2 pages of the node list',
    });
    expect(
      stub()
        .nodeListRequests()
        .map((r) => r.query.continue),
    ).toEqual([undefined, REPEATED_CONTINUE]);
  });
});
