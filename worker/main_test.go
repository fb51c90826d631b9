package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// isolateWorker gives the worker an AWS region and no AWS or Temporal
// configuration files, and returns its environment lookup.
func isolateWorker(t *testing.T) func(string) (string, bool) {
	t.Helper()
	vars := map[string]string{"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	return env(vars)
}

// silentServer accepts connections and never answers: a Temporal frontend
// that hangs. accepted is closed at the first connection.
func silentServer(t *testing.T) (addr string, accepted <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan struct{})
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			if conns = append(conns, conn); len(conns) == 1 {
				close(ch)
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String(), ch
}

// localECSEndpoint returns the endpoint the worker's JSON log says its
// local ECS endpoint started on.
func localECSEndpoint(t *testing.T, log string) string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var rec struct{ Msg, Endpoint string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && strings.HasPrefix(rec.Msg, "local ECS endpoint started") {
			return rec.Endpoint
		}
	}
	require.FailNow(t, "no local ECS endpoint in the log", log)
	return ""
}

func TestSignalWhileConnectingToTemporalStopsCleanly(t *testing.T) {
	lookup := isolateWorker(t)
	addr, accepted := silentServer(t)
	ctx, signal := context.WithCancel(context.Background())
	defer signal()

	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- cliMain(ctx, []string{"--address=" + addr, "--local-ecs=127.0.0.1:0", "--log-format=json"}, lookup, &stderr)
	}()
	<-accepted // the worker is connecting to Temporal
	signal()
	select {
	case n := <-code:
		assert.Equal(t, 0, n, "a signal during startup is a clean stop: %s", stderr.String())
	case <-time.After(10 * time.Second):
		require.FailNow(t, "the worker did not stop")
	}
	assert.NotContains(t, stderr.String(), "context canceled")

	u, err := neturl.Parse(localECSEndpoint(t, stderr.String()))
	require.NoError(t, err)
	_, err = net.Dial("tcp", u.Host)
	assert.Error(t, err, "the local ECS endpoint started before the signal is closed")
}

func TestSignalBeforeStartupStopsCleanly(t *testing.T) {
	lookup := isolateWorker(t)
	addr, _ := silentServer(t)
	ctx, signal := context.WithCancel(context.Background())
	signal()
	var stderr bytes.Buffer
	assert.Equal(t, 0, cliMain(ctx, []string{"--address=" + addr}, lookup, &stderr), stderr.String())
	assert.NotContains(t, stderr.String(), "context canceled")
}
