package ecslocal_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

const adminToken = "admin-token-for-tests-0123456789"

// adminResponse is an admin API answer.
type adminResponse struct {
	status int
	header http.Header
	body   map[string]any
}

// errorText is the answer's {"error": ...}.
func (r adminResponse) errorText() string {
	s, _ := r.body["error"].(string)
	return s
}

// adminCall sends an admin request with a bearer token ("" for none) and
// a body (JSON-encoded unless a string or nil) through a real HTTP client.
func (e *env) adminCall(method, path, token string, body any) adminResponse {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(e.ctx, method, *e.cfg.BaseEndpoint+path, rd)
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	assert.Equal(e.t, "application/json", resp.Header.Get("Content-Type"), "%s", raw)
	out := adminResponse{status: resp.StatusCode, header: resp.Header}
	require.NoError(e.t, json.Unmarshal(raw, &out.body), "%s", raw)
	return out
}

// admin sends an authorised admin request and requires it to succeed.
func (e *env) admin(method, path string, body any) {
	e.t.Helper()
	resp := e.adminCall(method, path, adminToken, body)
	require.Equal(e.t, http.StatusOK, resp.status, resp.errorText())
}

func TestAdminIsOffWithoutAToken(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	for _, path := range []string{ecslocal.AdminFaultsPath, ecslocal.AdminStopTaskPath, ecslocal.AdminPathPrefix + "anything"} {
		resp := e.adminCall(http.MethodPost, path, adminToken, ecslocal.Fault{Kind: ecslocal.FaultThrottle, Op: "ecs:ListTasks", Count: 1})
		assert.Equal(t, http.StatusNotFound, resp.status, path)
		assert.Contains(t, resp.errorText(), "admin API is off", path)
	}
	_, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	require.NoError(t, err, "nothing was injected")
	resp := e.adminCall(http.MethodGet, ecslocal.StatsPath, "", nil)
	assert.Equal(t, http.StatusOK, resp.status, "the counters need no token")
	assert.Equal(t, map[string]any{"ecs:ListTasks": float64(1)}, resp.body, "admin requests are not counted")
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestAdminNeedsTheBearerToken(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, ecslocal.Options{AdminToken: adminToken, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	throttle := ecslocal.Fault{Kind: ecslocal.FaultThrottle, Op: "ecs:ListTasks", Count: 1}
	for name, token := range map[string]string{"none": "", "wrong": "wrong-token", "prefix": adminToken[:10], "longer": adminToken + "x"} {
		resp := e.adminCall(http.MethodPost, ecslocal.AdminFaultsPath, token, throttle)
		assert.Equal(t, http.StatusUnauthorized, resp.status, name)
		assert.Equal(t, `Bearer realm="ecslocal admin"`, resp.header.Get("WWW-Authenticate"), name)
	}
	// The right token under another scheme is no bearer token either.
	req, err := http.NewRequestWithContext(e.ctx, http.MethodDelete, *e.cfg.BaseEndpoint+ecslocal.AdminFaultsPath, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Basic "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	_, err = e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	require.NoError(t, err, "no refused request injected anything")

	// The scheme is case-insensitive, as HTTP's are.
	req, err = http.NewRequestWithContext(e.ctx, http.MethodPost, *e.cfg.BaseEndpoint+ecslocal.AdminFaultsPath,
		strings.NewReader(`{"kind":"throttle","op":"ecs:ListTasks","count":1}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "bearer "+adminToken)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	assertWireError(t, err, "ThrottlingException", http.StatusBadRequest)

	assert.Contains(t, logs.String(), "refused a request without the admin token")
	assert.NotContains(t, logs.String(), adminToken[:10], "no token, right or wrong, is logged")
	assert.NotContains(t, logs.String(), "wrong-token")
}

func TestAdminInjectsFaults(t *testing.T) {
	e := newEnv(t, ecslocal.Options{AdminToken: adminToken})
	e.register("sleeper", container("app", "sleep", "30"))

	e.admin(http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultThrottle, Op: "ecs:ListTasks", Count: 1})
	_, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	assertWireError(t, err, "ThrottlingException", http.StatusBadRequest)

	e.admin(http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultThrottleAbove, Op: "ecs:DescribeClusters", PerSecond: 0.001, Burst: 1})
	_, err = e.ecs.DescribeClusters(e.ctx, &ecs.DescribeClustersInput{}, noRetry)
	require.NoError(t, err, "within the burst")
	_, err = e.ecs.DescribeClusters(e.ctx, &ecs.DescribeClustersInput{}, noRetry)
	assertWireError(t, err, "ThrottlingException", http.StatusBadRequest)

	e.admin(http.MethodPost, ecslocal.AdminFaultsPath, `{"kind":"serverErrors","op":"ecs:ListTasks","count":1,"status":503}`)
	_, err = e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	assertWireError(t, err, "ServiceUnavailable", http.StatusServiceUnavailable)

	e.admin(http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultRunTaskFailures, Count: 1})
	out, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("sleeper")})
	require.NoError(t, err)
	require.Len(t, out.Failures, 1)
	assert.Equal(t, ecslocal.DefaultRunTaskFailureReason, aws.ToString(out.Failures[0].Reason))

	e.admin(http.MethodDelete, ecslocal.StatsPath, nil)
	e.admin(http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultLoseResponses, Op: "ecs:RunTask", Count: 1})
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("sleeper"), ClientToken: aws.String("admin-lost")})
	assert.Equal(t, []string{aws.ToString(task.TaskArn)}, e.allTasks(), "the retry after the lost response launched nothing")
	assert.Equal(t, map[string]int64{"ecs:RunTask": 2, "ecs:ListTasks": 2}, e.srv.Stats(),
		"the stats were reset, and admin requests are never counted")

	// DELETE removes every fault.
	e.admin(http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultThrottle, Op: "ecs:ListTasks", Count: 5})
	e.admin(http.MethodDelete, ecslocal.AdminFaultsPath, nil)
	_, err = e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	require.NoError(t, err)
}

func TestAdminStopsTasksAsECSDoes(t *testing.T) {
	e := newEnv(t, ecslocal.Options{AdminToken: adminToken})
	e.register("sleeper", container("app", "sleep", "30"))
	codes := []types.TaskStopCode{
		types.TaskStopCodeSpotInterruption, types.TaskStopCodeTerminationNotice, types.TaskStopCodeServiceSchedulerInitiated,
		types.TaskStopCodeInfrastructureHealth, types.TaskStopCodeUserInitiated,
	}
	arns := make([]string, len(codes))
	for i := range codes {
		arns[i] = aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("sleeper")}).TaskArn)
	}
	for i, code := range codes {
		e.waitStatus(arns[i], "RUNNING")
		req := ecslocal.StopTaskRequest{Task: arns[i], StopCode: string(code), Reason: "stopped as " + string(code)}
		if i == 1 {
			req.Task = taskID(arns[i]) // an id does too
		}
		e.admin(http.MethodPost, ecslocal.AdminStopTaskPath, req)
	}
	for i, code := range codes {
		done := e.waitStatus(arns[i], "STOPPED")
		assert.Equal(t, code, done.StopCode)
		assert.Equal(t, "stopped as "+string(code), aws.ToString(done.StoppedReason))
		assert.Equal(t, int32(143), aws.ToInt32(done.Containers[0].ExitCode), "SIGTERM")
	}

	other := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("sleeper")}).TaskArn)
	e.admin(http.MethodPost, ecslocal.AdminStopTaskPath, ecslocal.StopTaskRequest{Task: other, StopCode: "SpotInterruption"})
	done := e.waitStatus(other, "STOPPED")
	assert.Equal(t, "Task stopped by the ecslocal admin API (stopCode SpotInterruption)", aws.ToString(done.StoppedReason))

	resp := e.adminCall(http.MethodPost, ecslocal.AdminStopTaskPath, adminToken,
		ecslocal.StopTaskRequest{Task: "0123456789abcdef0123456789abcdef", StopCode: "SpotInterruption"})
	assert.Equal(t, http.StatusNotFound, resp.status)
	assert.Contains(t, resp.errorText(), "no such task")
	assert.ErrorIs(t, e.srv.Faults().StopTask("nope", "SpotInterruption", "x"), ecslocal.ErrNoSuchTask)
}

func TestAdminRejectsBadRequests(t *testing.T) {
	e := newEnv(t, ecslocal.Options{AdminToken: adminToken})
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		want               string
	}{
		{"unknown path", http.MethodPost, ecslocal.AdminPathPrefix + "nope", nil, http.StatusNotFound, "not an ecslocal admin path"},
		{"wrong method", http.MethodGet, ecslocal.AdminFaultsPath, nil, http.StatusMethodNotAllowed, "DELETE and POST"},
		{"not JSON", http.MethodPost, ecslocal.AdminFaultsPath, `throttle`, http.StatusBadRequest, "decoding fault"},
		{"trailing data", http.MethodPost, ecslocal.AdminFaultsPath, `{"kind":"registerConflicts","count":1} {}`, http.StatusBadRequest, "trailing data"},
		{"unknown member", http.MethodPost, ecslocal.AdminFaultsPath, `{"kind":"throttle","op":"ecs:RunTask","cnt":1}`, http.StatusBadRequest, "cnt"},
		{"unknown kind", http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: "explode"}, http.StatusBadRequest, "unknown kind"},
		{"operation without service", http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultThrottle, Op: "RunTask", Count: 1}, http.StatusBadRequest, "ecs:Op"},
		{"member the kind does not take", http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultRunTaskFailures, Op: "ecs:RunTask", Count: 1}, http.StatusBadRequest, `takes no "op"`},
		{"status not 5xx", http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultServerErrors, Op: "ecs:RunTask", Count: 1, Status: 404}, http.StatusBadRequest, "not 5xx"},
		{"negative count", http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultLoseResponses, Op: "ecs:RunTask", Count: -1}, http.StatusBadRequest, "negative"},
		{"bad duration", http.MethodPost, ecslocal.AdminFaultsPath, ecslocal.Fault{Kind: ecslocal.FaultHoldProvisioning, Duration: "soon"}, http.StatusBadRequest, "duration"},
		{"stop without task", http.MethodPost, ecslocal.AdminStopTaskPath, ecslocal.StopTaskRequest{StopCode: "SpotInterruption"}, http.StatusBadRequest, "task is required"},
		{"unknown stop code", http.MethodPost, ecslocal.AdminStopTaskPath, ecslocal.StopTaskRequest{Task: "x", StopCode: "Spot"}, http.StatusBadRequest, "SpotInterruption, TerminationNotice"},
		{"reason too long", http.MethodPost, ecslocal.AdminStopTaskPath, ecslocal.StopTaskRequest{Task: "x", StopCode: "SpotInterruption", Reason: strings.Repeat("r", 256)}, http.StatusBadRequest, "255"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.adminCall(tc.method, tc.path, adminToken, tc.body)
			assert.Equal(t, tc.status, resp.status, resp.errorText())
			assert.Contains(t, resp.errorText(), tc.want)
		})
	}
	assert.Equal(t, "DELETE, POST", e.adminCall(http.MethodPut, ecslocal.AdminFaultsPath, adminToken, nil).header.Get("Allow"))
	assert.Empty(t, e.srv.Stats(), "no admin request is counted")
}

// A request under the admin prefix is never an AWS call, whatever headers
// it carries.
func TestAdminPathsAreNeverAWSCalls(t *testing.T) {
	e := newEnv(t, ecslocal.Options{AdminToken: adminToken})
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, *e.cfg.BaseEndpoint+ecslocal.AdminFaultsPath, strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListTasks")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("X-Amzn-ErrorType"), "answered by the admin API, not ECS")
	assert.Empty(t, e.srv.Stats())
}

func TestFaultInjectChecksTheFault(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	f := e.srv.Faults()
	for _, bad := range []ecslocal.Fault{
		{Kind: ecslocal.FaultThrottle, Count: 1},
		{Kind: ecslocal.FaultThrottle, Op: "sqs:SendMessage", Count: 1},
		{Kind: ecslocal.FaultThrottleAbove, Op: "ecs:RunTask", PerSecond: -1},
		{Kind: ecslocal.FaultServerErrors, Op: "ecs:RunTask", Count: 1, Status: 200},
		{Kind: ecslocal.FaultDelayLogDelivery, Duration: "-1s"},
		{Kind: ecslocal.FaultDescribeTasksMissing, Count: 1, Reason: "x"},
	} {
		assert.Error(t, f.Inject(bad), "%+v", bad)
	}
	require.NoError(t, f.Inject(ecslocal.Fault{Kind: ecslocal.FaultServerErrors, Op: "ecs:ListTasks", Count: 1}))
	_, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	assertWireError(t, err, "InternalFailure", http.StatusInternalServerError)

	ft, err := ecslocal.ParseFault([]byte(`{"kind":"registerConflicts","count":2}`))
	require.NoError(t, err)
	assert.Equal(t, ecslocal.Fault{Kind: ecslocal.FaultRegisterConflicts, Count: 2}, ft)
	_, err = ecslocal.ParseFault([]byte(`{"kind":"registerConflicts","count":2,"op":"ecs:RunTask"}`))
	assert.Error(t, err)
}
