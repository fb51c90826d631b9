package job_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestNeedsNetwork(t *testing.T) {
	custom := `"vpcId":"vpc-1","networkConfiguration":{"subnets":["s-1"],"securityGroups":["sg-1"],"assignPublicIp":"DISABLED"}`
	baseNet := `"taskRunRequest":{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s-base"]}}}`
	tests := []struct {
		name, job, mode string
		needed          bool
		vpc             string
		custom          bool
	}{
		{"awsvpc infers from the default VPC", `{"image":"x"}`, "awsvpc", true, "", false},
		{"awsvpc infers from the given VPC", `{"image":"x","vpcId":"vpc-9"}`, "awsvpc", true, "vpc-9", false},
		{"custom network", `{"image":"x",` + custom + `}`, "awsvpc", true, "vpc-1", true},
		{"base request's network is used", `{"image":"x",` + baseNet + `}`, "awsvpc", false, "", false},
		{"custom wins over the base request's", `{"image":"x",` + custom + `,` + baseNet + `}`, "awsvpc", true, "vpc-1", true},
		{"bridge needs none", `{"image":"x","launchType":"EC2"}`, "bridge", false, "", false},
		{"host needs none", `{"image":"x","launchType":"EC2",` + custom + `}`, "host", false, "", false},
		{"no mode needs none", `{"image":"x"}`, "", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, tt.job)
			needed, vpc, c := p.NeedsNetwork(tt.mode)
			assert.Equal(t, tt.needed, needed)
			assert.Equal(t, tt.vpc, vpc)
			assert.Equal(t, tt.custom, c != nil)
		})
	}
	t.Run("custom network ignored by a non-awsvpc definition warns", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","launchType":"EC2",`+custom+`}`)
		assert.Contains(t, p.Warnings[0], `networkConfiguration is ignored: the task definition's network mode is "bridge"`)
	})
}

func TestInferredNetworkUsesEverySubnetWithPublicIP(t *testing.T) {
	n, err := job.InferredNetwork("vpc-1", []string{"s-1", "s-2"})
	require.NoError(t, err)
	requireJSON(t, `{"awsvpcConfiguration":{"subnets":["s-1","s-2"],"assignPublicIp":"ENABLED"}}`, n)
}

func TestNetworkErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		vpc     string
		subnets []string
		message []string
	}{
		{"no default VPC", job.NoDefaultVPCError(), "", nil, []string{"no default VPC", "pass vpcId or configure a default VPC"}},
		{"VPC not found", job.VPCNotFoundError("vpc-9"), "vpc-9", nil, []string{"VPC vpc-9 not found", "exists"}},
		{"default VPC without subnets", second(job.InferredNetwork("", nil)), "", nil, []string{"no subnets found in the default VPC", "cannot be inferred"}},
		{"VPC without subnets", second(job.InferredNetwork("vpc-1", nil)), "vpc-1", nil, []string{"no subnets found in VPC vpc-1"}},
		{"custom network, VPC without subnets", second(job.CustomNetwork("vpc-1", nil, job.Network{Subnets: []string{"s-1"}})), "vpc-1", nil, []string{"no subnets found in VPC vpc-1"}},
		{"custom subnets not in the VPC", second(job.CustomNetwork("vpc-1", []string{"s-1", "s-2"}, job.Network{Subnets: []string{"s-1", "s-3", "s-4"}})),
			"vpc-1", []string{"s-1", "s-3", "s-4"}, []string{"subnets s-1, s-3, s-4 are not all in VPC vpc-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ne *job.NetworkError
			require.True(t, errors.As(tt.err, &ne), "got %T", tt.err)
			assert.Equal(t, tt.vpc, ne.VpcID)
			assert.Equal(t, tt.subnets, ne.Subnets)
			for _, m := range tt.message {
				assert.Contains(t, ne.Error(), m)
			}
		})
	}
}

func TestCustomNetworkInTheVPC(t *testing.T) {
	n, err := job.CustomNetwork("vpc-1", []string{"s-1", "s-2", "s-3"}, job.Network{Subnets: []string{"s-3", "s-1"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: "DISABLED"})
	require.NoError(t, err)
	requireJSON(t, `{"awsvpcConfiguration":{"subnets":["s-3","s-1"],"securityGroups":["sg-1"],"assignPublicIp":"DISABLED"}}`, n)

	n, err = job.CustomNetwork("vpc-1", []string{"s-1"}, job.Network{Subnets: []string{"s-1"}})
	require.NoError(t, err)
	requireJSON(t, `{"awsvpcConfiguration":{"subnets":["s-1"]}}`, n)
}

func second(_ map[string]any, err error) error { return err }
