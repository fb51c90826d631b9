// Command ecslocal serves the local ECS, EC2 and CloudWatch Logs endpoint of
// package ecslocal for any AWS SDK or the AWS CLI:
//
//	go run ./internal/ecslocal/cmd/ecslocal --addr 127.0.0.1:4599
//	export AWS_ENDPOINT_URL=http://127.0.0.1:4599 AWS_REGION=us-east-1
//	aws ecs list-tasks
//
// It accepts only requests signed with its credentials: --access-key-id and
// --secret-access-key, by default AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, or else a generated pair that it prints as export
// statements on stdout. Task containers run as host processes; SIGINT or
// SIGTERM stops them all before it exits.
package main

import (
	"context"
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
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ecslocal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:4599", "address to listen on (loopback unless you mean otherwise: tasks run commands on this host)")
	region := fs.String("region", ecslocal.DefaultRegion, "region of ARNs; requests must be signed for it")
	accountID := fs.String("account-id", ecslocal.DefaultAccountID, "account id of ARNs")
	keyID := fs.String("access-key-id", os.Getenv("AWS_ACCESS_KEY_ID"), "the access key id requests must be signed with (default $AWS_ACCESS_KEY_ID, else generated)")
	secret := fs.String("secret-access-key", os.Getenv("AWS_SECRET_ACCESS_KEY"), "the secret access key requests must be signed with (default $AWS_SECRET_ACCESS_KEY, else generated)")
	stopTimeout := fs.Duration("stop-timeout", ecslocal.DefaultStopTimeout, "time between SIGTERM and SIGKILL when StopTask stops a container that sets no stopTimeout")
	noDefaultVPC := fs.Bool("no-default-vpc", false, "start EC2 without the default VPC and its subnets")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	generated := *keyID == "" || *secret == ""
	if generated {
		*keyID, *secret = "", ""
	}
	srv := ecslocal.New(ecslocal.Options{
		Region:          *region,
		AccountID:       *accountID,
		AccessKeyID:     *keyID,
		SecretAccessKey: *secret,
		StopTimeout:     *stopTimeout,
		NoDefaultVPC:    *noDefaultVPC,
		Logger:          logger,
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

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
	logger.Info("ecslocal ready", "endpoint", endpoint, "region", *region, "access_key_id", creds.AccessKeyID, "stop_timeout", *stopTimeout)

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
