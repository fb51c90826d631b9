package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// metricStoppedToClose is the timer of the latency from a task's STOPPED
// (ECS's stoppedAt) to the close of the workflow that ran it. A metrics
// handler that follows the Prometheus naming conventions (the worker's
// does) serves it as a histogram in seconds, suffixed _seconds.
const metricStoppedToClose = "temporal_ecs_task_stopped_to_close_latency"

// recordStoppedToClose records, through the workflow's metrics handler,
// the time from res's StoppedAt to now, when the workflow closes on a
// task that stopped by itself: r.retrying (the task runs again) records
// nothing, nor does a result without a stop time. Call it last, as the
// workflow returns (complete defers it).
//
// It is replay-safe and needs no workflow.GetVersion: recording a metric
// is no workflow command, so it changes no history, and the SDK's
// workflow metrics handler drops what is recorded during a replay. A
// negative latency (ECS's and Temporal's clocks disagree) is recorded as
// zero.
func (r *run) recordStoppedToClose(res *activities.TaskResult) {
	if r.retrying || res == nil || res.StoppedAt == nil {
		return
	}
	d := max(workflow.Now(r.ctx).Sub(*res.StoppedAt), 0)
	workflow.GetMetricsHandler(r.ctx).Timer(metricStoppedToClose).Record(d)
}
