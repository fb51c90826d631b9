// Package ec2query is the EC2 part of ecslocal: an in-memory set of VPCs,
// subnets and security groups answering DescribeVpcs, DescribeSubnets and
// DescribeSecurityGroups over the EC2 query protocol.
package ec2query

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// Options configure a Store.
type Options struct {
	// Region names the availability zones (REGIONa, b, c) of the default
	// subnets; AccountID is the owner of every resource.
	Region, AccountID string
	// NoDefaultVPC starts the store empty instead of seeding a default VPC
	// with three subnets and a default security group.
	NoDefaultVPC bool
}

// Store holds the EC2 network resources. It is safe for concurrent use.
type Store struct {
	opts Options
	mu   sync.RWMutex
}

// New returns a Store, seeded with a default VPC unless opts.NoDefaultVPC.
func New(opts Options) *Store {
	return &Store{opts: opts}
}

// ServeHTTP answers one EC2 query-protocol request.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// Operation returns the Action of an EC2 query request. It leaves r.Body
// readable for ServeHTTP.
func (s *Store) Operation(r *http.Request) string {
	if r.Body == nil {
		return r.URL.Query().Get("Action")
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get("Action")
}

// SubnetExists reports whether a subnet with this id exists.
func (s *Store) SubnetExists(id string) bool { return false }

// AddVPC adds a VPC with the given CIDR block and returns its id.
func (s *Store) AddVPC(cidr string, isDefault bool) (vpcID string) { return "" }

// AddSubnet adds a subnet to a VPC and returns its id.
func (s *Store) AddSubnet(vpcID, availabilityZone, cidr string) (subnetID string) { return "" }
