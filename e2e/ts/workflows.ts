// A TypeScript parent workflow that runs temporal-ecs's RunECSTask as a
// child workflow by name, as the README's "From TypeScript" snippet shows.
// e2e/typescript_test.go runs it on the worker in worker.js.
import { ApplicationFailure, ChildWorkflowFailure, executeChild, workflowInfo } from '@temporalio/workflow';

/** The job configuration: a plain JSON object (README "Job configuration"). */
export type Job = Record<string, unknown>;

/** What RunECSTask returns, and the first detail of its failures. */
export interface TaskResult {
  taskArn: string;
  clusterArn: string;
  lastStatus: string;
  /** The orchestrated container's exit code, -1 when ECS reported none. */
  exitCode: number;
  stopCode?: string;
  stoppedReason?: string;
  containers?: { name: string; exitCode?: number; reason?: string }[];
  logGroup?: string;
  logStream?: string;
}

/** RunECSTask's signature, for typing executeChild by name. */
type RunECSTask = (job: Job) => Promise<TaskResult>;

/** How the child ended, as the parent read it. */
export interface Outcome {
  /** The child's result, when it completed. */
  result?: TaskResult;
  /** The child's failure: its ApplicationFailure's type, message and details. */
  failure?: {
    type: string | undefined | null;
    message: string;
    nonRetryable: boolean;
    /** The exit code, read from the details' TaskResult. */
    exitCode?: number;
    details?: TaskResult;
  };
}

/**
 * Runs job as RunECSTask on the ecs-tasks queue, as the child
 * `<this workflow's ID>-child`, and reports how it ended. The default
 * cancellation type (WAIT_CANCELLATION_COMPLETED) makes a cancelled parent
 * wait until the child has stopped the ECS task.
 */
export async function runECSTaskAsChild(job: Job): Promise<Outcome> {
  try {
    const result = await executeChild<RunECSTask>('RunECSTask', {
      taskQueue: 'ecs-tasks',
      workflowId: `${workflowInfo().workflowId}-child`,
      args: [job], // e.g. { image: 'alpine:3.20', command: ['sh', '-c', 'exit 3'] }
    });
    return { result }; // result.exitCode, result.taskArn, ...
  } catch (err) {
    if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) {
      const app = err.cause; // app.type: 'TaskExitedNonZero'; app.message
      const details = app.details?.[0] as TaskResult | undefined; // details.exitCode: 3
      return {
        failure: { type: app.type, message: app.message, nonRetryable: app.nonRetryable ?? false, exitCode: details?.exitCode, details },
      };
    }
    throw err; // a cancellation (the parent ends cancelled), a timeout, a termination
  }
}
