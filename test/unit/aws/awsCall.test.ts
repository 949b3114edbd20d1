import { describe, expect, it } from 'vitest';
import { awsCall } from '../../../functions/aws/awsCall.js';
import { AwsCallError, errorName, NotFoundError } from '../../../functions/core/model/errors.js';
import { namedError } from '../../support/sdkErrors.js';

const denied = namedError('AccessDeniedException', 'not allowed');
const conflict = namedError('ConditionalCheckFailedException', 'condition failed');

describe('awsCall', () => {
  it('returns what the operation answers', async () => {
    await expect(awsCall('eks:DescribeCluster', async () => 'answer')).resolves.toBe('answer');
  });

  it('turns an SDK error into an AwsCallError that names the operation and the permission to grant', async () => {
    const call = awsCall('eks:DescribeCluster', () => Promise.reject(denied));

    await expect(call).rejects.toThrow(AwsCallError);
    await expect(call).rejects.toMatchObject({
      operation: 'eks:DescribeCluster',
      errorName: 'AccessDeniedException',
      exitCode: 3,
      cause: denied,
      message:
        "eks:DescribeCluster failed: AccessDeniedException: not allowed (grant eks:DescribeCluster to the caller's IAM role)",
    });
  });

  it('wraps an error the operation throws before any call, too', async () => {
    const call = awsCall('sqs:GetQueueUrl', () => {
      throw new Error('not a queue ARN: nonsense');
    });

    await expect(call).rejects.toThrow('sqs:GetQueueUrl failed: Error: not a queue ARN: nonsense');
  });

  it('answers an expected error with its answer', async () => {
    const written = awsCall('dynamodb:PutItem', () => Promise.reject(conflict), {
      when: (error) => errorName(error) === 'ConditionalCheckFailedException',
      answer: () => false,
    });

    await expect(written).resolves.toBe(false);
  });

  it('still wraps an error the expectation does not recognise', async () => {
    const written = awsCall('dynamodb:PutItem', () => Promise.reject(denied), {
      when: (error) => errorName(error) === 'ConditionalCheckFailedException',
      answer: () => false,
    });

    await expect(written).rejects.toThrow(/^dynamodb:PutItem failed: AccessDeniedException/);
  });

  it('lets an answer throw an error of its own, unwrapped', async () => {
    const gone = namedError('ResourceNotFoundException', 'No cluster found');
    const described = awsCall('eks:DescribeCluster', () => Promise.reject(gone), {
      when: (error) => errorName(error) === 'ResourceNotFoundException',
      answer: (error): never => {
        throw new NotFoundError('cluster prod not found', { cause: error });
      },
    });

    await expect(described).rejects.toThrow(NotFoundError);
    await expect(described).rejects.toMatchObject({ message: 'cluster prod not found', cause: gone });
  });
});

describe('errorName', () => {
  it('is the name of an SDK error, and empty for anything without one', () => {
    expect(errorName(denied)).toBe('AccessDeniedException');
    expect(errorName(undefined)).toBe('');
    expect(errorName({})).toBe('');
  });
});
