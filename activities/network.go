package activities

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// network returns the RunTask networkConfiguration of a job whose
// definition uses networkMode, or nil when the job needs none inferred:
// the subnets of the given or default VPC, or the job's own network checked
// against that VPC. What the job got wrong is a non-retryable
// NetworkConfiguration error in the job package's wording.
func (a *Activities) network(ctx context.Context, api EC2API, p *job.Prepared, networkMode string) (map[string]any, error) {
	needed, vpcID, custom := p.NeedsNetwork(networkMode)
	if !needed {
		return nil, nil
	}
	vpc, err := findVpc(ctx, api, vpcID)
	if err != nil {
		return nil, err
	}
	if vpc == "" {
		if vpcID == "" {
			return nil, networkError(job.NoDefaultVPCError())
		}
		return nil, networkError(job.VPCNotFoundError(vpcID))
	}
	subnets, err := vpcSubnets(ctx, api, vpc)
	if err != nil {
		return nil, err
	}
	var nc map[string]any
	if custom != nil {
		nc, err = job.CustomNetwork(vpc, subnets, *custom)
	} else {
		nc, err = job.InferredNetwork(vpc, subnets)
	}
	if err != nil {
		return nil, networkError(err)
	}
	return nc, nil
}

func networkError(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrNetworkConfiguration, nil)
}

// findVpc returns the ID of the VPC vpcID, or of the default VPC when
// vpcID is empty; "" when there is none.
func findVpc(ctx context.Context, api EC2API, vpcID string) (string, error) {
	in := &ec2.DescribeVpcsInput{}
	if vpcID == "" {
		in.Filters = []ec2types.Filter{{Name: aws.String("isDefault"), Values: []string{"true"}}}
	} else {
		in.VpcIds = []string{vpcID}
	}
	out, err := api.DescribeVpcs(ctx, in)
	switch {
	case isVpcNotFound(err):
		return "", nil
	case err != nil:
		return "", wrapAWS(err, "describe VPCs")
	case len(out.Vpcs) == 0:
		return "", nil
	}
	return aws.ToString(out.Vpcs[0].VpcId), nil
}

// vpcSubnets lists the IDs of the VPC's subnets, sorted so that a retried
// RunTask sends the same request under the same client token.
func vpcSubnets(ctx context.Context, api EC2API, vpcID string) ([]string, error) {
	var ids []string
	pages := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			if isVpcNotFound(err) {
				return nil, nil
			}
			return nil, wrapAWS(err, "describe subnets of %s", vpcID)
		}
		for _, s := range out.Subnets {
			ids = append(ids, aws.ToString(s.SubnetId))
		}
	}
	slices.Sort(ids)
	return ids, nil
}
