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
		return call(body, s.createLogGroup)
	case "DescribeLogGroups":
		return call(body, s.describeLogGroups)
	case "CreateLogStream":
		return call(body, s.createLogStream)
	case "DescribeLogStreams":
		return call(body, s.describeLogStreams)
	case "PutLogEvents":
		return call(body, s.putLogEvents)
	case "GetLogEvents":
		return call(body, s.getLogEvents)
	case "FilterLogEvents":
		return call(body, s.filterLogEvents)
	}
	return nil, awsproto.ClientError("UnknownOperationException", "ecslocal does not implement CloudWatch Logs operation %q", op)
}

// call decodes body into a new In and hands it to op.
func call[In, Out any](body []byte, op func(*In) (*Out, error)) (any, error) {
	in := new(In)
	if err := awsproto.DecodeJSON(body, in); err != nil {
		return nil, err
	}
	out, err := op(in)
	if err != nil {
		return nil, err
	}
	return out, nil
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
