package job

import (
	"fmt"
	"slices"
	"strings"
)

// NetworkError is a network configuration that cannot be inferred or
// checked against the VPC: no default VPC, a VPC without subnets, or custom
// subnets outside the VPC. It is a configuration problem retrying cannot fix.
type NetworkError struct {
	// VpcID is the VPC concerned; empty for the default VPC.
	VpcID string
	// Subnets are the configured subnets, when they are the problem.
	Subnets []string
	// Message says what is wrong and what to do.
	Message string
}

// Error returns the message.
func (e *NetworkError) Error() string { return e.Message }

// NoDefaultVPCError is the error for a job that relies on the default VPC
// (no vpcId) in a region without one.
func NoDefaultVPCError() error {
	return &NetworkError{Message: "no default VPC found, so the network configuration cannot be inferred: pass vpcId or configure a default VPC"}
}

// VPCNotFoundError is the error for a vpcId that names no VPC of the region.
func VPCNotFoundError(vpcID string) error {
	return &NetworkError{VpcID: vpcID, Message: fmt.Sprintf("VPC %s not found, so the network configuration cannot be inferred: check that the VPC exists in the job's region", vpcID)}
}

// NeedsNetwork tells whether the RunTask request needs a network
// configuration from the worker, given the task definition's network mode.
// Only awsvpc needs one. A custom networkConfiguration (returned as custom,
// to check with CustomNetwork against vpcID's subnets) wins over one in the
// base taskRunRequest; without either, the subnets of vpcID (empty: the
// default VPC) are to be inferred with InferredNetwork.
func (p *Prepared) NeedsNetwork(networkMode string) (needed bool, vpcID string, custom *Network) {
	if networkMode != "awsvpc" {
		return false, "", nil
	}
	if p.Network != nil {
		return true, p.VpcID, p.Network
	}
	if _, ok := p.RunRequest["networkConfiguration"]; ok {
		return false, "", nil
	}
	return true, p.VpcID, nil
}

// InferredNetwork is the RunTask networkConfiguration that uses every subnet
// of the VPC with a public IP (so the task can pull its image without a NAT
// gateway). vpcID names the VPC for the error of a VPC without subnets.
func InferredNetwork(vpcID string, subnetIDs []string) (map[string]any, error) {
	if len(subnetIDs) == 0 {
		return nil, noSubnetsError(vpcID)
	}
	return map[string]any{"awsvpcConfiguration": map[string]any{
		"subnets":        stringsToAny(subnetIDs),
		"assignPublicIp": "ENABLED",
	}}, nil
}

// CustomNetwork is the RunTask networkConfiguration of the job's custom
// network, after checking that every configured subnet is one of the VPC's
// (vpcSubnetIDs). The error lists every configured subnet and the VPC.
func CustomNetwork(vpcID string, vpcSubnetIDs []string, n Network) (map[string]any, error) {
	if len(vpcSubnetIDs) == 0 {
		return nil, noSubnetsError(vpcID)
	}
	for _, s := range n.Subnets {
		if !slices.Contains(vpcSubnetIDs, s) {
			return nil, &NetworkError{VpcID: vpcID, Subnets: slices.Clone(n.Subnets), Message: fmt.Sprintf(
				"subnets %s are not all in VPC %s: check that the configured subnets belong to that VPC (networkConfiguration.subnets, vpcId)",
				strings.Join(n.Subnets, ", "), vpcID)}
		}
	}
	return networkBody(n), nil
}

// networkBody is the awsvpcConfiguration of a custom network.
func networkBody(n Network) map[string]any {
	cfg := map[string]any{"subnets": stringsToAny(n.Subnets)}
	if len(n.SecurityGroups) > 0 {
		cfg["securityGroups"] = stringsToAny(n.SecurityGroups)
	}
	if n.AssignPublicIp != "" {
		cfg["assignPublicIp"] = n.AssignPublicIp
	}
	return map[string]any{"awsvpcConfiguration": cfg}
}

func noSubnetsError(vpcID string) error {
	vpc := "the default VPC"
	if vpcID != "" {
		vpc = "VPC " + vpcID
	}
	return &NetworkError{VpcID: vpcID, Message: fmt.Sprintf("no subnets found in %s, so the network configuration cannot be inferred: add a subnet to the VPC, or set networkConfiguration", vpc)}
}
