package ecslocal_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func TestFaultRegisterConflicts(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	in := &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("busy"),
		ContainerDefinitions: []types.ContainerDefinition{container("main", "true")},
	}
	e.srv.Faults().RegisterConflicts(2)

	for range 2 {
		_, err := e.ecs.RegisterTaskDefinition(e.ctx, in, noRetry)
		assertWireError(t, err, "ClientException", http.StatusBadRequest)
		var ce *types.ClientException
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "Too many concurrent attempts to create a new revision of the specified family.", ce.ErrorMessage())
	}
	_, err := e.ecs.DescribeTaskDefinition(e.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("busy")})
	require.Error(t, err, "a refused call registers nothing")

	out, err := e.ecs.RegisterTaskDefinition(e.ctx, in, noRetry)
	require.NoError(t, err, "the fault is used up")
	assert.Equal(t, int32(1), out.TaskDefinition.Revision)
}

func TestFaultRegisterConflictsIsReset(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.srv.Faults().RegisterConflicts(5)
	e.srv.Faults().Reset()
	e.register("calm", container("main", "true"))
}
