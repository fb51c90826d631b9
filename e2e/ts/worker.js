// The TypeScript worker of e2e/typescript_test.go: runs the parent workflows
// of workflows.ts on the task queue given as its only argument, against the
// Temporal server in TEMPORAL_ADDRESS (namespace TEMPORAL_NAMESPACE).
// It prints "worker started" once it polls, and shuts down gracefully (exit
// status 0) on SIGTERM or SIGINT.
'use strict';
const { NativeConnection, Worker } = require('@temporalio/worker');

async function main() {
  const taskQueue = process.argv[2];
  if (!taskQueue) throw new Error('usage: node worker.js TASK_QUEUE');
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233' });
  try {
    const worker = await Worker.create({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
      taskQueue,
      workflowsPath: require.resolve('./workflows.ts'),
    });
    const running = worker.run();
    console.log('worker started', JSON.stringify({ taskQueue }));
    await running;
  } finally {
    await connection.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
