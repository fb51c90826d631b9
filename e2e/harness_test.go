package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// The local ECS endpoints of the tests accept these credentials.
const (
	region          = "us-east-1"
	accessKeyID     = "AKIAE2ETESTS00000000"
	secretAccessKey = "e2e-secret-access-key-0000000000000000000"
	// executionRole is in the worker's job defaults: jobs that stream
	// their output configure awslogs, which needs one.
	executionRole = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole"
)

// harness is the environment the tests share.
type harness struct {
	root, dir, temporalBin string
	binDir                 string
	defaultsFile           string

	address string
	server  *process
	tc      client.Client

	// localECS is the address of the shared worker's --local-ecs endpoint;
	// aws points the SDK's clients at it.
	localECS string
	aws      aws.Config
	worker   *process
}

// temporalCLI builds (once; go caches it) the Temporal CLI pinned in
// tools/go.mod and returns its path.
func temporalCLI(root string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if out, err := goCmd(ctx, root, "tool", "-modfile=tools/go.mod", "temporal", "--version"); err != nil {
		return "", fmt.Errorf("%w: %s", err, out)
	}
	out, err := goCmd(ctx, root, "tool", "-modfile=tools/go.mod", "-n", "temporal")
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, out)
	}
	path := strings.TrimSpace(out)
	if _, err := os.Stat(path); err != nil {
		return "", err
	}
	return path, nil
}

func goCmd(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (h *harness) setUp(ctx context.Context) error {
	h.binDir = filepath.Join(h.dir, "bin")
	args := []string{"build", "-o", h.binDir + "/"}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := goCmd(ctx, h.root, append(args, "./worker", "./starter", "./internal/ecslocal/cmd/ecslocal")...); err != nil {
		return fmt.Errorf("build worker, starter and ecslocal: %w: %s", err, out)
	}

	h.defaultsFile = filepath.Join(h.dir, "job-defaults.json")
	defaults, _ := json.Marshal(map[string]any{"executionRoleArn": executionRole})
	if err := os.WriteFile(h.defaultsFile, defaults, 0o644); err != nil {
		return err
	}

	if err := h.startServer(ctx); err != nil {
		return err
	}

	var err error
	if h.localECS, err = freeAddr(); err != nil {
		return err
	}
	h.aws = awsConfig("http://" + h.localECS)
	h.worker, err = h.startWorker(ctx, "worker", nil, "--local-ecs="+h.localECS)
	return err
}

func (h *harness) startServer(ctx context.Context) error {
	ports := make([]int, 3)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	h.address = "127.0.0.1:" + strconv.Itoa(ports[0])
	var err error
	args := append([]string{"server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]), "--metrics-port", strconv.Itoa(ports[2]),
		"--db-filename", filepath.Join(h.dir, "temporal.db"), "--log-level", "warn"}, searchAttributeFlags()...)
	h.server, err = startProcess("temporal server", filepath.Join(h.dir, "server.log"), h.baseEnv(), h.temporalBin, args...)
	if err != nil {
		return err
	}
	h.server.diesOfSIGTERM = true
	quiet := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var dialErr error
	err = waitFor(waitCtx, h.server, "the Temporal server to answer", func() bool {
		dctx, cancel := context.WithTimeout(waitCtx, 2*time.Second)
		defer cancel()
		h.tc, dialErr = client.DialContext(dctx, client.Options{HostPort: h.address, Logger: quiet})
		return dialErr == nil
	})
	if err != nil {
		return fmt.Errorf("%w (last dial error: %v)", err, dialErr)
	}
	return nil
}

// searchAttributeFlags register RunECSTask's search attributes on the dev
// server, as a namespace in production has them.
func searchAttributeFlags() []string {
	var flags []string
	for _, k := range workflows.SearchAttributes {
		flags = append(flags, "--search-attribute", k.GetName()+"="+k.GetValueType().String())
	}
	return flags
}

// startWorker starts a worker binary with JSON logs in dir/<name>.log,
// the client environment plus env, and waits until it polls.
func (h *harness) startWorker(ctx context.Context, name string, env []string, args ...string) (*process, error) {
	logPath := filepath.Join(h.dir, name+".log")
	before := 0
	if b, err := os.ReadFile(logPath); err == nil {
		before = bytes.Count(b, []byte("worker started"))
	}
	args = append([]string{"--log-format=json", "--job-defaults=" + h.defaultsFile, "--stop-timeout=5s"}, args...)
	p, err := startProcess(name, logPath, append(h.clientEnv(), env...), filepath.Join(h.binDir, "worker"), args...)
	if err != nil {
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = waitFor(waitCtx, p, name+" to start polling", func() bool {
		b, _ := os.ReadFile(logPath)
		return bytes.Count(b, []byte("worker started")) > before
	})
	if err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// baseEnv isolates the processes from the user's AWS and Temporal
// configuration.
func (h *harness) baseEnv() []string {
	none := filepath.Join(h.dir, "none")
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + h.dir,
		"TMPDIR=" + os.TempDir(),
		"AWS_CONFIG_FILE=" + none,
		"AWS_SHARED_CREDENTIALS_FILE=" + none,
		"AWS_EC2_METADATA_DISABLED=true",
		"TEMPORAL_CONFIG_FILE=" + none,
	}
}

// clientEnv is the environment of the worker and the starter: the Temporal
// server, and AWS credentials and endpoint of the shared local ECS.
func (h *harness) clientEnv() []string {
	return append(h.baseEnv(),
		"TEMPORAL_ADDRESS="+h.address,
		"TEMPORAL_NAMESPACE=default",
		"AWS_REGION="+region,
		"AWS_ACCESS_KEY_ID="+accessKeyID,
		"AWS_SECRET_ACCESS_KEY="+secretAccessKey,
		"AWS_ENDPOINT_URL=http://"+h.localECS,
	)
}

// awsConfig returns an AWS configuration for a local ECS endpoint.
func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// close stops everything setUp started and reports data races the
// binaries found.
func (h *harness) close() error {
	var errs []error
	if h.tc != nil {
		h.tc.Close()
	}
	errs = append(errs, h.worker.stop(30*time.Second), h.server.stop(30*time.Second))
	logs, _ := filepath.Glob(filepath.Join(h.dir, "*.log"))
	for _, l := range logs {
		if b, _ := os.ReadFile(l); bytes.Contains(b, []byte("WARNING: DATA RACE")) {
			errs = append(errs, fmt.Errorf("data race reported in %s", l))
		}
	}
	return errors.Join(errs...)
}
