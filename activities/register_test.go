package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

const fargateJob = `{"image":"busybox:1.36","command":["echo","hi"],"cluster":"jobs"}`

func prepare(t testing.TB, raw string) *job.Prepared {
	t.Helper()
	p, err := job.Prepare([]byte(raw), job.PrepareOptions{Region: testRegion})
	require.NoError(t, err)
	return p
}

// registerAs registers p's definition in the fake as if done before.
func registerAs(t testing.TB, f *fakeECS, p *job.Prepared) string {
	t.Helper()
	in, err := job.RegisterInput(p.TaskDefinition)
	require.NoError(t, err)
	return aws.ToString(f.addDef(in).TaskDefinitionArn)
}

func TestGetOrRegisterReturnsAGivenArnWithoutRegistering(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	p := prepare(t, `{"taskDefinitionArn":"arn:aws:ecs:us-east-1:123456789012:task-definition/given:4"}`)

	var res RegisterResult
	require.NoError(t, newTestEnv(t, a).run(&res, a.GetOrRegisterTaskDefinition, p))

	assert.Equal(t, RegisterResult{TaskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/given:4"}, res)
	assert.Zero(t, w.ecs.registerCalls)
}

func TestGetOrRegisterRegistersOnceThenReusesTheCachedRevision(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	env := newTestEnv(t, a)

	var first, second RegisterResult
	require.NoError(t, env.run(&first, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob)))
	// Another job with the same definition (a different command is a run-time override).
	other := newTestEnv(t, a).attemptsOf(workflow.Execution{ID: "other-job", RunID: "run-1"}, context.Background())
	require.NoError(t, other.run(&second, a.GetOrRegisterTaskDefinition, prepare(t, `{"image":"busybox:1.36","command":"sleep 1","cluster":"jobs"}`)))

	assert.True(t, first.Registered)
	assert.False(t, second.Registered)
	assert.Equal(t, first.TaskDefinitionArn, second.TaskDefinitionArn)
	assert.Equal(t, 1, w.ecs.registerCalls)

	var third RegisterResult
	require.NoError(t, env.run(&third, a.GetOrRegisterTaskDefinition, prepare(t, `{"image":"busybox:1.37"}`)))
	assert.True(t, third.Registered, "another definition is another revision")
	assert.NotEqual(t, first.TaskDefinitionArn, third.TaskDefinitionArn)
}

func TestGetOrRegisterForgetsACachedRevisionThatIsInactiveOrUndescribable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		break_  func(f *fakeECS, arn string)
		wantErr string
	}{
		{"inactive", func(f *fakeECS, arn string) { f.deactivateLocked(arn) }, "INACTIVE"},
		{"undescribable", func(f *fakeECS, arn string) {
			f.describeDefErr[arn] = &types.ClientException{Message: aws.String("access denied to revision")}
		}, "access denied to revision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			a := newTestActivities(t, w)
			env := newTestEnv(t, a)
			var first, second RegisterResult
			require.NoError(t, env.run(&first, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob)))
			w.ecs.mu.Lock()
			tc.break_(w.ecs, first.TaskDefinitionArn)
			w.ecs.mu.Unlock()

			require.NoError(t, env.run(&second, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob)))

			assert.True(t, second.Registered)
			assert.NotEqual(t, first.TaskDefinitionArn, second.TaskDefinitionArn)
			warnings := env.logs.find("Forgetting cached task definition")
			require.Len(t, warnings, 1)
			assert.Equal(t, first.TaskDefinitionArn, warnings[0].Attrs["taskDefinitionArn"])
			assert.Contains(t, fmt.Sprint(warnings[0].Attrs["error"]), tc.wantErr)
		})
	}
}

func TestGetOrRegisterMatchesTheLatestRevisionOfTheFamily(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	p := prepare(t, `{"image":"busybox:1.36","family":"etl","matchLatestRevisionInFamily":true}`)
	existing := registerAs(t, w.ecs, p)
	env := newTestEnv(t, a)

	var res RegisterResult
	require.NoError(t, env.run(&res, a.GetOrRegisterTaskDefinition, p))

	assert.Equal(t, RegisterResult{TaskDefinitionArn: existing}, res)
	assert.Zero(t, w.ecs.registerCalls)
}

func TestGetOrRegisterRegistersWhenTheLatestRevisionDiffers(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	old := registerAs(t, w.ecs, prepare(t, `{"image":"busybox:1.35","family":"etl"}`))
	env := newTestEnv(t, a)

	var res RegisterResult
	require.NoError(t, env.run(&res, a.GetOrRegisterTaskDefinition, prepare(t, `{"image":"busybox:1.36","family":"etl","matchLatestRevisionInFamily":true}`)))

	assert.True(t, res.Registered)
	assert.NotEqual(t, old, res.TaskDefinitionArn)
	diffs := env.logs.find("differs from the prepared definition")
	require.Len(t, diffs, 1)
	assert.Contains(t, diffs[0].Attrs["diff"], "busybox:1.35")
}

func TestGetOrRegisterIgnoresTheOrderOfEnvironmentEntries(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	base := `{"image":"busybox","family":"ordered","matchLatestRevisionInFamily":true,"taskDefinition":{"containerDefinitions":[{"name":"main","environment":[%s]}]}}`
	registerAs(t, w.ecs, prepare(t, fmt.Sprintf(base, `{"name":"A","value":"1"},{"name":"B","value":"2"}`)))

	var res RegisterResult
	require.NoError(t, newTestEnv(t, a).run(&res, a.GetOrRegisterTaskDefinition, prepare(t, fmt.Sprintf(base, `{"name":"B","value":"2"},{"name":"A","value":"1"}`))))

	assert.False(t, res.Registered)
	assert.Zero(t, w.ecs.registerCalls)
}

func TestGetOrRegisterConcurrentJobsRegisterOnce(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	var wg sync.WaitGroup
	results := make([]*RegisterResult, 16)
	for i := range results {
		wg.Go(func() {
			res, err := a.GetOrRegisterTaskDefinition(context.Background(), prepare(t, fargateJob))
			assert.NoError(t, err)
			results[i] = res
		})
	}
	wg.Wait()

	assert.Equal(t, 1, w.ecs.registerCalls)
	registered := 0
	for _, r := range results {
		require.NotNil(t, r)
		assert.Equal(t, results[0].TaskDefinitionArn, r.TaskDefinitionArn)
		if r.Registered {
			registered++
		}
	}
	assert.Equal(t, 1, registered, "only the job that registered may deregister")
}

func concurrentRevisionErr() error {
	return &types.ClientException{Message: aws.String("Too many concurrent attempts to create a new revision of the specified family.")}
}

func TestGetOrRegisterRetriesConcurrentRevisionRefusals(t *testing.T) {
	w := newFakeWorld()
	w.ecs.registerErrs = []error{concurrentRevisionErr(), concurrentRevisionErr()}
	a := newTestActivities(t, w)

	var res RegisterResult
	require.NoError(t, newTestEnv(t, a).run(&res, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob)))

	assert.True(t, res.Registered)
	assert.Equal(t, 3, w.ecs.registerCalls)
}

func TestGetOrRegisterGivesUpAfterTheConfiguredAttempts(t *testing.T) {
	w := newFakeWorld()
	w.ecs.registerErrs = []error{concurrentRevisionErr(), concurrentRevisionErr(), concurrentRevisionErr()}
	a := newTestActivities(t, w, func(o *Options) { o.RegisterAttempts = 2 })

	err := newTestEnv(t, a).run(nil, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob))

	require.Error(t, err)
	assert.Contains(t, err.Error(), "Too many concurrent attempts")
	assert.Equal(t, 2, w.ecs.registerCalls)
}

func TestGetOrRegisterDoesNotRetryOtherErrors(t *testing.T) {
	w := newFakeWorld()
	w.ecs.registerErrs = []error{&types.ClientException{Message: aws.String("Invalid setting for container memory")}}
	a := newTestActivities(t, w)

	err := newTestEnv(t, a).run(nil, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob))

	require.Error(t, err)
	assert.Equal(t, 1, w.ecs.registerCalls)
}

func TestIsConcurrentRevisionClassifiesByTypeAndMessage(t *testing.T) {
	assert.True(t, isConcurrentRevision(concurrentRevisionErr()))
	assert.False(t, isConcurrentRevision(&types.InvalidParameterException{Message: aws.String("Too many concurrent attempts to create a new revision")}))
	assert.False(t, isConcurrentRevision(errors.New("Too many concurrent attempts to create a new revision")))
}

func TestCacheIsKeyedByRegionAndRole(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	env := newTestEnv(t, a)
	var r1, r2 RegisterResult
	require.NoError(t, env.run(&r1, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob)))
	require.NoError(t, env.run(&r2, a.GetOrRegisterTaskDefinition, prepare(t, `{"image":"busybox:1.36","command":["echo","hi"],"cluster":"jobs","roleArn":"arn:aws:iam::123456789012:role/other"}`)))
	assert.True(t, r2.Registered, "another role may be another account")
}

// blockedRegister is an ECS endpoint whose RegisterTaskDefinition waits
// until released; entered receives each call as it starts.
type blockedRegister struct {
	*fakeECS
	entered chan struct{}
	release chan struct{}
}

func (b blockedRegister) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.fakeECS.RegisterTaskDefinition(ctx, in, opts...)
}

func TestGetOrRegisterJobWaitingForAnotherJobsRegistrationHonoursItsCancellation(t *testing.T) {
	w := newFakeWorld()
	api := blockedRegister{fakeECS: w.ecs, entered: make(chan struct{}, 1), release: make(chan struct{})}
	a := newTestActivities(t, w, func(o *Options) {
		o.newClients = func(k clientKey, cfg aws.Config) Clients {
			c := w.newClients(k, cfg)
			c.ECS = api
			return c
		}
	})
	leaderDone := make(chan error, 1)
	go func() {
		_, err := a.GetOrRegisterTaskDefinition(context.Background(), prepare(t, fargateJob))
		leaderDone <- err
	}()
	<-api.entered

	// A second job with the same definition waits for the first one's
	// registration, but not past its own cancellation (its attempt timed
	// out, or the workflow was cancelled).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	followerDone := make(chan error, 1)
	go func() {
		_, err := a.GetOrRegisterTaskDefinition(ctx, prepare(t, fargateJob))
		followerDone <- err
	}()
	select {
	case err := <-followerDone:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Error("the cancelled job still waits for the other job's registration")
	}
	close(api.release)
	require.NoError(t, <-leaderDone)
}

func TestGetOrRegisterRetriedAttemptOfTheRegisteringRunOwnsTheRevision(t *testing.T) {
	for _, tc := range []struct {
		name string
		// cached: the abandoned attempt's registration completes before
		// the retry starts, which finds the revision in the cache; else
		// the retry waits on that registration.
		cached bool
	}{{"waiting on the abandoned registration", false}, {"finding it cached", true}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			api := blockedRegister{fakeECS: w.ecs, entered: make(chan struct{}, 1), release: make(chan struct{})}
			a := newTestActivities(t, w, func(o *Options) {
				o.newClients = func(k clientKey, cfg aws.Config) Clients {
					c := w.newClients(k, cfg)
					c.ECS = api
					return c
				}
			})
			run := workflow.Execution{ID: "etl-nightly", RunID: "run-1"}

			// The first attempt starts registering, then times out.
			attempt1, abandon := context.WithCancel(context.Background())
			first := make(chan error, 1)
			go func() {
				first <- newTestEnv(t, a).attemptsOf(run, attempt1).run(nil, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob))
			}()
			<-api.entered
			abandon()
			select {
			case err := <-first:
				require.Error(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("the abandoned attempt did not end")
			}

			// Temporal retries it.
			retried := make(chan error, 1)
			var res RegisterResult
			if tc.cached {
				close(api.release)
				// Wait for the abandoned attempt's registration to be cached.
				require.Eventually(t, func() bool {
					w.ecs.mu.Lock()
					defer w.ecs.mu.Unlock()
					for arn := range w.ecs.defs {
						return a.defs.registeredBy(arn, execution{WorkflowID: run.ID, RunID: run.RunID})
					}
					return false
				}, 10*time.Second, time.Millisecond)
			}
			go func() {
				retried <- newTestEnv(t, a).attemptsOf(run, context.Background()).run(&res, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob))
			}()
			if !tc.cached {
				close(api.release)
			}
			select {
			case err := <-retried:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("the retried attempt did not end")
			}

			assert.True(t, res.Registered, "the run that registered the revision must deregister it")
			w.ecs.mu.Lock()
			assert.Equal(t, 1, w.ecs.registerCalls)
			require.Len(t, w.ecs.defs, 1)
			assert.Contains(t, w.ecs.defs, res.TaskDefinitionArn)
			w.ecs.mu.Unlock()

			// Another run sharing the revision does not own it.
			var shared RegisterResult
			other := newTestEnv(t, a).attemptsOf(workflow.Execution{ID: "etl-nightly", RunID: "run-2"}, context.Background())
			require.NoError(t, other.run(&shared, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob)))
			assert.Equal(t, RegisterResult{TaskDefinitionArn: res.TaskDefinitionArn}, shared)
			assert.Equal(t, 1, w.ecs.registerCalls)
		})
	}
}
