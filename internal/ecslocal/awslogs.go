package ecslocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// awslogs driver options.
const (
	optGroup        = "awslogs-group"
	optStreamPrefix = "awslogs-stream-prefix"
	optCreateGroup  = "awslogs-create-group"
)

// ensureLogGroup checks a container's awslogs configuration before the
// task starts and creates its log group when awslogs-create-group is
// "true". It fails as ECS does when the group is missing otherwise; other
// log drivers need nothing.
func (s *Server) ensureLogGroup(sp *containerSpec) error {
	if sp.logDriver != types.LogDriverAwslogs {
		return nil
	}
	group := sp.logOptions[optGroup]
	if group == "" {
		return loggerArgsError("must specify a value for log opt '%s'", optGroup)
	}
	if !s.logs.GroupExists(group) {
		if sp.logOptions[optCreateGroup] != "true" {
			return loggerArgsError("create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist (log group %q; create it or set the log option %s to \"true\")", group, optCreateGroup)
		}
		if err := s.logs.CreateGroup(group); err != nil {
			return loggerArgsError("failed to create Cloudwatch log group %q: %v", group, err)
		}
	}
	return nil
}

// logSink returns the function that receives a container's output lines:
// with the awslogs driver, one that appends each line as an event to the
// container's log stream, which it creates (named after runtimeID when
// there is no stream prefix); with any other driver, nil (output is
// discarded).
func (s *Server) logSink(taskID string, sp *containerSpec, runtimeID string) (func(string), error) {
	if sp.logDriver != types.LogDriverAwslogs {
		return nil, nil
	}
	if err := s.ensureLogGroup(sp); err != nil {
		return nil, err
	}
	group := sp.logOptions[optGroup]
	stream := runtimeID
	if prefix := sp.logOptions[optStreamPrefix]; prefix != "" {
		stream = prefix + "/" + sp.name + "/" + taskID
	}
	body, _ := json.Marshal(map[string]string{"logGroupName": group, "logStreamName": stream})
	if _, err := s.logs.Dispatch("CreateLogStream", body); err != nil {
		var e *awsproto.Error
		if !errors.As(err, &e) || e.Code != "ResourceAlreadyExistsException" {
			return nil, loggerArgsError("failed to create Cloudwatch log stream %q: %v", stream, err)
		}
	}
	return func(line string) {
		if err := s.logs.Append(group, stream, time.Now(), line); err != nil {
			s.log.Warn("ecslocal: dropping container output", "group", group, "stream", stream, "err", err)
		}
	}, nil
}

// loggerArgsError is the stopped reason ECS gives when a task's log
// configuration cannot be set up.
func loggerArgsError(format string, args ...any) error {
	return fmt.Errorf("ResourceInitializationError: failed to validate logger args: "+format+" : exit status 1", args...)
}
