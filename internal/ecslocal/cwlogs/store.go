// Package cwlogs is the CloudWatch Logs part of ecslocal: an in-memory
// store of log groups, streams and events that answers the awsJson1_1
// operations of the Logs_20140328 service and that the task runner appends
// container output to.
//
// Events keep the order in which they were appended. Pagination tokens
// encode positions in a stream (or, for FilterLogEvents, the sort key of
// the last event returned), so they stay valid while new events arrive.
package cwlogs

import (
	"sort"
	"sync"
	"time"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// TargetPrefix is the X-Amz-Target prefix of CloudWatch Logs requests.
const TargetPrefix = "Logs_20140328"

// Limits CloudWatch Logs enforces on events.
const (
	// eventOverhead is what CloudWatch Logs adds to a message's length
	// when it counts the size of a batch or a response.
	eventOverhead = 26
	// maxBatchBytes bounds a PutLogEvents batch and a page of events.
	maxBatchBytes = 1 << 20
	// maxMessageBytes is the largest message a single event can carry.
	maxMessageBytes = maxBatchBytes - eventOverhead
	// maxEvents bounds a PutLogEvents batch and a page of events.
	maxEvents = 10000
)

// Options configure a Store.
type Options struct {
	// Region and AccountID appear in the ARNs of log groups and streams.
	Region, AccountID string
}

// Store holds log groups, their streams and events in memory. It is safe
// for concurrent use.
type Store struct {
	opts Options

	mu sync.RWMutex
	// now is the clock for ingestion times, PutLogEvents' acceptance
	// window and delivery delays; read with mu held (see SetClock).
	now           func() time.Time
	groups        map[string]*group
	deliveryDelay time.Duration
	streamIDs     uint64 // streams created so far, for event ids
}

// group is a log group.
type group struct {
	name      string
	class     string
	createdAt int64 // ms
	streams   map[string]*stream
}

// stream is a log stream and its events in append order.
type stream struct {
	id        uint64
	name      string
	createdAt int64 // ms
	events    []event
	// firstTS and lastTS are the smallest and largest event timestamps,
	// lastIngest the ingestion time of the newest event (all ms).
	firstTS, lastTS, lastIngest int64
	// seq counts PutLogEvents batches, for nextSequenceToken.
	seq uint64
}

// event is one log event. visibleAt (ns) is when Get/FilterLogEvents may
// return it; it never decreases along a stream, so the visible events are
// always a prefix of the stream.
type event struct {
	ts        int64 // ms
	ingest    int64 // ms
	visibleAt int64 // ns
	message   string
}

// size is the event's size as CloudWatch Logs counts it.
func (e *event) size() int { return len(e.message) + eventOverhead }

// New returns an empty Store.
func New(opts Options) *Store {
	return &Store{opts: opts, now: time.Now, groups: map[string]*group{}}
}

// GroupExists reports whether the log group exists.
func (s *Store) GroupExists(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.groups[name]
	return ok
}

// CreateGroup creates the log group if it does not exist yet, as the
// awslogs driver does with awslogs-create-group. It fails with
// InvalidParameterException when the name is not a valid group name.
func (s *Store) CreateGroup(name string) error {
	if err := validateGroupName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[name]; !ok {
		s.groups[name] = s.newGroup(name, "")
	}
	return nil
}

// Append adds one event to a stream of an existing group, creating the
// stream if it is missing. It fails with ResourceNotFoundException when
// the group does not exist. Empty messages are dropped, since CloudWatch
// Logs stores no empty events; messages longer than an event can carry
// are truncated.
func (s *Store) Append(group, stream string, ts time.Time, message string) error {
	if message == "" {
		return nil
	}
	if len(message) > maxMessageBytes {
		message = message[:maxMessageBytes]
	}
	if err := validateStreamName(stream); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[group]
	if !ok {
		return errGroupNotFound()
	}
	st, ok := g.streams[stream]
	if !ok {
		st = s.newStream(g, stream)
	}
	s.appendLocked(st, ts.UnixMilli(), message)
	return nil
}

// SetDeliveryDelay makes events appended from now on visible to
// GetLogEvents and FilterLogEvents only d after they were appended, as
// when CloudWatch Logs is slow to deliver. Zero restores immediate
// delivery. Events become visible in append order.
func (s *Store) SetDeliveryDelay(d time.Duration) {
	s.mu.Lock()
	s.deliveryDelay = d
	s.mu.Unlock()
}

// SetClock makes the store read the time from now instead of time.Now
// (nil restores time.Now): for ingestion times, the window of timestamps
// PutLogEvents accepts and when delayed events are delivered. Tests use it
// to let a delivery delay elapse without waiting for it.
func (s *Store) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// newGroup returns a new, empty group. Callers hold s.mu.
func (s *Store) newGroup(name, class string) *group {
	if class == "" {
		class = "STANDARD"
	}
	return &group{name: name, class: class, createdAt: s.now().UnixMilli(), streams: map[string]*stream{}}
}

// newStream adds an empty stream to g. Callers hold s.mu for writing.
func (s *Store) newStream(g *group, name string) *stream {
	s.streamIDs++
	st := &stream{id: s.streamIDs, name: name, createdAt: s.now().UnixMilli()}
	g.streams[name] = st
	return st
}

// appendLocked appends one event. Callers hold s.mu for writing.
func (s *Store) appendLocked(st *stream, ts int64, message string) {
	now := s.now()
	visibleAt := now.Add(s.deliveryDelay).UnixNano()
	if n := len(st.events); n > 0 && st.events[n-1].visibleAt > visibleAt {
		visibleAt = st.events[n-1].visibleAt
	}
	ingest := now.UnixMilli()
	if len(st.events) == 0 || ts < st.firstTS {
		st.firstTS = ts
	}
	if len(st.events) == 0 || ts > st.lastTS {
		st.lastTS = ts
	}
	st.lastIngest = ingest
	st.events = append(st.events, event{ts: ts, ingest: ingest, visibleAt: visibleAt, message: message})
}

// visible returns how many events of st (a prefix) have been delivered
// at time now. Callers hold s.mu.
func (st *stream) visible(now time.Time) int {
	n := len(st.events)
	t := now.UnixNano()
	if n == 0 || st.events[n-1].visibleAt <= t {
		return n
	}
	return sort.Search(n, func(i int) bool { return st.events[i].visibleAt > t })
}

// lookupGroup returns the group named by a request, which gives either its
// name or its identifier (name or ARN). Callers hold s.mu.
func (s *Store) lookupGroup(name, identifier *string) (*group, error) {
	n, err := groupName(name, identifier)
	if err != nil {
		return nil, err
	}
	g, ok := s.groups[n]
	if !ok {
		return nil, errGroupNotFound()
	}
	return g, nil
}

// lookupStream returns a stream of g. Callers hold s.mu.
func lookupStream(g *group, name *string) (*stream, error) {
	if name == nil || *name == "" {
		return nil, invalidParam("logStreamName is required")
	}
	st, ok := g.streams[*name]
	if !ok {
		return nil, errStreamNotFound()
	}
	return st, nil
}

func errGroupNotFound() error {
	return awsproto.ClientError("ResourceNotFoundException", "The specified log group does not exist.")
}

func errStreamNotFound() error {
	return awsproto.ClientError("ResourceNotFoundException", "The specified log stream does not exist.")
}

func invalidParam(format string, args ...any) error {
	return awsproto.ClientError("InvalidParameterException", format, args...)
}
