package activities

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"golang.org/x/time/rate"
)

// maxLogPages bounds the GetLogEvents pages one LogTailer.Next reads, so a
// very chatty stream cannot hold a poll; the rest comes at the next call.
const maxLogPages = 100

// LogCursor is where a LogTailer resumes. It is plain data: the activity
// carries it in its heartbeat details, so that a retried attempt repeats
// and skips no line.
type LogCursor struct {
	// NextToken is the last nextForwardToken CloudWatch returned.
	NextToken string `json:"nextToken,omitempty"`
	// LastTimestamp (Unix milliseconds) and SeenAtLast, the number of
	// events already delivered with that timestamp, let the tailer resume
	// by time, skipping what it delivered, when the token is refused.
	LastTimestamp int64 `json:"lastTimestamp,omitempty"`
	SeenAtLast    int   `json:"seenAtLast,omitempty"`
}

// LogEvent is one line of a log stream.
type LogEvent struct {
	Timestamp time.Time
	Message   string
}

// LogTailer reads a CloudWatch Logs stream forward from a cursor: each Next
// returns the events written since the previous one. It is used by the
// WaitForTaskFinish activity and by the starter CLI.
type LogTailer struct {
	api     LogsAPI
	group   string
	stream  string
	limiter *rate.Limiter
	limit   int32
	cursor  LogCursor
}

// LogTailerOptions configures a LogTailer.
type LogTailerOptions struct {
	// Cursor resumes a previous tailer; zero starts at the stream's head.
	Cursor LogCursor
	// Limiter, when set, is waited on before each GetLogEvents call.
	Limiter *rate.Limiter
	// PageSize bounds the events of one GetLogEvents page; zero leaves
	// CloudWatch's default (as many as fit in 1 MB, up to 10,000).
	PageSize int32
}

// NewLogTailer returns a tailer of the stream group/stream.
func NewLogTailer(api LogsAPI, group, stream string, opts LogTailerOptions) *LogTailer {
	return &LogTailer{api: api, group: group, stream: stream, limiter: opts.Limiter, limit: opts.PageSize, cursor: opts.Cursor}
}

// Cursor returns the position after the events Next returned so far.
func (t *LogTailer) Cursor() LogCursor { return t.cursor }

// Next returns the events written since the last call, reading every page
// until CloudWatch returns the token it was sent (the end of the stream).
// A stream that does not exist yet has no events. On error, the events
// read before it are returned with it and the cursor stays after them.
func (t *LogTailer) Next(ctx context.Context) ([]LogEvent, error) {
	var out []LogEvent
	// Resuming by time: skip the events already delivered at LastTimestamp.
	skip := 0
	if t.cursor.NextToken == "" {
		skip = t.cursor.SeenAtLast
	}
	tokenRefused := false
	for page := 0; page < maxLogPages; page++ {
		if t.limiter != nil {
			if err := t.limiter.Wait(ctx); err != nil {
				return out, err
			}
		}
		sent := t.cursor.NextToken
		in := &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  aws.String(t.group),
			LogStreamName: aws.String(t.stream),
			StartFromHead: aws.Bool(true),
		}
		if t.limit > 0 {
			in.Limit = aws.Int32(t.limit)
		}
		if sent != "" {
			in.NextToken = aws.String(sent)
		} else if t.cursor.LastTimestamp > 0 {
			in.StartTime = aws.Int64(t.cursor.LastTimestamp)
		}
		resp, err := t.api.GetLogEvents(ctx, in)
		if err != nil {
			var notFound *cwtypes.ResourceNotFoundException
			var invalid *cwtypes.InvalidParameterException
			switch {
			case errors.As(err, &notFound):
				return out, nil
			case errors.As(err, &invalid) && sent != "" && !tokenRefused:
				// An expired or foreign token: resume by time instead.
				tokenRefused = true
				t.cursor.NextToken = ""
				skip = t.cursor.SeenAtLast
				continue
			}
			return out, err
		}
		for _, ev := range resp.Events {
			ts := aws.ToInt64(ev.Timestamp)
			if in.StartTime != nil {
				// Read by time: drop what precedes the cursor and the
				// events already delivered at its timestamp.
				from := aws.ToInt64(in.StartTime)
				if ts < from {
					continue
				}
				if ts == from && skip > 0 {
					skip--
					continue
				}
			}
			out = append(out, LogEvent{Timestamp: time.UnixMilli(ts), Message: aws.ToString(ev.Message)})
			switch {
			case ts > t.cursor.LastTimestamp:
				t.cursor.LastTimestamp, t.cursor.SeenAtLast = ts, 1
			case ts == t.cursor.LastTimestamp:
				t.cursor.SeenAtLast++
			}
		}
		next := aws.ToString(resp.NextForwardToken)
		if next != "" {
			t.cursor.NextToken = next
		}
		if next == "" || next == sent {
			break
		}
	}
	return out, nil
}
