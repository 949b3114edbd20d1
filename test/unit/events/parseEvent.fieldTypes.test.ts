/**
 * parseEvent on fields of the wrong type: a field that is present but not a string is treated as
 * absent (or the event as malformed), never passed on; and the future check needs both the receive
 * time and the join window.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../functions/events/parseEvent.js';

type Json = Record<string, unknown>;

function sample(name: string): Json & { detail: Json & { requestParameters?: Json } } {
  return JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8'));
}

describe('parseEvent: fields of the wrong type', () => {
  it('reports an event whose detail-type is missing or not a string as malformed, whatever its source', () => {
    for (const detailType of [undefined, 7]) {
      const event = sample('asg-launch-successful.json');
      event['detail-type'] = detailType;
      expect(parseEvent(event).kind).toBe('malformed');
    }
  });

  it('leaves out a region, account or time that is not a string', () => {
    for (const name of ['asg-launch-successful.json', 'eks-create-nodegroup.json']) {
      const event = { ...sample(name), region: 42, account: { id: 1 }, time: 1764151808 };
      const parsed = parseEvent(event);
      expect(parsed.kind).not.toBe('malformed');
      expect(parsed).not.toHaveProperty('region');
      expect(parsed).not.toHaveProperty('account');
      expect(parsed).not.toHaveProperty('time');
    }
  });

  it('reports a nodegroup call whose cluster or nodegroup name is not a string as malformed', () => {
    const byNumber = sample('eks-create-nodegroup.json');
    byNumber.detail.requestParameters = { name: 1234, nodegroupName: 'new_nodegroup_2' };
    expect(parseEvent(byNumber).kind).toBe('malformed');

    const byObject = sample('eks-create-nodegroup.json');
    byObject.detail.requestParameters = { name: 'eks-workshop', nodegroupName: ['new_nodegroup_2'] };
    expect(parseEvent(byObject).kind).toBe('malformed');
  });
});

describe('parseEvent: the future check needs the receive time and the join window', () => {
  it('does not judge the time without a join window, or without a receive time', () => {
    const event = sample('asg-launch-successful.json');
    event.time = '2099-01-01T00:00:00Z';
    expect(parseEvent(event, { receivedAt: new Date('2026-11-26T10:00:00Z') }).kind).toBe('launch');
    expect(parseEvent(event, { joinWindowSeconds: 300 }).kind).toBe('launch');
  });

  it('judges the time with a join window of 0', () => {
    const event = sample('asg-launch-successful.json');
    event.time = '2026-11-26T10:05:01Z';
    const options = { receivedAt: new Date('2026-11-26T10:00:00Z'), joinWindowSeconds: 0 };
    expect(parseEvent(event, options).kind).toBe('malformed');
  });
});
