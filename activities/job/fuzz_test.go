package job_test

import (
	"errors"
	"testing"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// FuzzPrepare checks that any input is either prepared into a request that
// builds and converts, or refused with an *Error, never a panic.
func FuzzPrepare(f *testing.F) {
	for _, s := range []string{
		`{"image":"x"}`,
		`{"image":"x","command":"a 'b c'","env":{"A":null,"B":"1"},"labels":{"a b":"c"},"cpu":256,"launchType":"EC2"}`,
		`{"launchType":null,"taskDefinition":{"cpu":"1 vCPU","containerDefinitions":[{"name":"main","image":"x","essential":false},{}]}}`,
		`{"taskDefinitionArn":"arn","taskRunRequest":{"overrides":{"containerOverrides":[{"command":"x","environment":{"A":"b"}}]},"tags":{"k":"v"}}}`,
		`{"image":"x","taskCustomizations":[{"op":"move","from":"/launchType","path":"/group"}],"capacityProviderStrategy":[{"capacityProvider":"c","weight":1}]}`,
		`{"image":"x","vpcId":"v","networkConfiguration":{"subnets":["s"]},"streamOutput":true,"executionRoleArn":"r","cloudwatchLogsOptions":{"a":"b"}}`,
	} {
		f.Add([]byte(s), []byte(`{"cluster":"c","env":{"D":"d"}}`))
	}
	f.Fuzz(func(t *testing.T, raw, defaults []byte) {
		p, err := job.Prepare(raw, job.PrepareOptions{Defaults: defaults, Region: "r"})
		if err != nil {
			var e *job.Error
			if !errors.As(err, &e) {
				t.Fatalf("Prepare returned %T, not *job.Error: %v", err, err)
			}
			return
		}
		if p.TaskDefinition != nil {
			if _, err := job.RegisterInput(p.TaskDefinition); err != nil {
				t.Fatalf("prepared definition does not convert: %v", err)
			}
			if _, err := job.Digest(p.TaskDefinition); err != nil {
				t.Fatalf("digest: %v", err)
			}
		}
		if p.ContainerName == "" {
			p.ContainerName = "main"
		}
		req, err := job.BuildRunRequest(p, "td", nil, "tok", "wf")
		if err != nil {
			var e *job.Error
			if !errors.As(err, &e) {
				t.Fatalf("BuildRunRequest returned %T: %v", err, err)
			}
			return
		}
		if _, err := job.RunTaskInput(req); err != nil {
			t.Fatalf("run request does not convert: %v", err)
		}
		_ = job.MaskRequest(req)
		_, _ = job.Preview(raw, job.PrepareOptions{Defaults: defaults})
	})
}
