import { expect } from 'chai';
import { OutageTracker } from '../../../src/eventhubs/outage.js';
import { partitionStatus } from '../../../src/eventhubs/partition-status.js';
import { describeStreamFailure } from '../../../src/eventhubs/stream-errors.js';

const WHERE = { namespace: 'contoso.servicebus.windows.net', hub: 'defender', consumerGroup: 'splunk' };

describe('eventhubs: outages, lag, failures', () => {
  it('reports one failure per outage and its length when it ends', () => {
    const tracker = new OutageTracker();
    expect(tracker.succeeded(0)).to.equal(undefined);
    expect(tracker.failed(1000, { code: 'a', message: 'm' })).to.deep.equal({ code: 'a', message: 'm' });
    expect(tracker.failed(2000, { code: 'a', message: 'm' })).to.equal(undefined);
    expect(tracker.succeeded(6000)).to.deep.equal({ outageSeconds: 5, failures: 2 });
    expect(tracker.failed(7000, { code: 'b', message: 'n' })).to.deep.equal({ code: 'b', message: 'n' });
  });

  it('lag: events and seconds behind the hub, zero when caught up', () => {
    const base = { beginSequence: 0, isEmpty: false, nowMs: 100_000 };
    expect(
      partitionStatus({
        ...base,
        checkpointSequence: 10,
        checkpointEnqueuedMs: 50_000,
        lastEnqueuedSequence: 10,
        lastEnqueuedMs: 50_000,
      }),
    ).to.deep.equal({ checkpointSequence: 10, lastEnqueuedSequence: 10, lagEvents: 0, lagSeconds: 0 });
    expect(
      partitionStatus({
        ...base,
        checkpointSequence: 4,
        checkpointEnqueuedMs: 40_000,
        lastEnqueuedSequence: 10,
        lastEnqueuedMs: 52_500,
      }),
    ).to.deep.equal({ checkpointSequence: 4, lastEnqueuedSequence: 10, lagEvents: 6, lagSeconds: 12.5 });
    // Nothing flushed yet: behind by everything retained, by the age of the last event.
    expect(
      partitionStatus({
        ...base,
        checkpointSequence: -1,
        checkpointEnqueuedMs: undefined,
        lastEnqueuedSequence: 2,
        lastEnqueuedMs: 90_000,
      }),
    ).to.deep.equal({ checkpointSequence: -1, lastEnqueuedSequence: 2, lagEvents: 3, lagSeconds: 10 });
    expect(
      partitionStatus({
        ...base,
        isEmpty: true,
        checkpointSequence: -1,
        checkpointEnqueuedMs: undefined,
        lastEnqueuedSequence: -1,
        lastEnqueuedMs: undefined,
      }).lagEvents,
    ).to.equal(0);
  });

  it('names the field and the fix for the SDK failures an admin can cause', () => {
    const unauthorized = Object.assign(new Error('InvalidSignature: The token has an invalid signature.'), {
      code: 'UnauthorizedError',
    });
    expect(describeStreamFailure(unauthorized, WHERE)).to.include({ code: 'stream_unauthorized' });
    expect(describeStreamFailure(unauthorized, WHERE).message).to.include('connection_string').and.include('Listen');
    // After its retries the SDK throws an AggregateError with an empty message and the codes inside.
    const aggregate = new AggregateError([unauthorized, unauthorized], '');
    expect(describeStreamFailure(aggregate, WHERE).code).to.equal('stream_unauthorized');
    const missing = Object.assign(new Error("The messaging entity 'sb://x/defender' could not be found."), {
      code: 'MessagingEntityNotFoundError',
    });
    expect(describeStreamFailure(missing, WHERE).message).to.include('event_hub_name').and.include('consumer_group');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5671'), { code: 'ECONNREFUSED' });
    expect(describeStreamFailure(refused, WHERE)).to.include({ code: 'stream_unreachable' });
    expect(describeStreamFailure(refused, WHERE).message).to.include('event_hub_namespace').and.include('proxy_url');
    expect(describeStreamFailure(new Error('odd'), WHERE).code).to.equal('stream_error');
  });
});
