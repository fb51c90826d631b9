package awsproto_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

func TestMarshalWire(t *testing.T) {
	out := &ecs.DescribeTasksOutput{Tasks: []types.Task{{
		TaskArn:   aws.String("arn"),
		CreatedAt: aws.Time(time.UnixMilli(1700000000250)),
		StopCode:  types.TaskStopCodeUserInitiated,
		Containers: []types.Container{{
			Name: aws.String("app"), ExitCode: aws.Int32(0),
		}},
		Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{
			Environment: []types.KeyValuePair{{Name: aws.String("K"), Value: aws.String("v")}},
		}}},
	}}}
	b, err := awsproto.MarshalWire(out)
	require.NoError(t, err)
	assert.JSONEq(t, `{"tasks":[{
		"taskArn":"arn","createdAt":1700000000.25,"stopCode":"UserInitiated",
		"enableExecuteCommand":false,"version":0,
		"containers":[{"name":"app","exitCode":0}],
		"overrides":{"containerOverrides":[{"environment":[{"name":"K","value":"v"}]}]}
	}]}`, string(b))

	logOpts, err := awsproto.MarshalWire(types.LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-group": "g"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"logDriver":"awslogs","options":{"awslogs-group":"g"}}`, string(logOpts), "map keys are kept as they are")
}

func TestDecodeJSON(t *testing.T) {
	var in ecs.RunTaskInput
	require.NoError(t, awsproto.DecodeJSON([]byte(`{"taskDefinition":"f:1","count":2,"launchType":"FARGATE",
		"overrides":{"containerOverrides":[{"name":"app","command":["a","b"]}]}}`), &in))
	assert.Equal(t, "f:1", aws.ToString(in.TaskDefinition))
	assert.Equal(t, int32(2), aws.ToInt32(in.Count))
	assert.Equal(t, types.LaunchTypeFargate, in.LaunchType)
	assert.Equal(t, []string{"a", "b"}, in.Overrides.ContainerOverrides[0].Command)

	err := awsproto.DecodeJSON([]byte(`{"count":`), &in)
	var e *awsproto.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "SerializationException", e.Code)
}

func TestJSONHandler(t *testing.T) {
	h := awsproto.JSONHandler("Svc", func(op string, body []byte) (any, error) {
		switch op {
		case "Echo":
			var v map[string]any
			return v, json.Unmarshal(body, &v)
		case "Fail":
			return nil, awsproto.ClientError("InvalidParameterException", "bad %s", "thing")
		}
		return nil, assert.AnError
	})
	call := func(target, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := call("Svc.Echo", `{"a":1}`)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"a":1}`, rec.Body.String())

	rec = call("Svc.Fail", ``)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "InvalidParameterException", rec.Header().Get("X-Amzn-ErrorType"))
	assert.JSONEq(t, `{"__type":"InvalidParameterException","message":"bad thing"}`, rec.Body.String())

	rec = call("Svc.Other", `{}`)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "InternalFailure", rec.Header().Get("X-Amzn-ErrorType"))

	rec = call("Nope.Echo", `{}`)
	assert.Equal(t, "UnknownOperationException", rec.Header().Get("X-Amzn-ErrorType"))
}

func TestWriteJSONErrorMembers(t *testing.T) {
	rec := httptest.NewRecorder()
	awsproto.WriteJSONError(rec, &awsproto.Error{
		Code: "ConflictException", Message: "taken", Status: http.StatusBadRequest,
		Members: map[string]any{"resourceIds": []string{"arn:1"}, "message": "not this one"},
	})
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "ConflictException", rec.Header().Get("X-Amzn-ErrorType"))
	assert.JSONEq(t, `{"__type":"ConflictException","message":"taken","resourceIds":["arn:1"]}`, rec.Body.String(),
		"members are added; __type and message are the error's own")
}
