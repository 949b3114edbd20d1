import {
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeLaunchTemplateVersionsCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  type LaunchTemplateBlockDeviceMapping,
} from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { errorName, NotFoundError } from '../core/model/errors.js';
import {
  type KmsKeyFacts,
  type LaunchReader,
  type LaunchVolume,
  type Log,
  silentLog,
} from '../core/model/ports.js';
import type { Nodegroup } from '../core/model/types.js';
import { Memo } from '../Memo.js';
import { awsCall } from './awsCall.js';
import type { AwsClients } from './clients.js';
import { deniedOrUnsupported, httpStatusOf } from './unreadable.js';

export interface AwsLaunchReaderOptions {
  clients: Pick<AwsClients, 'autoScaling' | 'ec2' | 'kms'>;
  log?: Log;
}

/** A launch template as Auto Scaling names it. */
interface TemplateRef {
  id?: string;
  name?: string;
  version: string;
}

/**
 * Reads what a failed launch is confirmed against: the EBS volumes of the launch template the
 * nodegroup's Auto Scaling group launches from (EKS makes one for nodegroups without their own), the
 * account's EBS encryption by default and its default key, and each KMS key's state and policy. One
 * instance serves one invocation: each read is made once however many nodegroups share it.
 *
 * Access denied, an API not offered and a resource not found leave that part undefined (logged at
 * debug), so the cause stays unconfirmed; only throttling beyond retries, credentials or network
 * failures throw an AwsCallError (the caller reports the failure unconfirmed then).
 */
export class AwsLaunchReader implements LaunchReader {
  readonly #clients: AwsLaunchReaderOptions['clients'];
  readonly #log: Log;
  readonly #reads = new Memo<Promise<unknown>>();

  constructor({ clients, log }: AwsLaunchReaderOptions) {
    this.#clients = clients;
    this.#log = log ?? silentLog;
  }

  readLaunchVolumes(nodegroup: Nodegroup): Promise<LaunchVolume[] | undefined> {
    return this.#once(`volumes/${nodegroup.clusterName}/${nodegroup.name}`, () => this.#volumes(nodegroup));
  }

  readKmsKey(keyId: string): Promise<KmsKeyFacts> {
    return this.#once(`key/${keyId}`, () => this.#kmsKey(keyId));
  }

  async #volumes(nodegroup: Nodegroup): Promise<LaunchVolume[] | undefined> {
    const keys = { cluster: nodegroup.clusterName, nodegroup: nodegroup.name };
    const templates = await this.#templates(nodegroup, keys);
    if (templates.length === 0) return undefined;
    const mappings: LaunchTemplateBlockDeviceMapping[][] = [];
    for (const template of templates) {
      const read = await this.#once(`template/${template.id ?? template.name}/${template.version}`, () =>
        this.#soft('ec2:DescribeLaunchTemplateVersions', keys, async () => {
          const response = await this.#clients.ec2.send(
            new DescribeLaunchTemplateVersionsCommand({
              ...(template.id ? { LaunchTemplateId: template.id } : { LaunchTemplateName: template.name }),
              Versions: [template.version],
            }),
          );
          return response.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.BlockDeviceMappings ?? [];
        }),
      );
      if (read) mappings.push(read);
    }
    if (mappings.length === 0) return undefined;

    // Volumes as the template gives them; no EBS mapping at all: the AMI's root volume.
    const volumes: (LaunchVolume & { explicit: boolean })[] = mappings.flat().flatMap((m) =>
      m.Ebs && !m.NoDevice
        ? [
            {
              ...(m.DeviceName && { deviceName: m.DeviceName }),
              encrypted: m.Ebs.Encrypted === true,
              explicit: m.Ebs.Encrypted !== undefined,
              ...(m.Ebs.KmsKeyId && { kmsKeyId: m.Ebs.KmsKeyId }),
            },
          ]
        : [],
    );
    if (volumes.length === 0) volumes.push({ encrypted: false, explicit: false });

    // Encryption by default encrypts what the template leaves unencrypted (it cannot turn it off).
    if (volumes.some((v) => !v.encrypted)) {
      const byDefault = await this.#once('ebs-encryption-by-default', () =>
        this.#soft('ec2:GetEbsEncryptionByDefault', keys, async () => {
          const response = await this.#clients.ec2.send(new GetEbsEncryptionByDefaultCommand({}));
          return response.EbsEncryptionByDefault === true;
        }),
      );
      if (byDefault) for (const v of volumes) v.encrypted = true;
    }
    // An encrypted volume without a key uses the account's default EBS key.
    if (volumes.some((v) => v.encrypted && !v.kmsKeyId)) {
      const defaultKey = await this.#once('ebs-default-kms-key-id', () =>
        this.#soft('ec2:GetEbsDefaultKmsKeyId', keys, async () => {
          const response = await this.#clients.ec2.send(new GetEbsDefaultKmsKeyIdCommand({}));
          return response.KmsKeyId;
        }),
      );
      if (defaultKey) for (const v of volumes) if (v.encrypted && !v.kmsKeyId) v.kmsKeyId = defaultKey;
    }
    this.#log.debug('Read launch volumes', { ...keys, templates, volumes: volumes.length });
    return volumes.map(({ explicit: _explicit, ...volume }) => volume);
  }

  /** The templates the nodegroup's groups launch from; the nodegroup's own when the groups cannot be read. */
  async #templates(nodegroup: Nodegroup, keys: Record<string, unknown>): Promise<TemplateRef[]> {
    const names = nodegroup.autoScalingGroupNames;
    const groups =
      names.length > 0
        ? await this.#soft('autoscaling:DescribeAutoScalingGroups', keys, async () => {
            const response = await this.#clients.autoScaling.send(
              new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names.slice(0, 50) }),
            );
            return response.AutoScalingGroups ?? [];
          })
        : undefined;
    const refs = new Map<string, TemplateRef>();
    const add = (spec: LaunchTemplateSpecification | undefined) => {
      const ref = toRef(spec);
      if (ref) refs.set(`${ref.id ?? ref.name}/${ref.version}`, ref);
    };
    for (const group of groups ?? []) for (const spec of templateSpecs(group)) add(spec);
    if (refs.size === 0 && nodegroup.launchTemplate) {
      const { id, name, version } = nodegroup.launchTemplate;
      add({ LaunchTemplateId: id, LaunchTemplateName: name, Version: version });
    }
    return [...refs.values()];
  }

  async #kmsKey(keyId: string): Promise<KmsKeyFacts> {
    const keys = { keyId };
    const metadata = await awsCall(
      'kms:DescribeKey',
      async () => (await this.#clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata,
      {
        when: (error) => isNotFound(error) || unreadable(error) !== undefined,
        answer: (error) => {
          if (isNotFound(error)) throw new NotFoundError(`KMS key ${keyId} does not exist`);
          this.#log.debug(`kms:DescribeKey not readable: ${unreadable(error)}`, {
            ...keys,
            error: errorName(error),
          });
          return undefined;
        },
      },
    );
    const keyManager =
      metadata?.KeyManager === 'AWS' || metadata?.KeyManager === 'CUSTOMER' ? metadata.KeyManager : undefined;
    // GetKeyPolicy takes a key id or ARN, not an alias; AWS managed keys need no policy check.
    const policyKey = metadata?.Arn ?? (keyId.includes('alias/') ? undefined : keyId);
    const policy =
      policyKey && keyManager !== 'AWS'
        ? await this.#soft('kms:GetKeyPolicy', keys, async () => {
            const response = await this.#clients.kms.send(
              new GetKeyPolicyCommand({ KeyId: policyKey, PolicyName: 'default' }),
            );
            return response.Policy;
          })
        : undefined;
    return {
      keyId: metadata?.KeyId ?? keyId,
      ...(metadata?.Arn && { keyArn: metadata.Arn }),
      ...(metadata?.KeyState && { keyState: metadata.KeyState }),
      ...(keyManager && { keyManager }),
      ...(policy && { policy }),
    };
  }

  /** One promise per key for the life of the reader; a failure is not cached. */
  #once<T>(key: string, read: () => Promise<T>): Promise<T> {
    return this.#reads.get(key, read) as Promise<T>;
  }

  /** Runs one read; "cannot be read here" becomes undefined, anything else an AwsCallError. */
  #soft<T>(operation: string, keys: Record<string, unknown>, read: () => Promise<T>): Promise<T | undefined> {
    return awsCall(operation, read, {
      when: (error) => unreadable(error) !== undefined || isNotFound(error),
      answer: (error) => {
        this.#log.debug(`${operation} not readable: ${unreadable(error) ?? 'not found'}; left unconfirmed`, {
          ...keys,
          error: errorName(error),
          message: (error as { message?: string })?.message,
        });
        return undefined;
      },
    });
  }
}

/** The launch templates a group uses: its own, or its mixed instances policy's and their overrides'. */
function templateSpecs(group: AutoScalingGroup): (LaunchTemplateSpecification | undefined)[] {
  const mixed = group.MixedInstancesPolicy?.LaunchTemplate;
  return [
    group.LaunchTemplate,
    mixed?.LaunchTemplateSpecification,
    ...(mixed?.Overrides ?? []).map((o) => o.LaunchTemplateSpecification),
  ];
}

function toRef(spec: LaunchTemplateSpecification | undefined): TemplateRef | undefined {
  if (!spec?.LaunchTemplateId && !spec?.LaunchTemplateName) return undefined;
  return {
    ...(spec.LaunchTemplateId && { id: spec.LaunchTemplateId }),
    ...(spec.LaunchTemplateName && { name: spec.LaunchTemplateName }),
    // Auto Scaling's default when no version is given.
    version: spec.Version ?? '$Default',
  };
}

function isNotFound(error: unknown): boolean {
  return /NotFound/i.test(errorName(error));
}

/** Why an error means "not readable here", or undefined when it is a real failure. */
function unreadable(error: unknown): string | undefined {
  const denied = deniedOrUnsupported(error);
  if (denied) return denied;
  // GetKeyPolicy of a key in a state that refuses it: the state alone then decides.
  if (errorName(error) === 'KMSInvalidStateException') return 'not readable in this key state';
  if (httpStatusOf(error) === 404 && !isNotFound(error)) return 'not offered by this endpoint';
  return undefined;
}
