package cwlogs

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// maxDescribe is the largest (and default) page of DescribeLogGroups and
// DescribeLogStreams.
const maxDescribe = 50

func (s *Store) createLogGroup(in *cloudwatchlogs.CreateLogGroupInput) (*cloudwatchlogs.CreateLogGroupOutput, error) {
	name := aws.ToString(in.LogGroupName)
	if err := validateGroupName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[name]; ok {
		return nil, awsproto.ClientError("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	s.groups[name] = s.newGroup(name, string(in.LogGroupClass))
	return &cloudwatchlogs.CreateLogGroupOutput{}, nil
}

func (s *Store) describeLogGroups(in *cloudwatchlogs.DescribeLogGroupsInput) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	limit, err := limitOf(in.Limit, maxDescribe, maxDescribe)
	if err != nil {
		return nil, err
	}
	prefix, pattern := aws.ToString(in.LogGroupNamePrefix), strings.ToLower(aws.ToString(in.LogGroupNamePattern))
	if prefix != "" && pattern != "" {
		return nil, invalidParam("specify either logGroupNamePrefix or logGroupNamePattern, not both")
	}
	after, err := nameCursor(in.NextToken)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var names []string
	for name := range s.groups {
		if strings.HasPrefix(name, prefix) && strings.Contains(strings.ToLower(name), pattern) &&
			(after == nil || name > *after) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := &cloudwatchlogs.DescribeLogGroupsOutput{}
	if len(names) > limit {
		names = names[:limit]
		out.NextToken = aws.String(encodeToken("n", nil, names[limit-1]))
	}
	for _, name := range names {
		g := s.groups[name]
		arn := s.groupARN(name)
		out.LogGroups = append(out.LogGroups, types.LogGroup{
			LogGroupName:      aws.String(name),
			Arn:               aws.String(arn + ":*"),
			LogGroupArn:       aws.String(arn),
			CreationTime:      aws.Int64(g.createdAt),
			LogGroupClass:     types.LogGroupClass(g.class),
			StoredBytes:       aws.Int64(0),
			MetricFilterCount: aws.Int32(0),
		})
	}
	return out, nil
}

// nameCursor decodes an optional "n/" token into the name to continue after.
func nameCursor(tok *string) (*string, error) {
	if aws.ToString(tok) == "" {
		return nil, nil
	}
	_, name, err := decodeToken(*tok, "n", 0)
	if err != nil {
		return nil, err
	}
	return &name, nil
}

func (s *Store) createLogStream(in *cloudwatchlogs.CreateLogStreamInput) (*cloudwatchlogs.CreateLogStreamOutput, error) {
	name := aws.ToString(in.LogStreamName)
	if err := validateStreamName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[aws.ToString(in.LogGroupName)]
	if !ok {
		return nil, errGroupNotFound()
	}
	if _, ok := g.streams[name]; ok {
		return nil, awsproto.ClientError("ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	s.newStream(g, name)
	return &cloudwatchlogs.CreateLogStreamOutput{}, nil
}

// streamKey orders streams for DescribeLogStreams.
type streamKey struct {
	ts   int64 // last event timestamp; 0 when ordering by name
	name string
}

func (a streamKey) compare(b streamKey) int {
	return cmp.Or(cmp.Compare(a.ts, b.ts), strings.Compare(a.name, b.name))
}

func (s *Store) describeLogStreams(in *cloudwatchlogs.DescribeLogStreamsInput) (*cloudwatchlogs.DescribeLogStreamsOutput, error) {
	limit, err := limitOf(in.Limit, maxDescribe, maxDescribe)
	if err != nil {
		return nil, err
	}
	prefix := aws.ToString(in.LogStreamNamePrefix)
	byTime := false
	switch in.OrderBy {
	case "", types.OrderByLogStreamName:
	case types.OrderByLastEventTime:
		if prefix != "" {
			return nil, invalidParam("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
		byTime = true
	default:
		return nil, invalidParam("orderBy must be LogStreamName or LastEventTime, got %q", in.OrderBy)
	}
	desc := aws.ToBool(in.Descending)
	var cursor *streamKey
	if tok := aws.ToString(in.NextToken); tok != "" {
		kind, n := "n", 0
		if byTime {
			kind, n = "t", 1
		}
		nums, name, err := decodeToken(tok, kind, n)
		if err != nil {
			return nil, err
		}
		cursor = &streamKey{name: name}
		if byTime {
			cursor.ts = nums[0]
		}
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.lookupGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	key := func(st *stream) streamKey {
		if byTime {
			return streamKey{ts: st.lastTS, name: st.name}
		}
		return streamKey{name: st.name}
	}
	// order is the result order: ascending or descending keys.
	order := func(a, b *stream) int {
		c := key(a).compare(key(b))
		if desc {
			return -c
		}
		return c
	}
	var sel []*stream
	for _, st := range g.streams {
		if !strings.HasPrefix(st.name, prefix) {
			continue
		}
		if cursor != nil {
			c := key(st).compare(*cursor)
			if (!desc && c <= 0) || (desc && c >= 0) {
				continue
			}
		}
		sel = append(sel, st)
	}
	slices.SortFunc(sel, order)
	out := &cloudwatchlogs.DescribeLogStreamsOutput{}
	if len(sel) > limit {
		sel = sel[:limit]
		last := key(sel[limit-1])
		if byTime {
			out.NextToken = aws.String(encodeToken("t", []int64{last.ts}, last.name))
		} else {
			out.NextToken = aws.String(encodeToken("n", nil, last.name))
		}
	}
	out.LogStreams = make([]types.LogStream, len(sel))
	for i, st := range sel {
		out.LogStreams[i] = s.describeStream(g, st)
	}
	return out, nil
}

// describeStream returns the LogStream shape of st. Callers hold s.mu.
func (s *Store) describeStream(g *group, st *stream) types.LogStream {
	ls := types.LogStream{
		LogStreamName: aws.String(st.name),
		Arn:           aws.String(s.streamARN(g.name, st.name)),
		CreationTime:  aws.Int64(st.createdAt),
	}
	if len(st.events) > 0 {
		ls.FirstEventTimestamp = aws.Int64(st.firstTS)
		ls.LastEventTimestamp = aws.Int64(st.lastTS)
		ls.LastIngestionTime = aws.Int64(st.lastIngest)
	}
	if st.seq > 0 {
		ls.UploadSequenceToken = aws.String(sequenceToken(st.seq))
	}
	return ls
}

// sequenceToken formats a stream's batch counter as CloudWatch Logs'
// (no longer required) sequence tokens look: a long decimal number.
func sequenceToken(seq uint64) string {
	s := strconv.FormatUint(seq, 10)
	return strings.Repeat("0", 56-len(s)) + s
}
