// A supervisor run begun by the code before paged reconciles still replays with today's workflow code (it takes the
// legacy path, marked by the absence of the paged-reconcile patch), so upgrading the worker never sticks it.
//
// test/fixtures/histories/supervisor-before-paging.b64 is that code's history (a temporal.api.history.v1.History,
// protobuf, base64): 3 prefixes (2 advertised, 2 parent prefixes), 60 s cycles, 16 minutes on the time-skipping
// server, so it holds the start of both children, their adoption and one resync of every child (cycle 15).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { quietTemporalRuntime, workflowBundle } from '../helpers/temporal';

const FIXTURE = join(__dirname, '..', 'fixtures', 'histories', 'supervisor-before-paging.b64');

describe('supervisor: runs of the code before paged reconciles', function () {
  this.timeout(60_000);

  it('replay without nondeterminism with the current code', async () => {
    quietTemporalRuntime();
    const history = temporal.api.history.v1.History.decode(Buffer.from(readFileSync(FIXTURE, 'utf8'), 'base64'));
    const types = history.events.map((e) => e.eventType);
    const count = (t: temporal.api.enums.v1.EventType) => types.filter((x) => x === t).length;
    const E = temporal.api.enums.v1.EventType;
    // What makes the fixture worth replaying: the old reconcile's starts, signals and activity reads.
    assert.equal(count(E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED), 2);
    assert.ok(count(E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED) >= 2);
    assert.ok(count(E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) >= 16);
    assert.equal(count(E.EVENT_TYPE_MARKER_RECORDED), 0, 'no patch marker: written before paged reconciles');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, SUPERVISOR_WORKFLOW_ID);
  });
});
