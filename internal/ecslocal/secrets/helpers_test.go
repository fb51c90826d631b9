package secrets_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
)

// env is an ecslocal server with real Secrets Manager and SSM clients
// for it: requests go through SigV4 verification and the routing by
// X-Amz-Target, as from any SDK.
type env struct {
	ctx context.Context
	srv *ecslocal.Server
	sm  *secretsmanager.Client
	ssm *ssm.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, cfg := ecslocaltest.Start(t, ecslocal.Options{})
	return &env{ctx: t.Context(), srv: srv, sm: secretsmanager.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg)}
}
