package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// loadAWS returns the AWS configuration of the default credential chain
// (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...), whose HTTP client gives
// up on silent connections (defaultAWSHTTPTimeouts). With --local-ecs it
// first starts the in-process ECS endpoint and points the configuration at
// it; the returned stop function shuts that endpoint down.
func loadAWS(ctx context.Context, c *config, logger *slog.Logger, lookup func(string) (string, bool)) (aws.Config, func(), error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithHTTPClient(newAWSHTTPClient(defaultAWSHTTPTimeouts)))
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if !c.localECS.enabled() {
		if cfg.Region == "" {
			logger.Warn("no AWS region configured (AWS_REGION or the profile's region): every job must set region")
		}
		return cfg, func() {}, nil
	}
	return startLocalECS(cfg, c, logger, lookup)
}
