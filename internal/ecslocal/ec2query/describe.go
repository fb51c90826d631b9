package ec2query

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func (s *Store) describeVpcs(form url.Values) (result, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	vpcs, err := byIDs(s.vpcs, list(form, "VpcId"), "vpc", "InvalidVpcID", "vpc",
		func(v *vpc) string { return v.id })
	if err != nil {
		return nil, err
	}
	vpcs, err = matchFilters(vpcs, filters(form), func(v *vpc) attributes {
		return func(name string) ([]string, bool) {
			switch name {
			case "isDefault", "is-default":
				return []string{strconv.FormatBool(v.isDefault)}, true
			case "vpc-id":
				return []string{v.id}, true
			case "state":
				return []string{"available"}, true
			case "cidr", "cidr-block-association.cidr-block":
				return []string{v.cidr}, true
			case "cidr-block-association.association-id":
				return []string{v.cidrAssociationID}, true
			case "cidr-block-association.state":
				return []string{"associated"}, true
			case "dhcp-options-id":
				return []string{v.dhcpOptionsID}, true
			case "owner-id":
				return []string{s.opts.AccountID}, true
			}
			return nil, strings.HasPrefix(name, "tag")
		}
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(vpcs, form, func(v *vpc) string { return v.id })
	if err != nil {
		return nil, err
	}
	out := &describeVpcsResponse{NextToken: next}
	for _, v := range page {
		out.Vpcs.Items = append(out.Vpcs.Items, vpcShape{
			VpcID: v.id, OwnerID: s.opts.AccountID, State: "available", CidrBlock: v.cidr,
			CidrAssociation: items[cidrAssociationShape]{Items: []cidrAssociationShape{{
				AssociationID: v.cidrAssociationID, CidrBlock: v.cidr, State: stateShape{State: "associated"},
			}}},
			DhcpOptionsID: v.dhcpOptionsID, InstanceTenancy: "default", IsDefault: v.isDefault,
		})
	}
	return out, nil
}

func (s *Store) describeSubnets(form url.Values) (result, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	subnets, err := byIDs(s.subnets, list(form, "SubnetId"), "subnet", "InvalidSubnetID", "subnet",
		func(sn *subnet) string { return sn.id })
	if err != nil {
		return nil, err
	}
	subnets, err = matchFilters(subnets, filters(form), func(sn *subnet) attributes {
		return func(name string) ([]string, bool) {
			switch name {
			case "vpc-id":
				return []string{sn.vpcID}, true
			case "subnet-id":
				return []string{sn.id}, true
			case "subnet-arn":
				return []string{s.subnetARN(sn.id)}, true
			case "default-for-az", "defaultForAz":
				return []string{strconv.FormatBool(sn.defaultForAz)}, true
			case "map-public-ip-on-launch":
				return []string{strconv.FormatBool(sn.mapPublicIPOnLaunch)}, true
			case "availability-zone", "availabilityZone":
				return []string{sn.az}, true
			case "cidr-block", "cidrBlock", "cidr":
				return []string{sn.cidr}, true
			case "available-ip-address-count":
				return []string{strconv.Itoa(sn.availableIPs)}, true
			case "state":
				return []string{"available"}, true
			case "owner-id":
				return []string{s.opts.AccountID}, true
			}
			return nil, strings.HasPrefix(name, "tag")
		}
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(subnets, form, func(sn *subnet) string { return sn.id })
	if err != nil {
		return nil, err
	}
	out := &describeSubnetsResponse{NextToken: next}
	for _, sn := range page {
		out.Subnets.Items = append(out.Subnets.Items, subnetShape{
			SubnetID: sn.id, SubnetArn: s.subnetARN(sn.id), State: "available", OwnerID: s.opts.AccountID,
			VpcID: sn.vpcID, CidrBlock: sn.cidr, AvailableIPAddressCount: sn.availableIPs,
			AvailabilityZone: sn.az, DefaultForAz: sn.defaultForAz, MapPublicIPOnLaunch: sn.mapPublicIPOnLaunch,
		})
	}
	return out, nil
}

func (s *Store) describeSecurityGroups(form url.Values) (result, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := list(form, "GroupId")
	if names := list(form, "GroupName"); len(names) > 0 {
		// Group names are looked up in the default VPC, as EC2 does.
		def := s.defaultVPC()
		if def == nil {
			return nil, clientError("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
		}
		for _, name := range names {
			i := slices.IndexFunc(s.groups, func(g *securityGroup) bool { return g.vpcID == def.id && g.name == name })
			if i < 0 {
				return nil, clientError("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name, def.id)
			}
			ids = append(ids, s.groups[i].id)
		}
	}
	groups, err := byIDs(s.groups, ids, "sg", "InvalidGroupId", "security group",
		func(g *securityGroup) string { return g.id })
	if err != nil {
		return nil, err
	}
	groups, err = matchFilters(groups, filters(form), func(g *securityGroup) attributes {
		return func(name string) ([]string, bool) {
			switch name {
			case "vpc-id":
				return []string{g.vpcID}, true
			case "group-name":
				return []string{g.name}, true
			case "group-id":
				return []string{g.id}, true
			case "description":
				return []string{g.description}, true
			case "owner-id":
				return []string{s.opts.AccountID}, true
			}
			return nil, strings.HasPrefix(name, "tag")
		}
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(groups, form, func(g *securityGroup) string { return g.id })
	if err != nil {
		return nil, err
	}
	out := &describeSecurityGroupsResponse{NextToken: next}
	for _, g := range page {
		sg := securityGroupShape{
			OwnerID: s.opts.AccountID, GroupID: g.id, GroupName: g.name, GroupDescription: g.description,
			VpcID: g.vpcID, SecurityGroupArn: s.arn("security-group/" + g.id),
			// Like EC2's groups: everything may leave; the default group
			// also admits traffic from its own members.
			EgressRules: items[ipPermissionShape]{Items: []ipPermissionShape{{
				IPProtocol: "-1", IPRanges: items[ipRangeShape]{Items: []ipRangeShape{{CidrIP: "0.0.0.0/0"}}},
			}}},
		}
		if g.name == "default" {
			sg.IngressRules.Items = []ipPermissionShape{{
				IPProtocol: "-1", Groups: items[groupPairShape]{Items: []groupPairShape{{UserID: s.opts.AccountID, GroupID: g.id}}},
			}}
		}
		out.SecurityGroups.Items = append(out.SecurityGroups.Items, sg)
	}
	return out, nil
}

// byIDs returns the resources with the given ids (all of them when ids is
// empty), in creation order. A malformed id is <codePrefix>.Malformed, an
// unknown one <codePrefix>.NotFound (InvalidGroup.NotFound for groups), as
// EC2 answers.
func byIDs[T any](all []T, ids []string, idPrefix, codePrefix, noun string, id func(T) string) ([]T, error) {
	if len(ids) == 0 {
		return all, nil
	}
	for _, want := range ids {
		if !strings.HasPrefix(want, idPrefix+"-") {
			return nil, clientError(codePrefix+".Malformed", "Invalid id: \"%s\" (expecting \"%s-...\")", want, idPrefix)
		}
	}
	var out []T
	for _, it := range all {
		if slices.Contains(ids, id(it)) {
			out = append(out, it)
		}
	}
	var missing []string
	for _, want := range ids {
		if !slices.ContainsFunc(out, func(it T) bool { return id(it) == want }) && !slices.Contains(missing, want) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		code := codePrefix + ".NotFound"
		if idPrefix == "sg" {
			code = "InvalidGroup.NotFound"
		}
		if len(missing) == 1 {
			return nil, clientError(code, "The %s ID '%s' does not exist", noun, missing[0])
		}
		return nil, clientError(code, "The %s IDs '%s' do not exist", noun, strings.Join(missing, ", "))
	}
	return out, nil
}

// arn returns the ARN of an EC2 resource ("subnet/subnet-...").
func (s *Store) arn(resource string) string {
	return "arn:aws:ec2:" + s.opts.Region + ":" + s.opts.AccountID + ":" + resource
}

func (s *Store) subnetARN(id string) string { return s.arn("subnet/" + id) }
