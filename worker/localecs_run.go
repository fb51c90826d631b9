package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	neturl "net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// localRegion is the region of the local ECS endpoint when none is configured.
const localRegion = "us-east-1"

// startLocalECS starts internal/ecslocal on the --local-ecs address, its
// task containers run by the --local-ecs-runtime, and returns cfg pointed
// at it, signing with its credentials: those of
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when set, so that other processes
// (the starter) can call it too, else generated ones.
func startLocalECS(cfg aws.Config, c *config, logger *slog.Logger, lookup func(string) (string, bool)) (aws.Config, func(), error) {
	if cfg.Region == "" {
		cfg.Region = localRegion
	}
	keyID, _ := lookup("AWS_ACCESS_KEY_ID")
	secret, _ := lookup("AWS_SECRET_ACCESS_KEY")
	if keyID == "" || secret == "" {
		keyID, secret = "", ""
	}
	rt, err := ecslocal.NewRuntime(context.Background(), c.localECSRuntime)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("--local-ecs-runtime: %w", err)
	}
	srv := ecslocal.New(ecslocal.Options{
		Runtime:         rt,
		Region:          cfg.Region,
		AccessKeyID:     keyID,
		SecretAccessKey: secret,
		Logger:          logger.With("component", "ecslocal"),
	})
	url, err := srv.Start(c.localECS.addr)
	if err != nil {
		_ = srv.Close()
		return aws.Config{}, nil, fmt.Errorf("--local-ecs: %w", err)
	}
	url = clientURL(url)
	creds := srv.Credentials()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")
	cfg.BaseEndpoint = aws.String(url)
	if keyID == "" {
		logger.Info("local ECS endpoint started with generated credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the worker to let other processes call it",
			"endpoint", url, "region", cfg.Region, "runtime", rt.Name())
	} else {
		logger.Info("local ECS endpoint started", "endpoint", url, "region", cfg.Region, "runtime", rt.Name(), "accessKeyId", creds.AccessKeyID)
	}
	stop := func() {
		if err := srv.Close(); err != nil {
			logger.Warn("local ECS endpoint shutdown", "err", err)
		}
	}
	return cfg, stop, nil
}

// clientURL turns the URL of a server listening on all interfaces
// (--local-ecs=0.0.0.0:4599) into one a client can dial.
func clientURL(endpoint string) string {
	u, err := neturl.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		u.Host = net.JoinHostPort("127.0.0.1", u.Port())
	}
	return u.String()
}
