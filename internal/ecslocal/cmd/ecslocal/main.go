// Command ecslocal serves the local ECS, EC2 and CloudWatch Logs endpoint of
// package ecslocal for any AWS SDK or the AWS CLI:
//
//	go run ./internal/ecslocal/cmd/ecslocal --addr 127.0.0.1:4599
//	export AWS_ENDPOINT_URL=http://127.0.0.1:4599 AWS_REGION=us-east-1
//	aws ecs list-tasks
//
// It accepts only requests signed with its credentials: --access-key-id and
// --secret-access-key, by default AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY: both, or neither, and then it generates a pair
// and prints it as export statements on stdout. Task containers run as
// host processes, or with --runtime docker (ECSLOCAL_RUNTIME) from their
// images on the Docker engine DOCKER_HOST names; SIGINT or SIGTERM stops
// them all before it exits.
//
// With --admin-token (or ECSLOCAL_ADMIN_TOKEN) it also serves the admin
// API of package ecslocal under /_ecslocal/ for requests carrying
// "Authorization: Bearer <token>": injecting faults, stopping tasks as ECS
// would (SpotInterruption, ...), resetting the request counters. --fault
// injects faults from the start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !strings.HasPrefix(err.Error(), "ecslocal: ") {
			err = fmt.Errorf("ecslocal: %w", err)
		}
		fmt.Fprintln(os.Stderr, err)
		var usage usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line: it exits with status 2, as
// the flag package does.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// adminTokenEnv holds the admin API's token when --admin-token is not given.
const adminTokenEnv = "ECSLOCAL_ADMIN_TOKEN"

// runtimeEnv holds the runtime when --runtime is not given.
const runtimeEnv = "ECSLOCAL_RUNTIME"

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ecslocal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:4599", "address to listen on (loopback unless you mean otherwise: tasks run commands on this host)")
	region := fs.String("region", ecslocal.DefaultRegion, "region of ARNs; requests must be signed for it")
	accountID := fs.String("account-id", ecslocal.DefaultAccountID, "account id of ARNs")
	keyID := fs.String("access-key-id", os.Getenv("AWS_ACCESS_KEY_ID"), "the access key id requests must be signed with (default $AWS_ACCESS_KEY_ID; a pair is generated when neither it nor the secret is given)")
	secret := fs.String("secret-access-key", os.Getenv("AWS_SECRET_ACCESS_KEY"), "the secret access key requests must be signed with (default $AWS_SECRET_ACCESS_KEY)")
	stopTimeout := fs.Duration("stop-timeout", ecslocal.DefaultStopTimeout, "time between SIGTERM and SIGKILL when StopTask stops a container that sets no stopTimeout")
	noDefaultVPC := fs.Bool("no-default-vpc", false, "start EC2 without the default VPC and its subnets")
	runtimeName := fs.String("runtime", "", "what runs the task containers: "+ecslocal.RuntimeProcess+" (host processes; the default) or "+ecslocal.RuntimeDocker+" (their images, on the engine DOCKER_HOST names) (default $"+runtimeEnv+")")
	adminToken := fs.String("admin-token", "", "turn on the admin API under "+ecslocal.AdminPathPrefix+" (faults, ECS-initiated task stops) for requests with \"Authorization: Bearer <token>\" (default $"+adminTokenEnv+", which is better: other users see flags in ps)")
	var faults []ecslocal.Fault
	fs.Func("fault", `inject a fault from the start, as the admin API's JSON, e.g. {"kind":"throttle","op":"ecs:RunTask","count":2}; repeatable`, func(v string) error {
		ft, err := ecslocal.ParseFault([]byte(v))
		if err != nil {
			return err
		}
		faults = append(faults, ft)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	switch {
	case *keyID != "" && *secret == "":
		return usageError{"--access-key-id (or AWS_ACCESS_KEY_ID) is set but --secret-access-key (or AWS_SECRET_ACCESS_KEY) is not: give both, or neither to have a pair generated"}
	case *keyID == "" && *secret != "":
		return usageError{"--secret-access-key (or AWS_SECRET_ACCESS_KEY) is set but --access-key-id (or AWS_ACCESS_KEY_ID) is not: give both, or neither to have a pair generated"}
	}

	if *adminToken == "" {
		*adminToken = os.Getenv(adminTokenEnv)
	}
	if *runtimeName == "" {
		*runtimeName = os.Getenv(runtimeEnv)
	}
	if *runtimeName == "" {
		*runtimeName = ecslocal.RuntimeProcess
	}
	if *runtimeName != ecslocal.RuntimeProcess && *runtimeName != ecslocal.RuntimeDocker {
		return usageError{fmt.Sprintf("--runtime (or %s): want %s or %s, got %q", runtimeEnv, ecslocal.RuntimeProcess, ecslocal.RuntimeDocker, *runtimeName)}
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rt, err := ecslocal.NewRuntime(ctx, *runtimeName)
	if err != nil {
		return err
	}
	generated := *keyID == ""
	srv := ecslocal.New(ecslocal.Options{
		Runtime:         rt,
		Region:          *region,
		AccountID:       *accountID,
		AccessKeyID:     *keyID,
		SecretAccessKey: *secret,
		StopTimeout:     *stopTimeout,
		NoDefaultVPC:    *noDefaultVPC,
		Logger:          logger,
		AdminToken:      *adminToken,
	})
	for _, ft := range faults {
		if err := srv.Faults().Inject(ft); err != nil {
			_ = srv.Close()
			return fmt.Errorf("--fault: %w", err)
		}
	}
	endpoint, err := srv.Start(*addr)
	if err != nil {
		_ = srv.Close()
		return err
	}
	creds := srv.Credentials()
	if generated {
		// The only way for a client to learn the generated secret.
		fmt.Fprintf(stdout, "export AWS_ENDPOINT_URL=%s AWS_REGION=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n",
			endpoint, *region, creds.AccessKeyID, creds.SecretAccessKey)
	}
	logger.Info("ecslocal ready", "endpoint", endpoint, "runtime", rt.Name(), "region", *region, "access_key_id", creds.AccessKeyID, "stop_timeout", *stopTimeout,
		"admin_api", *adminToken != "", "faults", len(faults))

	<-ctx.Done()
	stop()
	logger.Info("ecslocal stopping every task")
	start := time.Now()
	if err := srv.Close(); err != nil {
		return err
	}
	logger.Info("ecslocal stopped", "took", time.Since(start).Round(time.Millisecond))
	return nil
}
