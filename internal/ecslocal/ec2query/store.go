// Package ec2query is the EC2 part of ecslocal: an in-memory set of VPCs,
// subnets and security groups answering DescribeVpcs, DescribeSubnets and
// DescribeSecurityGroups over the EC2 query protocol (form-encoded
// requests, XML responses and errors, API version 2016-11-15), as
// aws-sdk-go-v2's ec2 client and the AWS CLI speak it.
package ec2query

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
)

// Options configure a Store.
type Options struct {
	// Region (us-east-1 when empty) names the availability zones
	// (REGIONa, b, c) of the default subnets and appears in ARNs;
	// AccountID owns every resource.
	Region, AccountID string
	// NoDefaultVPC starts the store empty instead of seeding a default VPC
	// (172.31.0.0/16) with three default subnets and a default security
	// group.
	NoDefaultVPC bool
}

// Store holds the EC2 network resources. It is safe for concurrent use.
type Store struct {
	opts Options

	mu      sync.RWMutex
	created int // resources created so far, for ids
	vpcs    []*vpc
	subnets []*subnet
	groups  []*securityGroup
}

type vpc struct {
	id, cidr, cidrAssociationID, dhcpOptionsID string
	isDefault                                  bool
}

type subnet struct {
	id, vpcID, az, cidr               string
	availableIPs                      int
	defaultForAz, mapPublicIPOnLaunch bool
}

type securityGroup struct {
	id, vpcID, name, description string
}

// New returns a Store, seeded with a default VPC unless opts.NoDefaultVPC.
func New(opts Options) *Store {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	s := &Store{opts: opts}
	if !opts.NoDefaultVPC {
		v := s.AddVPC("172.31.0.0/16", true)
		for i, az := range []string{"a", "b", "c"} {
			s.AddSubnet(v, opts.Region+az, fmt.Sprintf("172.31.%d.0/20", 16*i))
		}
	}
	return s
}

// AddVPC adds an available VPC with the given IPv4 CIDR block, and its
// security group named "default", and returns the VPC's id. A new default
// VPC replaces the previous one as the default. It panics on an invalid
// CIDR block, being meant for tests and seeding.
func (s *Store) AddVPC(cidr string, isDefault bool) (vpcID string) {
	mustPrefix(cidr)
	s.mu.Lock()
	defer s.mu.Unlock()
	v := &vpc{id: s.newID("vpc"), cidr: cidr, cidrAssociationID: s.newID("vpc-cidr-assoc"),
		dhcpOptionsID: s.newID("dopt"), isDefault: isDefault}
	if isDefault {
		for _, o := range s.vpcs {
			o.isDefault = false
		}
	}
	s.vpcs = append(s.vpcs, v)
	s.groups = append(s.groups, &securityGroup{id: s.newID("sg"), vpcID: v.id, name: "default",
		description: "default VPC security group"})
	return v.id
}

// AddSubnet adds an available subnet to a VPC and returns its id. A
// subnet of the default VPC is the default for its availability zone (and
// maps public IPs on launch) unless the zone already has one. An empty
// availabilityZone means the region's zone "a". It panics on an unknown
// VPC or an invalid CIDR block, being meant for tests and seeding.
func (s *Store) AddSubnet(vpcID, availabilityZone, cidr string) (subnetID string) {
	p := mustPrefix(cidr)
	if availabilityZone == "" {
		availabilityZone = s.opts.Region + "a"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vpc(vpcID)
	if v == nil {
		panic(fmt.Sprintf("ec2query: AddSubnet: unknown VPC %q", vpcID))
	}
	sn := &subnet{id: s.newID("subnet"), vpcID: vpcID, az: availabilityZone, cidr: cidr,
		availableIPs: max(0, 1<<(32-p.Bits())-5)}
	if v.isDefault {
		sn.defaultForAz = true
		for _, o := range s.subnets {
			if o.vpcID == vpcID && o.az == availabilityZone && o.defaultForAz {
				sn.defaultForAz = false
			}
		}
		sn.mapPublicIPOnLaunch = sn.defaultForAz
	}
	s.subnets = append(s.subnets, sn)
	return sn.id
}

// AddSecurityGroup adds a security group to a VPC and returns its id. It
// panics on an unknown VPC, being meant for tests.
func (s *Store) AddSecurityGroup(vpcID, name, description string) (groupID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vpc(vpcID) == nil {
		panic(fmt.Sprintf("ec2query: AddSecurityGroup: unknown VPC %q", vpcID))
	}
	g := &securityGroup{id: s.newID("sg"), vpcID: vpcID, name: name, description: description}
	s.groups = append(s.groups, g)
	return g.id
}

// SubnetExists reports whether a subnet with this id exists.
func (s *Store) SubnetExists(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.subnet(id) != nil
}

// SecurityGroupExists reports whether a security group with this id exists.
func (s *Store) SecurityGroupExists(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.group(id) != nil
}

// DefaultSubnetIDs returns the ids of the default subnets (one per
// availability zone of the default VPC), in creation order.
func (s *Store) DefaultSubnetIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	for _, sn := range s.subnets {
		if sn.defaultForAz {
			ids = append(ids, sn.id)
		}
	}
	return ids
}

// newID returns a new resource id such as "vpc-0f3c9a1b2d4e5f607":
// deterministic for a region, unique within the Store. Callers hold s.mu.
func (s *Store) newID(prefix string) string {
	s.created++
	sum := sha256.Sum256([]byte(s.opts.Region + "/" + prefix + "/" + strconv.Itoa(s.created)))
	return prefix + "-" + hex.EncodeToString(sum[:])[:17]
}

// vpc, subnet and group look resources up by id. Callers hold s.mu.
func (s *Store) vpc(id string) *vpc {
	for _, v := range s.vpcs {
		if v.id == id {
			return v
		}
	}
	return nil
}

func (s *Store) subnet(id string) *subnet {
	for _, sn := range s.subnets {
		if sn.id == id {
			return sn
		}
	}
	return nil
}

func (s *Store) group(id string) *securityGroup {
	for _, g := range s.groups {
		if g.id == id {
			return g
		}
	}
	return nil
}

// defaultVPC returns the default VPC, or nil. Callers hold s.mu.
func (s *Store) defaultVPC() *vpc {
	for _, v := range s.vpcs {
		if v.isDefault {
			return v
		}
	}
	return nil
}

func mustPrefix(cidr string) netip.Prefix {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		panic(fmt.Sprintf("ec2query: invalid IPv4 CIDR block %q", cidr))
	}
	return p
}
