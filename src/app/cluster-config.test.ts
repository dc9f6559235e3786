import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareAccept } from './cluster-config.js';

test('the workers accept from the shared sockets unless NODE_CLUSTER_SCHED_POLICY says otherwise', () => {
  const c = { schedulingPolicy: 2, SCHED_NONE: 1 };
  shareAccept(c, {});
  assert.equal(c.schedulingPolicy, 1, 'no policy set: shared sockets');
  const rr = { schedulingPolicy: 2, SCHED_NONE: 1 };
  shareAccept(rr, { NODE_CLUSTER_SCHED_POLICY: 'rr' });
  assert.equal(rr.schedulingPolicy, 2, "the operator's round robin stays");
});
