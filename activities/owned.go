package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// ownerOf reads the owner from a task described with its tags.
func ownerOf(task types.Task) (job.Owner, bool) {
	tags := make(map[string]string, len(task.Tags))
	for _, t := range task.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return job.OwnerFromTags(tags)
}

// ownedBy reports whether the task's tags name owner's chain.
func ownedBy(task types.Task, owner job.Owner) bool {
	o, ok := ownerOf(task)
	return ok && o.SameChain(owner)
}

// describeWithTags describes the tasks of cluster (empty: the default
// cluster) with their tags, in batches of describeTasksBatch. Tasks ECS no
// longer knows are left out.
func describeWithTags(ctx context.Context, api ECSAPI, cluster string, arns []string) ([]types.Task, error) {
	var out []types.Task
	for len(arns) > 0 {
		batch := arns[:min(len(arns), describeTasksBatch)]
		arns = arns[len(batch):]
		in := &ecs.DescribeTasksInput{Tasks: batch, Include: []types.TaskField{types.TaskFieldTags}}
		if cluster != "" {
			in.Cluster = aws.String(cluster)
		}
		res, err := api.DescribeTasks(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, res.Tasks...)
	}
	return out, nil
}

// ownedTasks returns the tasks of cluster that are not stopped yet and
// whose startedBy and tags name owner's chain: ListTasks by startedBy,
// then DescribeTasks with tags to check each one.
func ownedTasks(ctx context.Context, api ECSAPI, cluster string, owner job.Owner) ([]types.Task, error) {
	list := &ecs.ListTasksInput{StartedBy: aws.String(owner.StartedBy()), DesiredStatus: types.DesiredStatusRunning}
	if cluster != "" {
		list.Cluster = aws.String(cluster)
	}
	var arns []string
	pages := ecs.NewListTasksPaginator(api, list)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		arns = append(arns, page.TaskArns...)
	}
	tasks, err := describeWithTags(ctx, api, cluster, arns)
	if err != nil {
		return nil, err
	}
	owned := tasks[:0]
	for _, t := range tasks {
		if aws.ToString(t.LastStatus) != "STOPPED" && ownedBy(t, owner) {
			owned = append(owned, t)
		}
	}
	return owned, nil
}
