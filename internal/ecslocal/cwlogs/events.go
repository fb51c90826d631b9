package cwlogs

import (
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// Event-age window of PutLogEvents: older or newer events are rejected
// (reported in rejectedLogEventsInfo) while the rest are stored.
const (
	maxEventAge    = 14 * 24 * time.Hour
	maxEventFuture = 2 * time.Hour
	maxBatchSpan   = 24 * time.Hour
)

func (s *Store) putLogEvents(in *cloudwatchlogs.PutLogEventsInput) (*cloudwatchlogs.PutLogEventsOutput, error) {
	evs := in.LogEvents
	if len(evs) == 0 || len(evs) > maxEvents {
		return nil, invalidParam("logEvents must hold 1 to %d events, got %d", maxEvents, len(evs))
	}
	size := 0
	for i, e := range evs {
		if e.Timestamp == nil {
			return nil, invalidParam("logEvents[%d].timestamp is required", i)
		}
		if aws.ToString(e.Message) == "" {
			return nil, invalidParam("logEvents[%d].message must not be empty", i)
		}
		if i > 0 && *e.Timestamp < *evs[i-1].Timestamp {
			return nil, invalidParam("Log events in a single PutLogEvents request must be in chronological order.")
		}
		size += len(*e.Message) + eventOverhead
	}
	if size > maxBatchBytes {
		return nil, invalidParam("Upload too large: %d bytes exceeds %d bytes", size, maxBatchBytes)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[aws.ToString(in.LogGroupName)]
	if !ok {
		return nil, errGroupNotFound()
	}
	st, err := lookupStream(g, in.LogStreamName)
	if err != nil {
		return nil, err
	}
	// Events are sorted, so the too-old ones lead and the too-new ones trail.
	now := s.now()
	oldest, newest := now.Add(-maxEventAge).UnixMilli(), now.Add(maxEventFuture).UnixMilli()
	lo := 0
	for lo < len(evs) && *evs[lo].Timestamp < oldest {
		lo++
	}
	hi := len(evs)
	for hi > lo && *evs[hi-1].Timestamp > newest {
		hi--
	}
	if hi > lo && *evs[hi-1].Timestamp-*evs[lo].Timestamp > maxBatchSpan.Milliseconds() {
		return nil, invalidParam("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	out := &cloudwatchlogs.PutLogEventsOutput{}
	if lo > 0 || hi < len(evs) {
		info := &types.RejectedLogEventsInfo{}
		if lo > 0 {
			info.TooOldLogEventEndIndex = aws.Int32(int32(lo)) // exclusive
		}
		if hi < len(evs) {
			info.TooNewLogEventStartIndex = aws.Int32(int32(hi))
		}
		out.RejectedLogEventsInfo = info
	}
	st.events = slices.Grow(st.events, hi-lo)
	for _, e := range evs[lo:hi] {
		s.appendLocked(st, *e.Timestamp, *e.Message)
	}
	st.seq++
	out.NextSequenceToken = aws.String(sequenceToken(st.seq))
	return out, nil
}

// timeRange selects event timestamps (ms): from is inclusive, to is
// inclusive or exclusive as the operation defines it.
type timeRange struct {
	from, to    *int64
	toExclusive bool
}

func (r timeRange) contains(ts int64) bool {
	if r.from != nil && ts < *r.from {
		return false
	}
	if r.to != nil && (ts > *r.to || (r.toExclusive && ts == *r.to)) {
		return false
	}
	return true
}

func (s *Store) getLogEvents(in *cloudwatchlogs.GetLogEventsInput) (*cloudwatchlogs.GetLogEventsOutput, error) {
	limit, err := limitOf(in.Limit, maxEvents, maxEvents)
	if err != nil {
		return nil, err
	}
	r := timeRange{from: in.StartTime, to: in.EndTime, toExclusive: true}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.lookupGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	st, err := lookupStream(g, in.LogStreamName)
	if err != nil {
		return nil, err
	}
	vis := st.visible(s.now())
	var forward bool
	var pos int
	switch {
	case aws.ToString(in.NextToken) != "":
		if forward, pos, err = parsePositionToken(*in.NextToken); err != nil {
			return nil, err
		}
		if pos > len(st.events) {
			return nil, errBadToken()
		}
	case aws.ToBool(in.StartFromHead):
		forward, pos = true, 0
	default:
		forward, pos = false, vis
	}

	var sel []int
	if forward {
		sel = st.scanForward(pos, vis, r, limit)
	} else {
		sel = st.scanBackward(min(pos, vis), r, limit)
	}
	out := &cloudwatchlogs.GetLogEventsOutput{Events: outputEvents(st, sel)}
	// With nothing to return both tokens stay where the request was, so
	// a reader following nextForwardToken sees it repeat at the end.
	next, prev := pos, pos
	if len(sel) > 0 {
		next, prev = sel[len(sel)-1]+1, sel[0]
	}
	out.NextForwardToken = aws.String(positionToken(true, next))
	out.NextBackwardToken = aws.String(positionToken(false, prev))
	return out, nil
}

// scanForward returns the indices of up to limit events (and at most a
// page's bytes) in r, from index from up to (excluding) end.
func (st *stream) scanForward(from, end int, r timeRange, limit int) []int {
	var sel []int
	bytes := 0
	for i := from; i < end && len(sel) < limit; i++ {
		e := &st.events[i]
		if !r.contains(e.ts) {
			continue
		}
		if bytes += e.size(); bytes > maxBatchBytes && len(sel) > 0 {
			break
		}
		sel = append(sel, i)
	}
	return sel
}

// scanBackward returns, in ascending order, the indices of the last up to
// limit events (and at most a page's bytes) in r before index end.
func (st *stream) scanBackward(end int, r timeRange, limit int) []int {
	var sel []int
	bytes := 0
	for i := end - 1; i >= 0 && len(sel) < limit; i-- {
		e := &st.events[i]
		if !r.contains(e.ts) {
			continue
		}
		if bytes += e.size(); bytes > maxBatchBytes && len(sel) > 0 {
			break
		}
		sel = append(sel, i)
	}
	slices.Reverse(sel)
	return sel
}

// outputEvents copies the selected events into response shapes, with one
// backing array per field instead of one allocation per pointer.
func outputEvents(st *stream, sel []int) []types.OutputLogEvent {
	if len(sel) == 0 {
		return nil
	}
	out := make([]types.OutputLogEvent, len(sel))
	nums := make([]int64, 2*len(sel))
	msgs := make([]string, len(sel))
	for k, i := range sel {
		e := &st.events[i]
		nums[2*k], nums[2*k+1], msgs[k] = e.ts, e.ingest, e.message
		out[k] = types.OutputLogEvent{Timestamp: &nums[2*k], IngestionTime: &nums[2*k+1], Message: &msgs[k]}
	}
	return out
}
