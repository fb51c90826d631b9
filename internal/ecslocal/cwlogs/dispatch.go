package cwlogs

import (
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// Dispatch answers one CloudWatch Logs operation; it is an
// awsproto.Dispatcher for the target prefix TargetPrefix. Operations it
// does not implement are answered with UnknownOperationException.
func (s *Store) Dispatch(op string, body []byte) (any, error) {
	switch op {
	case "CreateLogGroup":
		return awsproto.Call(body, s.createLogGroup)
	case "DescribeLogGroups":
		return awsproto.Call(body, s.describeLogGroups)
	case "CreateLogStream":
		return awsproto.Call(body, s.createLogStream)
	case "DescribeLogStreams":
		return awsproto.Call(body, s.describeLogStreams)
	case "PutLogEvents":
		return awsproto.Call(body, s.putLogEvents)
	case "GetLogEvents":
		return awsproto.Call(body, s.getLogEvents)
	case "FilterLogEvents":
		return awsproto.Call(body, s.filterLogEvents)
	}
	return nil, awsproto.ClientError("UnknownOperationException", "ecslocal does not implement CloudWatch Logs operation %q", op)
}

// limitOf returns a request's limit: def when absent, an
// InvalidParameterException when outside 1..maxLimit.
func limitOf(v *int32, def, maxLimit int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 1 || int(*v) > maxLimit {
		return 0, invalidParam("limit must be between 1 and %d, got %d", maxLimit, *v)
	}
	return int(*v), nil
}
