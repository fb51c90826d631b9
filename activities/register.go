package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/singleflight"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// registerTimeout bounds a registration shared by concurrent jobs, which
// runs apart from the cancellation of the job that started it.
const registerTimeout = 5 * time.Minute

// definitionKey is what the cache is keyed by: the account reached (region
// and role) and the content digest of the prepared definition, so that
// identical jobs share one revision.
type definitionKey struct {
	clientKey
	Digest string
}

func (k definitionKey) String() string { return k.Region + "\x00" + k.RoleArn + "\x00" + k.Digest }

// execution identifies the workflow run an activity attempt belongs to;
// every attempt of one activity of a run has the same. It is zero outside
// a workflow (a direct call, or an activity started by a client).
type execution struct {
	WorkflowID, RunID string
}

// executionOf returns the workflow run ctx's activity attempt belongs to.
func executionOf(ctx context.Context) execution {
	if !activity.IsActivity(ctx) {
		return execution{}
	}
	we := activity.GetInfo(ctx).WorkflowExecution
	if we.ID == "" || we.RunID == "" {
		return execution{}
	}
	return execution{WorkflowID: we.ID, RunID: we.RunID}
}

// definitionCache remembers, per worker, the revision registered for each
// definition digest, and which workflow run registered each revision this
// worker registered.
type definitionCache struct {
	mu          sync.Mutex
	byKey       map[definitionKey]string
	registrants map[string]execution // by ARN
}

func newDefinitionCache() *definitionCache {
	return &definitionCache{byKey: map[definitionKey]string{}, registrants: map[string]execution{}}
}

func (c *definitionCache) get(k definitionKey) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	arn, ok := c.byKey[k]
	return arn, ok
}

func (c *definitionCache) put(k definitionKey, arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey[k] = arn
}

// putRegistered caches arn, which run by registered on this worker.
func (c *definitionCache) putRegistered(k definitionKey, arn string, by execution) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey[k] = arn
	if by != (execution{}) {
		c.registrants[arn] = by
	}
}

// registeredBy reports whether run e registered arn on this worker.
func (c *definitionCache) registeredBy(arn string, e execution) bool {
	if e == (execution{}) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	by, ok := c.registrants[arn]
	return ok && by == e
}

// forgetArn drops every entry naming arn.
func (c *definitionCache) forgetArn(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.byKey {
		if v == arn {
			delete(c.byKey, k)
		}
	}
	delete(c.registrants, arn)
}

// GetOrRegisterTaskDefinition returns the ARN of a task definition equal to
// the prepared one, registering it only when no cached or latest revision
// matches. A job naming a task definition ARN gets it back unregistered.
// Concurrent jobs of one worker with the same definition register it once.
// Registered is true for every attempt of the workflow run that registered
// the revision, so that a retry of an attempt abandoned while registering
// still owns it, and false for the other runs sharing it.
func (a *Activities) GetOrRegisterTaskDefinition(ctx context.Context, p *job.Prepared) (*RegisterResult, error) {
	if p == nil {
		return nil, temporal.NewNonRetryableApplicationError("no prepared job", ErrInvalidJobConfiguration, nil)
	}
	if p.TaskDefinitionArn != "" {
		return &RegisterResult{TaskDefinitionArn: p.TaskDefinitionArn}, nil
	}
	digest := p.TaskDefinitionDigest
	if digest == "" {
		var err error
		if digest, err = job.Digest(p.TaskDefinition); err != nil {
			return nil, invalidJob(err)
		}
	}
	key := definitionKey{clientKey: a.clients.key(p.Region, p.RoleArn), Digest: digest}
	exec := executionOf(ctx)
	leader := false
	ch := a.register.DoChan(key.String(), func() (any, error) {
		leader = true
		// Followers wait on this call: it must not end with the leader's
		// cancellation.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), registerTimeout)
		defer cancel()
		return a.getOrRegister(sctx, key, p, exec)
	})
	// Each job waits for the shared call only as long as its own context
	// allows; the call goes on for the others (and the cache).
	var r singleflight.Result
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r = <-ch:
	}
	if r.Err != nil {
		return nil, r.Err
	}
	res := *r.Val.(*RegisterResult)
	// Only the job that registered the revision may deregister it: the
	// caller whose call registered it, or any attempt of the run whose
	// earlier attempt did (it waited on that call, or found it cached).
	res.Registered = (res.Registered && leader) || a.defs.registeredBy(res.TaskDefinitionArn, exec)
	return &res, nil
}

// getOrRegister finds or registers the revision for key; Registered is
// true when this call registered it, on behalf of run exec.
func (a *Activities) getOrRegister(ctx context.Context, key definitionKey, p *job.Prepared, exec execution) (*RegisterResult, error) {
	log := a.logger(ctx)
	api := a.clients.get(key.Region, key.RoleArn).ECS
	if arn, ok := a.defs.get(key); ok {
		td, err := describeDefinition(ctx, api, arn)
		switch {
		case err != nil:
			log.Warn("Forgetting cached task definition that cannot be described", "taskDefinitionArn", arn, "error", err)
			a.defs.forgetArn(arn)
		case td.Status != types.TaskDefinitionStatusActive:
			log.Warn("Forgetting cached task definition that is no longer active", "taskDefinitionArn", arn,
				"error", fmt.Sprintf("status is %s", td.Status))
			a.defs.forgetArn(arn)
		default:
			if equal, diff := job.Equal(p.TaskDefinition, td); !equal {
				log.Debug("Cached task definition differs from the prepared one", "taskDefinitionArn", arn, "diff", diff.String())
				a.defs.forgetArn(arn)
				break
			}
			log.Info("Using cached ECS task definition", "taskDefinitionArn", arn)
			return &RegisterResult{TaskDefinitionArn: arn}, nil
		}
	}

	if p.MatchLatestRevisionInFamily {
		if arn, ok := a.matchLatest(ctx, api, p); ok {
			a.defs.put(key, arn)
			return &RegisterResult{TaskDefinitionArn: arn}, nil
		}
	}

	arn, err := a.registerDefinition(ctx, api, p)
	if err != nil {
		return nil, err
	}
	a.defs.putRegistered(key, arn, exec)
	return &RegisterResult{TaskDefinitionArn: arn, Registered: true}, nil
}

// matchLatest returns the family's latest ACTIVE revision when it equals
// the prepared definition.
func (a *Activities) matchLatest(ctx context.Context, api ECSAPI, p *job.Prepared) (string, bool) {
	log := a.logger(ctx)
	family, _ := p.TaskDefinition["family"].(string)
	if family == "" {
		return "", false
	}
	log.Info("Retrieving the latest active revision of the ECS task family", "family", family)
	// Describing a family returns its latest ACTIVE revision.
	td, err := describeDefinition(ctx, api, family)
	if err != nil {
		log.Info("No latest revision to reuse", "family", family, "error", err)
		return "", false
	}
	arn := aws.ToString(td.TaskDefinitionArn)
	if equal, diff := job.Equal(p.TaskDefinition, td); !equal {
		log.Debug("Latest revision of the family differs from the prepared definition", "taskDefinitionArn", arn, "diff", diff.String())
		return "", false
	}
	log.Info("Using the latest revision of the ECS task family", "taskDefinitionArn", arn)
	return arn, true
}

// registerDefinition registers the prepared definition, retrying ECS's
// refusal while other revisions of the family are being created.
func (a *Activities) registerDefinition(ctx context.Context, api ECSAPI, p *job.Prepared) (string, error) {
	in, err := job.RegisterInput(p.TaskDefinition)
	if err != nil {
		return "", invalidJob(err)
	}
	log := a.logger(ctx)
	log.Info("Registering ECS task definition", "family", aws.ToString(in.Family))
	log.Debug("Task definition request", "taskDefinition", job.MaskRequest(p.TaskDefinition))
	var out *ecs.RegisterTaskDefinitionOutput
	b := backoff{attempts: a.opts.RegisterAttempts, delay: a.opts.RegisterDelay}
	err = b.do(ctx, isConcurrentRevision, func(n int) error {
		var err error
		out, err = api.RegisterTaskDefinition(ctx, in)
		if err != nil && isConcurrentRevision(err) && n < b.attempts {
			log.Info("ECS is busy creating revisions of the family: retrying", "family", aws.ToString(in.Family), "attempt", n)
		}
		return err
	})
	if err != nil {
		return "", wrapAWS(err, "register task definition of family %q", aws.ToString(in.Family))
	}
	if out.TaskDefinition == nil || out.TaskDefinition.TaskDefinitionArn == nil {
		return "", errors.New("register task definition: ECS returned no task definition")
	}
	arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	log.Info("Registered ECS task definition", "taskDefinitionArn", arn)
	return arn, nil
}

// describeDefinition describes a revision, or a family's latest ACTIVE one.
func describeDefinition(ctx context.Context, api ECSAPI, arnOrFamily string) (*types.TaskDefinition, error) {
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arnOrFamily)})
	if err != nil {
		return nil, err
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("describe task definition %s: ECS returned none", arnOrFamily)
	}
	return out.TaskDefinition, nil
}
