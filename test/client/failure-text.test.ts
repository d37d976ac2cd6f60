// The one line mtctl prints for a failed request is never empty, whatever the error carries.
import assert from 'node:assert/strict';
import { failureText } from '../../src/client/operator/workflows';

describe('mtctl failure text', () => {
  it('uses the message, then the causes, without repeating one', () => {
    const root = new Error('connection refused');
    const mid = new Error('cannot reach Temporal', { cause: root });
    assert.equal(
      failureText(new Error('update failed', { cause: mid })),
      'update failed: cannot reach Temporal: connection refused',
    );
    assert.equal(failureText(new Error('same', { cause: new Error('same') })), 'same');
  });

  it('names an error without a message by its type, and never returns an empty line', () => {
    class WorkflowUpdateRejected extends Error {
      override name = 'WorkflowUpdateRejected';
    }
    assert.equal(failureText(new WorkflowUpdateRejected('')), 'WorkflowUpdateRejected');
    assert.equal(
      failureText(new Error('', { cause: new Error('workflow execution already completed') })),
      'Error: workflow execution already completed',
    );
    assert.equal(failureText('plain text'), 'plain text');
    assert.equal(failureText({ code: 5 }), '{"code":5}');
    assert.equal(failureText(''), 'unknown error');
  });
});
