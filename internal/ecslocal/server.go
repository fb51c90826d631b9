// Package ecslocal is a local stand-in for Amazon ECS, the parts of EC2 that
// ECS tasks refer to, and CloudWatch Logs. It speaks the AWS wire protocols
// (awsJson1_1 for ECS and Logs, the query protocol for EC2), verifies each
// request's SigV4 signature, and runs every container of a task through a
// Runtime: as a host process (the default; images are recorded, never
// pulled) or from its image on a Docker engine. Tests point the real
// aws-sdk-go-v2 clients at it (see package ecslocaltest); the ecslocal
// command serves it for any AWS SDK or the AWS CLI.
package ecslocal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/cwlogs"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ec2query"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/secrets"
)

// Defaults of Options.
const (
	DefaultRegion      = "us-east-1"
	DefaultAccountID   = "000000000000"
	DefaultStopTimeout = 30 * time.Second
	// DefaultAddr is where Start listens when given no address.
	DefaultAddr = "127.0.0.1:0"
)

// closeGrace bounds how long Close lets a container handle SIGTERM before it
// is killed, whatever its stop timeout.
const closeGrace = 5 * time.Second

// Options configure a Server. The zero value is ready to use.
type Options struct {
	// Region of every ARN and the only region requests may be signed
	// for; DefaultRegion when empty.
	Region string
	// AccountID of every ARN; DefaultAccountID when empty.
	AccountID string
	// AccessKeyID and SecretAccessKey are the only credentials the server
	// accepts. When either is empty a random pair is generated; read it
	// with Server.Credentials.
	AccessKeyID, SecretAccessKey string
	// StopTimeout is how long a container has between SIGTERM and
	// SIGKILL when its definition sets no stopTimeout;
	// DefaultStopTimeout when zero.
	StopTimeout time.Duration
	// NoDefaultVPC starts EC2 without the default VPC, its subnets and
	// security group.
	NoDefaultVPC bool
	// Logger receives the server's diagnostics; discarded when nil.
	Logger *slog.Logger
	// Runtime runs the task containers: NewProcessRuntime's when nil,
	// else NewDockerRuntime's. The server owns it: Close closes it.
	Runtime Runtime
	// AdminToken turns on the admin API under AdminPathPrefix (fault
	// injection, ECS-initiated task stops, resetting Stats) for requests
	// carrying "Authorization: Bearer <AdminToken>". Empty leaves it off:
	// those paths answer 404. The server keeps only a hash of it.
	AdminToken string
}

// Server is the local ECS, EC2 and CloudWatch Logs endpoint. It is an
// http.Handler; Serve and Start put it on a listener. All its methods are
// safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	creds    aws.Credentials
	logs     *cwlogs.Store
	ec2      *ec2query.Store
	secrets  *secrets.Store // Secrets Manager and SSM Parameter Store
	stats    stats
	faults   *Faults
	admin    *adminAuth // nil when the admin API is off
	rt       Runtime
	closeErr error // what Close returns

	ecsHandler  http.Handler
	logsHandler http.Handler
	smHandler   http.Handler // Secrets Manager
	ssmHandler  http.Handler // SSM Parameter Store
	hs          *http.Server

	// mu guards the ECS state and the lifecycle fields below.
	mu      sync.Mutex
	ecs     ecsState
	closed  bool
	closeCh chan struct{} // closed by Close
	tasksWG sync.WaitGroup
	serveWG sync.WaitGroup
	once    sync.Once
}

// New returns a Server configured by opts, with the cluster "default" and,
// unless opts.NoDefaultVPC, a default VPC. It does not listen yet.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.AccessKeyID == "" || opts.SecretAccessKey == "" {
		opts.AccessKeyID, opts.SecretAccessKey = generateKeyPair()
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts: opts,
		log:  logger,
		creds: aws.Credentials{
			AccessKeyID:     opts.AccessKeyID,
			SecretAccessKey: opts.SecretAccessKey,
			Source:          "ecslocal",
		},
		logs:    cwlogs.New(cwlogs.Options{Region: opts.Region, AccountID: opts.AccountID}),
		ec2:     ec2query.New(ec2query.Options{Region: opts.Region, AccountID: opts.AccountID, NoDefaultVPC: opts.NoDefaultVPC}),
		secrets: secrets.New(secrets.Options{Region: opts.Region, AccountID: opts.AccountID}),
		closeCh: make(chan struct{}),
	}
	s.rt = opts.Runtime
	if s.rt == nil {
		rt, err := NewProcessRuntime(ProcessOptions{})
		if err != nil {
			logger.Warn("ecslocal: no crash records for the process runtime: a crash may leave processes behind", "err", err)
			rt = &processRuntime{}
		}
		s.rt = rt
	}
	s.opts.Runtime = nil
	s.rt.bind(logger)
	s.faults = newFaults(s)
	s.admin = newAdminAuth(opts.AdminToken)
	s.opts.AdminToken = ""
	s.ecs.init()
	s.createClusterLocked(defaultCluster, nil, nil)
	s.ecsHandler = awsproto.JSONHandler(ecsTargetPrefix, s.dispatchECS)
	s.logsHandler = awsproto.JSONHandler(cwlogs.TargetPrefix, s.logs.Dispatch)
	s.smHandler = awsproto.JSONHandler(secrets.SecretsManagerTargetPrefix, s.secrets.DispatchSecretsManager)
	s.ssmHandler = awsproto.JSONHandler(secrets.SSMTargetPrefix, s.secrets.DispatchSSM)
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Credentials returns the only credentials the server accepts.
func (s *Server) Credentials() aws.Credentials { return s.creds }

// Region returns the server's region.
func (s *Server) Region() string { return s.opts.Region }

// AccountID returns the account of every ARN the server hands out.
func (s *Server) AccountID() string { return s.opts.AccountID }

// EC2 returns the server's EC2 store, e.g. to add subnets for a test.
func (s *Server) EC2() *ec2query.Store { return s.ec2 }

// Logs returns the server's CloudWatch Logs store.
func (s *Server) Logs() *cwlogs.Store { return s.logs }

// Secrets returns the server's Secrets Manager and SSM Parameter Store
// store, whose values tasks' container secrets resolve from.
func (s *Server) Secrets() *secrets.Store { return s.secrets }

// Serve answers requests on l until Close. It returns nil after Close and
// the listener's error otherwise.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = l.Close()
		return nil
	}
	s.serveWG.Add(1)
	s.mu.Unlock()
	defer s.serveWG.Done()
	err := s.hs.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Start listens on addr (DefaultAddr, a free loopback port, when empty),
// serves in the background and returns the endpoint URL to give the AWS
// SDK, e.g. "http://127.0.0.1:43127".
func (s *Server) Start(addr string) (endpointURL string, err error) {
	if addr == "" {
		addr = DefaultAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("ecslocal: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = l.Close()
		return "", errors.New("ecslocal: server is closed")
	}
	s.serveWG.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.serveWG.Done()
		if err := s.Serve(l); err != nil {
			s.log.Error("ecslocal: serve", "err", err)
		}
	}()
	return "http://" + l.Addr().String(), nil
}

// Close stops serving, stops every task (SIGTERM to its containers,
// SIGKILL after the container's stop timeout but at most 5 s later), and
// returns once every container is gone (processes reaped, Docker
// containers removed), the runtime is closed and every goroutine of the
// server has ended. Tasks end STOPPED with stopCode TerminationNotice.
// Calling Close again returns the first call's result.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.closeCh)
		// Pulls and starts in flight end now; the runners then stop the
		// containers (within closeGrace).
		for _, t := range s.ecs.tasks {
			s.requestStopLocked(t, types.TaskStopCodeTerminationNotice, reasonShutdown)
		}
		s.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.hs.Shutdown(ctx); err != nil {
			_ = s.hs.Close()
		}
		s.tasksWG.Wait()
		s.serveWG.Wait()
		s.closeErr = s.rt.close()
	})
	return s.closeErr
}

// generateKeyPair returns a random access key id and secret in AWS's
// shapes (AKIA + 16 characters, 40 characters).
func generateKeyPair() (id, secret string) {
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	return "AKIA" + randomString(upper, 16), randomString(all, 40)
}

func randomString(alphabet string, n int) string {
	b := randomBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	return b
}
