// A TypeScript SDK client of e2e/typescript_test.go: runs RunECSTask directly
// (not as a child) with the job given as JSON, and prints one JSON line: the
// Outcome of workflows.ts ({"result": ...} or {"failure": ...}).
// Usage: node client.js WORKFLOW_ID JOB_JSON
'use strict';
const { ApplicationFailure, Client, Connection, WorkflowFailedError } = require('@temporalio/client');

async function main() {
  const [workflowId, jobJSON] = process.argv.slice(2);
  if (!workflowId || !jobJSON) throw new Error('usage: node client.js WORKFLOW_ID JOB_JSON');
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233' });
  try {
    const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE || 'default' });
    /** @type {import('./workflows').Outcome} */
    let outcome;
    try {
      const result = await client.workflow.execute('RunECSTask', {
        taskQueue: 'ecs-tasks',
        workflowId,
        args: [JSON.parse(jobJSON)],
      });
      outcome = { result };
    } catch (err) {
      if (!(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure)) throw err;
      const app = err.cause;
      const details = /** @type {import('./workflows').TaskResult | undefined} */ (app.details?.[0]);
      outcome = {
        failure: { type: app.type, message: app.message, nonRetryable: app.nonRetryable ?? false, exitCode: details?.exitCode, details },
      };
    }
    console.log(JSON.stringify(outcome));
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
