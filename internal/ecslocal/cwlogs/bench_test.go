package cwlogs

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// BenchmarkGetLogEvents reads a 100,000-event stream: one full page
// (10,000 events) from the store including the wire encoding, a tailer's
// poll that finds nothing new, and a 1,000-event page through the SDK.
func BenchmarkGetLogEvents(b *testing.B) {
	s, _, c := newTestStore(b)
	require := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	require(s.CreateGroup("g"))
	const n = 100_000
	for i := range n {
		require(s.Append("g", "s", t0.Add(time.Duration(i)*time.Millisecond), "a typical log line of some length, number "+strconv.Itoa(i)))
	}
	page := func(token string, limit int) []byte {
		in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
			StartFromHead: aws.Bool(true), Limit: aws.Int32(int32(limit))}
		if token != "" {
			in.NextToken = aws.String(token)
		}
		body, err := awsproto.MarshalWire(in)
		require(err)
		return body
	}

	b.Run("page-10000", func(b *testing.B) {
		body := page(positionToken(true, n/2), maxEvents)
		b.ReportAllocs()
		for b.Loop() {
			out, err := s.Dispatch("GetLogEvents", body)
			require(err)
			_, err = awsproto.MarshalWire(out)
			require(err)
		}
	})
	b.Run("poll-at-end", func(b *testing.B) {
		body := page(positionToken(true, n), maxEvents)
		b.ReportAllocs()
		for b.Loop() {
			_, err := s.Dispatch("GetLogEvents", body)
			require(err)
		}
	})
	b.Run("sdk-page-1000", func(b *testing.B) {
		in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
			StartFromHead: aws.Bool(true), Limit: aws.Int32(1000), NextToken: aws.String(positionToken(true, n/2))}
		b.ReportAllocs()
		for b.Loop() {
			_, err := c.GetLogEvents(context.Background(), in)
			require(err)
		}
	})
}
