package ecslocal_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func TestListClustersPaginates(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	want := []string{"arn:aws:ecs:us-east-1:000000000000:cluster/default"}
	for i := range 5 {
		name := fmt.Sprintf("c%d", i)
		_, err := e.ecs.CreateCluster(e.ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name)})
		require.NoError(t, err)
		want = append(want, "arn:aws:ecs:us-east-1:000000000000:cluster/"+name)
	}
	var got []string
	pages := 0
	p := ecs.NewListClustersPaginator(e.ecs, &ecs.ListClustersInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(out.ClusterArns), 2)
		got = append(got, out.ClusterArns...)
		pages++
	}
	assert.ElementsMatch(t, want, got)
	assert.Equal(t, 3, pages)

	_, err := e.ecs.ListClusters(e.ctx, &ecs.ListClustersInput{MaxResults: aws.Int32(101)})
	assertAPIError(t, err, "InvalidParameterException", "maxResults")
}

func TestListTaskDefinitionFamilies(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	for _, f := range []string{"web-a", "web-b", "worker", "web-gone"} {
		e.register(f, container("app", "true"))
	}
	_, err := e.ecs.DeregisterTaskDefinition(e.ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web-gone:1")})
	require.NoError(t, err)

	list := func(in *ecs.ListTaskDefinitionFamiliesInput) []string {
		t.Helper()
		in.MaxResults = aws.Int32(1)
		var got []string
		p := ecs.NewListTaskDefinitionFamiliesPaginator(e.ecs, in)
		for p.HasMorePages() {
			out, err := p.NextPage(e.ctx)
			require.NoError(t, err)
			got = append(got, out.Families...)
		}
		return got
	}
	assert.Equal(t, []string{"web-a", "web-b", "web-gone", "worker"}, list(&ecs.ListTaskDefinitionFamiliesInput{}))
	assert.Equal(t, []string{"web-a", "web-b", "web-gone"}, list(&ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("web")}))
	assert.Equal(t, []string{"web-a", "web-b"}, list(&ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("web"), Status: types.TaskDefinitionFamilyStatusActive}))
	assert.Equal(t, []string{"web-gone"}, list(&ecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusInactive}))

	defs, err := e.ecs.ListTaskDefinitions(e.ctx, &ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(2)})
	require.NoError(t, err)
	assert.Len(t, defs.TaskDefinitionArns, 2)
	assert.NotNil(t, defs.NextToken, "ListTaskDefinitions paginates too")
}
