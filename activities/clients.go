package activities

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ECSAPI is the part of the ECS API the activities use.
type ECSAPI interface {
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
	RunTask(ctx context.Context, in *ecs.RunTaskInput, optFns ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(ctx context.Context, in *ecs.StopTaskInput, optFns ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
}

// EC2API is the part of the EC2 API the activities use to infer and
// validate a task's network configuration.
type EC2API interface {
	DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs API that reads a container's
// awslogs stream.
type LogsAPI interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

var (
	_ ECSAPI  = (*ecs.Client)(nil)
	_ EC2API  = (*ec2.Client)(nil)
	_ LogsAPI = (*cloudwatchlogs.Client)(nil)
)

// clientKey selects the clients of a job: the region its calls go to and
// the IAM role they assume (empty: the worker's own credentials).
type clientKey struct {
	Region  string
	RoleArn string
}

// Clients are the AWS clients of one ClientKey.
type Clients struct {
	ECS  ECSAPI
	EC2  EC2API
	Logs LogsAPI
}

// newClientsFunc builds the clients of key from cfg, the worker's AWS
// configuration with the key's region and (assumed-role) credentials.
// Tests replace it to inject fakes.
type newClientsFunc func(key clientKey, cfg aws.Config) Clients

// newSDKClients builds the real aws-sdk-go-v2 clients.
func newSDKClients(_ clientKey, cfg aws.Config) Clients {
	return Clients{
		ECS:  ecs.NewFromConfig(cfg),
		EC2:  ec2.NewFromConfig(cfg),
		Logs: cloudwatchlogs.NewFromConfig(cfg),
	}
}

// clientFactory builds the clients of each (region, role) once and reuses
// them: the SDK clients are safe for concurrent use, and an assumed role's
// credentials are cached and refreshed by aws.CredentialsCache.
type clientFactory struct {
	base  aws.Config
	newFn newClientsFunc
	mu    sync.Mutex
	byKey map[clientKey]Clients
}

func newClientFactory(base aws.Config, newFn newClientsFunc) *clientFactory {
	if newFn == nil {
		newFn = newSDKClients
	}
	if base.Retryer == nil {
		// The standard retryer retries throttling, 5xx and connection
		// errors with backoff: transport faults never reach the activities.
		base.Retryer = func() aws.Retryer { return retry.NewStandard() }
	}
	return &clientFactory{base: base, newFn: newFn, byKey: map[clientKey]Clients{}}
}

// key is the key of (region, roleArn), an empty region being the worker's.
func (f *clientFactory) key(region, roleArn string) clientKey {
	if region == "" {
		region = f.base.Region
	}
	return clientKey{Region: region, RoleArn: roleArn}
}

// get returns the clients of (region, roleArn); an empty region is the
// worker's.
func (f *clientFactory) get(region, roleArn string) Clients {
	key := f.key(region, roleArn)
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.byKey[key]; ok {
		return c
	}
	cfg := f.base.Copy()
	cfg.Region = key.Region
	if key.RoleArn != "" {
		// The STS client uses the worker's own credentials; the assumed
		// role's are cached until shortly before they expire.
		stsClient := sts.NewFromConfig(f.base.Copy(), func(o *sts.Options) { o.Region = key.Region })
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, key.RoleArn,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "temporal-ecs" }))
	}
	c := f.newFn(key, cfg)
	f.byKey[key] = c
	return c
}
