package cwlogs

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// maxFilterStreams bounds logStreamNames in FilterLogEvents.
const maxFilterStreams = 100

// startFromTailEpoch is the earliest startTime (2024-01-01T00:00:00Z, ms)
// FilterLogEvents accepts with startFromHead=false.
const startFromTailEpoch = 1704067200000

// hit is one event matched by FilterLogEvents. Hits are ordered by
// timestamp, then stream name, then position in the stream.
type hit struct {
	ts  int64
	st  *stream
	idx int
}

func (a hit) compare(b hit) int {
	return cmp.Or(cmp.Compare(a.ts, b.ts), strings.Compare(a.st.name, b.st.name), cmp.Compare(a.idx, b.idx))
}

// compareKey compares a hit with a token's sort key.
func (a hit) compareKey(ts int64, stream string, idx int) int {
	return cmp.Or(cmp.Compare(a.ts, ts), strings.Compare(a.st.name, stream), cmp.Compare(a.idx, idx))
}

func (s *Store) filterLogEvents(in *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	limit, err := limitOf(in.Limit, maxEvents, maxEvents)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && aws.ToString(in.LogStreamNamePrefix) != "" {
		return nil, invalidParam("specify either logStreamNames or logStreamNamePrefix, not both")
	}
	if len(in.LogStreamNames) > maxFilterStreams {
		return nil, invalidParam("logStreamNames can hold at most %d names, got %d", maxFilterStreams, len(in.LogStreamNames))
	}
	match, err := compilePattern(aws.ToString(in.FilterPattern))
	if err != nil {
		return nil, err
	}
	ascending := in.StartFromHead == nil || *in.StartFromHead
	if !ascending && in.StartTime != nil && *in.StartTime < startFromTailEpoch {
		return nil, invalidParam("startFromHead=false requires a startTime on or after 2024-01-01T00:00:00Z")
	}
	var cursor *hit
	var cursorStream string
	if tok := aws.ToString(in.NextToken); tok != "" {
		kind, _, _ := strings.Cut(tok, "/")
		nums, name, err := decodeToken(tok, kind, 2)
		if err != nil || (kind != "a" && kind != "d") {
			return nil, errBadToken()
		}
		ascending = kind == "a"
		cursor, cursorStream = &hit{ts: nums[0], idx: int(nums[1])}, name
	}
	r := timeRange{from: in.StartTime, to: in.EndTime}

	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.lookupGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	streams, err := filterStreams(g, in.LogStreamNames, aws.ToString(in.LogStreamNamePrefix))
	if err != nil {
		return nil, err
	}
	// order(a, b) < 0 when a comes before b in the response.
	order := func(a, b hit) int {
		if ascending {
			return a.compare(b)
		}
		return b.compare(a)
	}
	// Keep the first limit+1 hits in response order; the extra one tells
	// whether there is another page.
	best := &hitHeap{worstFirst: func(a, b hit) bool { return order(a, b) > 0 }}
	now := s.now()
	for _, st := range streams {
		vis := st.visible(now)
		for i := range vis {
			e := &st.events[i]
			if !r.contains(e.ts) {
				continue
			}
			h := hit{ts: e.ts, st: st, idx: i}
			if cursor != nil {
				c := h.compareKey(cursor.ts, cursorStream, cursor.idx)
				if (ascending && c <= 0) || (!ascending && c >= 0) {
					continue
				}
			}
			if best.Len() > limit && order(h, best.hits[0]) >= 0 {
				continue // cheaper than matching the pattern
			}
			if !match(e.message) {
				continue
			}
			heap.Push(best, h)
			if best.Len() > limit+1 {
				heap.Pop(best)
			}
		}
	}
	hits := best.hits
	slices.SortFunc(hits, order)
	more := len(hits) > limit
	hits = hits[:min(len(hits), limit)]
	bytes := 0
	for i, h := range hits {
		if bytes += h.st.events[h.idx].size(); bytes > maxBatchBytes && i > 0 {
			hits, more = hits[:i], true
			break
		}
	}

	out := &cloudwatchlogs.FilterLogEventsOutput{Events: make([]types.FilteredLogEvent, len(hits))}
	for i, h := range hits {
		e := &h.st.events[h.idx]
		out.Events[i] = types.FilteredLogEvent{
			EventId:       aws.String(fmt.Sprintf("%016d%020d", h.st.id, h.idx)),
			LogStreamName: aws.String(h.st.name),
			Timestamp:     aws.Int64(e.ts),
			IngestionTime: aws.Int64(e.ingest),
			Message:       aws.String(e.message),
		}
	}
	if more {
		last := hits[len(hits)-1]
		kind := "d"
		if ascending {
			kind = "a"
		}
		out.NextToken = aws.String(encodeToken(kind, []int64{last.ts, int64(last.idx)}, last.st.name))
	}
	return out, nil
}

// filterStreams returns the streams of g a FilterLogEvents request selects.
// Callers hold s.mu.
func filterStreams(g *group, names []string, prefix string) ([]*stream, error) {
	if len(names) > 0 {
		streams := make([]*stream, 0, len(names))
		for _, name := range names {
			st, ok := g.streams[name]
			if !ok {
				return nil, errStreamNotFound()
			}
			streams = append(streams, st)
		}
		return streams, nil
	}
	streams := make([]*stream, 0, len(g.streams))
	for _, st := range g.streams {
		if strings.HasPrefix(st.name, prefix) {
			streams = append(streams, st)
		}
	}
	return streams, nil
}

// hitHeap is a heap of hits with the one that would come last on top.
type hitHeap struct {
	hits       []hit
	worstFirst func(a, b hit) bool
}

func (h *hitHeap) Len() int           { return len(h.hits) }
func (h *hitHeap) Less(i, j int) bool { return h.worstFirst(h.hits[i], h.hits[j]) }
func (h *hitHeap) Swap(i, j int)      { h.hits[i], h.hits[j] = h.hits[j], h.hits[i] }
func (h *hitHeap) Push(x any)         { h.hits = append(h.hits, x.(hit)) }
func (h *hitHeap) Pop() any {
	x := h.hits[len(h.hits)-1]
	h.hits = h.hits[:len(h.hits)-1]
	return x
}
