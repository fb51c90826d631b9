// Package cwlogs is the CloudWatch Logs part of ecslocal: an in-memory
// store of log groups, streams and events that answers the awsJson1_1
// operations of the Logs_20140328 service and that the task runner appends
// container output to.
package cwlogs

import (
	"sync"
	"time"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// TargetPrefix is the X-Amz-Target prefix of CloudWatch Logs requests.
const TargetPrefix = "Logs_20140328"

// Options configure a Store.
type Options struct {
	// Region and AccountID appear in the ARNs of log groups and streams.
	Region, AccountID string
}

// Store holds log groups, their streams and events in memory. It is safe
// for concurrent use.
type Store struct {
	opts Options
	now  func() time.Time

	mu            sync.RWMutex
	groups        map[string]*group
	deliveryDelay time.Duration
}

type group struct{}

// New returns an empty Store.
func New(opts Options) *Store {
	return &Store{opts: opts, now: time.Now, groups: map[string]*group{}}
}

// Dispatch answers one CloudWatch Logs operation; it is an
// awsproto.Dispatcher for the target prefix TargetPrefix.
func (s *Store) Dispatch(op string, body []byte) (any, error) {
	return nil, awsproto.ClientError("UnknownOperationException", "operation %q is not supported", op)
}

// GroupExists reports whether the log group exists.
func (s *Store) GroupExists(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.groups[name]
	return ok
}

// CreateGroup creates the log group if it does not exist yet, as the
// awslogs driver does with awslogs-create-group.
func (s *Store) CreateGroup(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[name]; !ok {
		s.groups[name] = &group{}
	}
	return nil
}

// Append adds one event to a stream of an existing group, creating the
// stream if it is missing. It fails with ResourceNotFoundException when
// the group does not exist.
func (s *Store) Append(group, stream string, ts time.Time, message string) error {
	return nil
}

// SetDeliveryDelay makes events appended from now on visible to
// GetLogEvents and FilterLogEvents only d after they were appended.
func (s *Store) SetDeliveryDelay(d time.Duration) {
	s.mu.Lock()
	s.deliveryDelay = d
	s.mu.Unlock()
}
