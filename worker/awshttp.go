package main

import (
	"net"
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// awsHTTPTimeouts bound the steps of an AWS call at which a silent
// connection would otherwise hang it: connecting, the TLS handshake and
// waiting for the response's headers. A whole call has no deadline, so a
// response body may take as long as it takes.
type awsHTTPTimeouts struct {
	dial           time.Duration
	tlsHandshake   time.Duration
	responseHeader time.Duration
}

// defaultAWSHTTPTimeouts are the worker's: ECS, EC2 and CloudWatch Logs
// answer within seconds (the worker makes no long-polling calls), so a
// response header 30s late means a dead connection, which the SDK's
// retryer then replaces.
var defaultAWSHTTPTimeouts = awsHTTPTimeouts{
	dial:           10 * time.Second,
	tlsHandshake:   10 * time.Second,
	responseHeader: 30 * time.Second,
}

// newAWSHTTPClient returns the SDK's default HTTP client with timeouts t.
// It stays a BuildableClient, so the SDK can still tune it.
func newAWSHTTPClient(t awsHTTPTimeouts) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = t.dial }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = t.tlsHandshake
			tr.ResponseHeaderTimeout = t.responseHeader
		})
}
