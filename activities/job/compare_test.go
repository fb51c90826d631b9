package job_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// registered is what ECS returns for a registered body: the body, plus the
// fields and defaults ECS fills in.
func registered(t *testing.T, def map[string]any, mutate ...func(*types.TaskDefinition)) *types.TaskDefinition {
	t.Helper()
	in, err := job.RegisterInput(def)
	require.NoError(t, err)
	now := time.Now()
	td := &types.TaskDefinition{
		TaskDefinitionArn:       aws.String("arn:aws:ecs:eu-west-1:1:task-definition/" + aws.ToString(in.Family) + ":3"),
		Revision:                3,
		Status:                  types.TaskDefinitionStatusActive,
		RegisteredAt:            &now,
		RegisteredBy:            aws.String("arn:aws:iam::1:user/me"),
		Compatibilities:         []types.Compatibility{types.CompatibilityEc2, types.CompatibilityFargate},
		RequiresAttributes:      []types.Attribute{{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.18")}},
		Family:                  in.Family,
		Cpu:                     in.Cpu,
		Memory:                  in.Memory,
		NetworkMode:             in.NetworkMode,
		ExecutionRoleArn:        in.ExecutionRoleArn,
		RequiresCompatibilities: in.RequiresCompatibilities,
		Volumes:                 in.Volumes,
		PlacementConstraints:    []types.TaskDefinitionPlacementConstraint{},
	}
	for _, c := range in.ContainerDefinitions {
		if c.Essential == nil {
			c.Essential = aws.Bool(true)
		}
		if c.Environment == nil {
			c.Environment = []types.KeyValuePair{}
		}
		c.MountPoints = []types.MountPoint{}
		c.VolumesFrom = []types.VolumeFrom{}
		c.SystemControls = []types.SystemControl{}
		td.ContainerDefinitions = append(td.ContainerDefinitions, c)
	}
	for _, m := range mutate {
		m(td)
	}
	return td
}

func TestEqualAsPrefectCompares(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","executionRoleArn":"`+role+`","streamOutput":true,"taskDefinition":{"containerDefinitions":[
		{"name":"main","image":"old","environment":[{"name":"B","value":"2"},{"name":"A","value":"1"}],
		 "secrets":[{"name":"S2","valueFrom":"arn:2"},{"name":"S1","valueFrom":"arn:1"}],"portMappings":[{"containerPort":8080}]},
		{"name":"side","image":"s","essential":false}]}}`)

	tests := []struct {
		name   string
		mutate func(*types.TaskDefinition)
		equal  bool
	}{
		{"as registered: post-registration fields and AWS defaults ignored", nil, true},
		{"environment order ignored", func(td *types.TaskDefinition) {
			e := td.ContainerDefinitions[0].Environment
			e[0], e[1] = e[1], e[0]
		}, true},
		{"secrets order ignored", func(td *types.TaskDefinition) {
			s := td.ContainerDefinitions[0].Secrets
			s[0], s[1] = s[1], s[0]
		}, true},
		{"port mapping defaults filled by AWS", func(td *types.TaskDefinition) {
			td.ContainerDefinitions[0].PortMappings[0].Protocol = types.TransportProtocolTcp
			td.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(8080)
		}, true},
		{"empty values dropped", func(td *types.TaskDefinition) {
			td.ContainerDefinitions[0].DockerLabels = map[string]string{}
			td.ContainerDefinitions[0].Links = []string{}
			td.PlacementConstraints = []types.TaskDefinitionPlacementConstraint{}
		}, true},
		{"inactive status alone does not matter", func(td *types.TaskDefinition) { td.Status = types.TaskDefinitionStatusInactive }, true},
		{"different image", func(td *types.TaskDefinition) { td.ContainerDefinitions[0].Image = aws.String("y") }, false},
		{"different env value", func(td *types.TaskDefinition) { td.ContainerDefinitions[0].Environment[0].Value = aws.String("9") }, false},
		{"extra env", func(td *types.TaskDefinition) {
			td.ContainerDefinitions[0].Environment = append(td.ContainerDefinitions[0].Environment, types.KeyValuePair{Name: aws.String("C"), Value: aws.String("3")})
		}, false},
		{"sidecar made essential", func(td *types.TaskDefinition) { td.ContainerDefinitions[1].Essential = aws.Bool(true) }, false},
		{"different cpu", func(td *types.TaskDefinition) { td.Cpu = aws.String("2048") }, false},
		{"container order matters", func(td *types.TaskDefinition) {
			c := td.ContainerDefinitions
			c[0], c[1] = c[1], c[0]
		}, false},
		{"task role added", func(td *types.TaskDefinition) { td.TaskRoleArn = aws.String("arn:role") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m []func(*types.TaskDefinition)
			if tt.mutate != nil {
				m = append(m, tt.mutate)
			}
			eq, diff := job.Equal(p.TaskDefinition, registered(t, p.TaskDefinition, m...))
			assert.Equal(t, tt.equal, eq, diff.String())
			assert.Equal(t, tt.equal, diff.Empty())
		})
	}
	t.Run("nil registered", func(t *testing.T) {
		eq, diff := job.Equal(p.TaskDefinition, nil)
		assert.False(t, eq)
		assert.Contains(t, diff.OnlyInPrepared, "family")
	})
}

func TestEqualContainerWithoutEssentialIsEssential(t *testing.T) {
	def := map[string]any{"family": "f", "containerDefinitions": []any{map[string]any{"name": "main", "image": "x"}}}
	td := &types.TaskDefinition{Family: aws.String("f"), NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("main"), Image: aws.String("x"), Essential: aws.Bool(true)}}}
	eq, diff := job.Equal(def, td)
	assert.True(t, eq, diff.String())

	td.ContainerDefinitions[0].Essential = aws.Bool(false)
	eq, _ = job.Equal(def, td)
	assert.False(t, eq)
}

func TestEqualNetworkModeDefaultsToBridge(t *testing.T) {
	def := map[string]any{"family": "f", "containerDefinitions": []any{map[string]any{"name": "main", "image": "x"}}}
	td := &types.TaskDefinition{Family: aws.String("f"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("main"), Image: aws.String("x")}}}
	eq, diff := job.Equal(def, td)
	assert.True(t, eq, diff.String())
	td.NetworkMode = types.NetworkModeBridge
	eq, _ = job.Equal(def, td)
	assert.True(t, eq)
	td.NetworkMode = types.NetworkModeHost
	eq, _ = job.Equal(def, td)
	assert.False(t, eq)
}

func TestDiffNamesKeysAndBothValues(t *testing.T) {
	p := mustPrepare(t, `{"image":"new","env":{},"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","environment":[{"name":"API_KEY","value":"supersecretvalue"}]}]}}`)
	td := registered(t, p.TaskDefinition, func(td *types.TaskDefinition) {
		td.ContainerDefinitions[0].Image = aws.String("old")
		td.ContainerDefinitions[0].Environment[0].Value = aws.String("othersecretvalue")
		td.TaskRoleArn = aws.String("arn:role")
		td.Memory = nil
	})
	eq, diff := job.Equal(p.TaskDefinition, td)
	require.False(t, eq)
	assert.Equal(t, []string{"memory"}, diff.OnlyInPrepared)
	assert.Equal(t, []string{"taskRoleArn"}, diff.OnlyInRegistered)
	assert.Equal(t, [2]any{"new", "old"}, diff.Differing["containerDefinitions[0].image"])
	assert.Equal(t, [2]any{"sup***", "oth***"}, diff.Differing["containerDefinitions[0].environment[0].value"], "secret values masked")
	s := diff.String()
	assert.Contains(t, s, "only in prepared: memory")
	assert.Contains(t, s, "only in registered: taskRoleArn")
	assert.Contains(t, s, `containerDefinitions[0].image: prepared "new", registered "old"`)
	assert.NotContains(t, s, "supersecretvalue")
	assert.NotContains(t, s, "othersecretvalue")
	assert.Equal(t, "no differences", job.Diff{}.String())
}

func TestDigestEqualDefinitionsEqualDigests(t *testing.T) {
	base := `{"family":"f","cpu":"256","memory":"512","networkMode":"awsvpc","containerDefinitions":[{"name":"main","image":"x",
		"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"secrets":[{"name":"S","valueFrom":"arn:s"}]}]}`
	tests := []struct {
		name, other string
		same        bool
	}{
		{"identical", base, true},
		{"key order", `{"containerDefinitions":[{"image":"x","name":"main","secrets":[{"valueFrom":"arn:s","name":"S"}],
			"environment":[{"value":"1","name":"A"},{"name":"B","value":"2"}]}],"networkMode":"awsvpc","memory":"512","cpu":"256","family":"f"}`, true},
		{"environment order", `{"family":"f","cpu":"256","memory":"512","networkMode":"awsvpc","containerDefinitions":[{"name":"main","image":"x",
			"environment":[{"name":"B","value":"2"},{"name":"A","value":"1"}],"secrets":[{"name":"S","valueFrom":"arn:s"}]}]}`, true},
		{"explicit essential true and empty values", `{"family":"f","cpu":"256","memory":"512","networkMode":"awsvpc","volumes":[],"containerDefinitions":[{"name":"main","image":"x","essential":true,"links":[],
			"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"secrets":[{"name":"S","valueFrom":"arn:s"}]}]}`, true},
		{"different image", `{"family":"f","cpu":"256","memory":"512","networkMode":"awsvpc","containerDefinitions":[{"name":"main","image":"y",
			"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"secrets":[{"name":"S","valueFrom":"arn:s"}]}]}`, false},
		{"different family", `{"family":"g","cpu":"256","memory":"512","networkMode":"awsvpc","containerDefinitions":[{"name":"main","image":"x",
			"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"secrets":[{"name":"S","valueFrom":"arn:s"}]}]}`, false},
		{"tags count in the digest", `{"family":"f","cpu":"256","memory":"512","networkMode":"awsvpc","tags":[{"key":"a","value":"b"}],"containerDefinitions":[{"name":"main","image":"x",
			"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"secrets":[{"name":"S","valueFrom":"arn:s"}]}]}`, false},
	}
	d0 := digestOf(t, base)
	assert.Len(t, d0, 64)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.same, digestOf(t, tt.other) == d0)
		})
	}
}

func TestDigestOfPreparedJobs(t *testing.T) {
	a := mustPrepare(t, `{"image":"x","command":"a","env":{"A":"1"},"labels":{"l":"1"}}`)
	b := mustPrepare(t, `{"image":"x","command":"b","env":{"B":"2"},"cpu":1024}`)
	assert.Equal(t, a.TaskDefinitionDigest, b.TaskDefinitionDigest, "run-time fields do not change the definition: one revision is shared")
	c := mustPrepare(t, `{"image":"y"}`)
	assert.NotEqual(t, a.TaskDefinitionDigest, c.TaskDefinitionDigest)
}

func digestOf(t *testing.T, def string) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(def), &m))
	d, err := job.Digest(m)
	require.NoError(t, err)
	return d
}
