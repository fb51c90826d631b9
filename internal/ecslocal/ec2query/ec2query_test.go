package ec2query

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sdkFilter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// requireAPIError asserts that err is an EC2 API error with this code.
func requireAPIError(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	return apiErr
}

func TestDefaultVPCIsSeeded(t *testing.T) {
	s, c := newTestStore(t, Options{})
	ctx := context.Background()

	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{sdkFilter("isDefault", "true")}})
	require.NoError(t, err)
	require.Len(t, vpcs.Vpcs, 1)
	v := vpcs.Vpcs[0]
	vpcID := aws.ToString(v.VpcId)
	assert.Regexp(t, `^vpc-[0-9a-f]{17}$`, vpcID)
	assert.True(t, aws.ToBool(v.IsDefault))
	assert.Equal(t, "172.31.0.0/16", aws.ToString(v.CidrBlock))
	assert.Equal(t, types.VpcStateAvailable, v.State)
	assert.Equal(t, "123456789012", aws.ToString(v.OwnerId))
	require.Len(t, v.CidrBlockAssociationSet, 1)
	assert.Equal(t, types.VpcCidrBlockStateCodeAssociated, v.CidrBlockAssociationSet[0].CidrBlockState.State)
	assert.Nil(t, vpcs.NextToken)

	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{sdkFilter("vpc-id", vpcID)}})
	require.NoError(t, err)
	require.Len(t, subnets.Subnets, 3)
	var ids []string
	for i, sn := range subnets.Subnets {
		ids = append(ids, aws.ToString(sn.SubnetId))
		assert.Equal(t, vpcID, aws.ToString(sn.VpcId))
		assert.Equal(t, "eu-west-1"+string(rune('a'+i)), aws.ToString(sn.AvailabilityZone))
		assert.Equal(t, fmt.Sprintf("172.31.%d.0/20", 16*i), aws.ToString(sn.CidrBlock))
		assert.True(t, aws.ToBool(sn.DefaultForAz))
		assert.True(t, aws.ToBool(sn.MapPublicIpOnLaunch))
		assert.Equal(t, int32(4091), aws.ToInt32(sn.AvailableIpAddressCount))
		assert.Equal(t, types.SubnetStateAvailable, sn.State)
		assert.Equal(t, "arn:aws:ec2:eu-west-1:123456789012:subnet/"+aws.ToString(sn.SubnetId), aws.ToString(sn.SubnetArn))
		assert.True(t, s.SubnetExists(aws.ToString(sn.SubnetId)))
	}
	assert.Equal(t, ids, s.DefaultSubnetIDs())
	assert.False(t, s.SubnetExists("subnet-00000000000000000"))

	groups, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{sdkFilter("vpc-id", vpcID), sdkFilter("group-name", "default")}})
	require.NoError(t, err)
	require.Len(t, groups.SecurityGroups, 1)
	sg := groups.SecurityGroups[0]
	sgID := aws.ToString(sg.GroupId)
	assert.Regexp(t, `^sg-[0-9a-f]{17}$`, sgID)
	assert.Equal(t, "default", aws.ToString(sg.GroupName))
	assert.Equal(t, vpcID, aws.ToString(sg.VpcId))
	assert.True(t, s.SecurityGroupExists(sgID))
	require.Len(t, sg.IpPermissions, 1)
	require.Len(t, sg.IpPermissions[0].UserIdGroupPairs, 1)
	assert.Equal(t, sgID, aws.ToString(sg.IpPermissions[0].UserIdGroupPairs[0].GroupId))
	require.Len(t, sg.IpPermissionsEgress, 1)
	assert.Equal(t, "0.0.0.0/0", aws.ToString(sg.IpPermissionsEgress[0].IpRanges[0].CidrIp))

	byName, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"default"}})
	require.NoError(t, err)
	require.Len(t, byName.SecurityGroups, 1)
	assert.Equal(t, sgID, aws.ToString(byName.SecurityGroups[0].GroupId))
}

func TestNoDefaultVPC(t *testing.T) {
	s, c := newTestStore(t, Options{NoDefaultVPC: true})
	ctx := context.Background()

	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{sdkFilter("isDefault", "true")}})
	require.NoError(t, err)
	assert.Empty(t, vpcs.Vpcs)
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	require.NoError(t, err)
	assert.Empty(t, subnets.Subnets)
	assert.Empty(t, s.DefaultSubnetIDs())
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"default"}})
	requireAPIError(t, err, "VPCIdNotSpecified")

	// Test helpers add a non-default network.
	vpcID := s.AddVPC("10.0.0.0/16", false)
	subnetID := s.AddSubnet(vpcID, "eu-west-1b", "10.0.1.0/24")
	sgID := s.AddSecurityGroup(vpcID, "app", "app tasks")
	assert.True(t, s.SubnetExists(subnetID))

	vpcs, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	require.NoError(t, err)
	require.Len(t, vpcs.Vpcs, 1)
	assert.False(t, aws.ToBool(vpcs.Vpcs[0].IsDefault))
	subnets, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnetID}})
	require.NoError(t, err)
	require.Len(t, subnets.Subnets, 1)
	sn := subnets.Subnets[0]
	assert.False(t, aws.ToBool(sn.DefaultForAz))
	assert.False(t, aws.ToBool(sn.MapPublicIpOnLaunch))
	assert.Equal(t, int32(251), aws.ToInt32(sn.AvailableIpAddressCount))
	groups, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{sdkFilter("vpc-id", vpcID)}})
	require.NoError(t, err)
	var names []string
	for _, g := range groups.SecurityGroups {
		names = append(names, aws.ToString(g.GroupName))
	}
	assert.Equal(t, []string{"default", "app"}, names, "every VPC gets a default security group")
	assert.True(t, s.SecurityGroupExists(sgID))
}

func TestUnknownIDs(t *testing.T) {
	s, c := newTestStore(t, Options{})
	ctx := context.Background()
	known := s.DefaultSubnetIDs()[0]

	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	e := requireAPIError(t, err, "InvalidVpcID.NotFound")
	assert.Equal(t, "The vpc ID 'vpc-0123456789abcdef0' does not exist", e.ErrorMessage())
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"nonsense"}})
	requireAPIError(t, err, "InvalidVpcID.Malformed")

	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{known, "subnet-1", "subnet-2"}})
	e = requireAPIError(t, err, "InvalidSubnetID.NotFound")
	assert.Equal(t, "The subnet IDs 'subnet-1, subnet-2' do not exist", e.ErrorMessage())
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"vpc-1"}})
	requireAPIError(t, err, "InvalidSubnetID.Malformed")

	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}})
	requireAPIError(t, err, "InvalidGroup.NotFound")
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"missing"}})
	requireAPIError(t, err, "InvalidGroup.NotFound")
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"default"}})
	requireAPIError(t, err, "InvalidGroupId.Malformed")
}

func TestFilters(t *testing.T) {
	s, c := newTestStore(t, Options{})
	ctx := context.Background()
	other := s.AddVPC("10.0.0.0/16", false)
	s.AddSubnet(other, "eu-west-1a", "10.0.0.0/24")
	s.AddSubnet(other, "eu-west-1b", "10.0.1.0/24")
	defaults := s.DefaultSubnetIDs()

	subnetIDs := func(fs ...types.Filter) []string {
		t.Helper()
		out, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: fs})
		require.NoError(t, err)
		var ids []string
		for _, sn := range out.Subnets {
			ids = append(ids, aws.ToString(sn.SubnetId))
		}
		return ids
	}
	assert.Len(t, subnetIDs(), 5)
	assert.Len(t, subnetIDs(sdkFilter("vpc-id", other)), 2)
	assert.Equal(t, defaults, subnetIDs(sdkFilter("default-for-az", "true")))
	assert.Len(t, subnetIDs(sdkFilter("default-for-az", "false")), 2)
	assert.Equal(t, defaults[1:], subnetIDs(sdkFilter("subnet-id", defaults[1], defaults[2])), "values of one filter are ORed")
	assert.Len(t, subnetIDs(sdkFilter("availability-zone", "*b")), 2, "wildcards")
	assert.Len(t, subnetIDs(sdkFilter("availability-zone", "eu-west-1?"), sdkFilter("vpc-id", other)), 2, "filters are ANDed")
	assert.Empty(t, subnetIDs(sdkFilter("vpc-id", other), sdkFilter("default-for-az", "true")))
	assert.Len(t, subnetIDs(sdkFilter("cidr-block", "10.0.*")), 2)

	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{sdkFilter("vpc-id", other)}})
	require.NoError(t, err)
	require.Len(t, vpcs.Vpcs, 1)
	vpcs, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{sdkFilter("is-default", "false")}})
	require.NoError(t, err)
	require.Len(t, vpcs.Vpcs, 1)
	assert.Equal(t, other, aws.ToString(vpcs.Vpcs[0].VpcId))

	groups, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{sdkFilter("group-name", "default")}})
	require.NoError(t, err)
	assert.Len(t, groups.SecurityGroups, 2)

	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{sdkFilter("colour", "blue")}})
	e := requireAPIError(t, err, "InvalidParameterValue")
	assert.Contains(t, e.ErrorMessage(), "colour")
}

func TestDescribeSubnetsPagination(t *testing.T) {
	s, c := newTestStore(t, Options{})
	ctx := context.Background()
	vpcID := s.AddVPC("10.0.0.0/16", false)
	want := s.DefaultSubnetIDs()
	for i := range 9 {
		want = append(want, s.AddSubnet(vpcID, "", fmt.Sprintf("10.0.%d.0/24", i)))
	}

	var got []string
	pages := 0
	p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		require.LessOrEqual(t, len(page.Subnets), 5)
		for _, sn := range page.Subnets {
			got = append(got, aws.ToString(sn.SubnetId))
		}
		if pages == 1 {
			// Tokens survive resources being added meanwhile.
			want = append(want, s.AddSubnet(vpcID, "", "10.0.100.0/24"))
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, pages)

	_, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(3)})
	requireAPIError(t, err, "InvalidParameterValue")
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{NextToken: aws.String("bogus")})
	requireAPIError(t, err, "InvalidParameterValue")
}

func TestUnsupportedActionAndDryRun(t *testing.T) {
	_, c := newTestStore(t, Options{})
	ctx := context.Background()
	_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	e := requireAPIError(t, err, "InvalidAction")
	assert.Contains(t, e.ErrorMessage(), "DescribeInstances")
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
	requireAPIError(t, err, "DryRunOperation")
}

func TestOperationLeavesBodyReadable(t *testing.T) {
	s := New(Options{Region: "eu-west-1", AccountID: "123456789012"})
	var mu sync.Mutex
	var ops []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := s.Operation(r)
		mu.Lock()
		ops = append(ops, op)
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := ec2.NewFromConfig(aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient: srv.Client(), Retryer: retryer,
	}, func(o *ec2.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	out, err := c.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	require.NoError(t, err)
	assert.Len(t, out.Vpcs, 1)
	_, err = c.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"DescribeVpcs", "DescribeSecurityGroups"}, ops)
}

func TestConcurrentUse(t *testing.T) {
	s, c := newTestStore(t, Options{})
	vpcID := s.AddVPC("10.0.0.0/16", false)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			id := s.AddSubnet(vpcID, "", fmt.Sprintf("10.0.%d.0/24", i))
			assert.True(t, s.SubnetExists(id))
		})
		wg.Go(func() {
			_, err := c.DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	out, err := c.DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{Filters: []types.Filter{sdkFilter("vpc-id", vpcID)}})
	require.NoError(t, err)
	assert.Len(t, out.Subnets, 4)
}
