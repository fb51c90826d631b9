package ec2query

// XML shapes of the responses. Element names are those EC2 uses and
// aws-sdk-go-v2's ec2 deserializers read; lists are wrapped as
// <xxxSet><item>...</item></xxxSet> and always present, even when empty,
// since clients such as botocore expect them.

// items is an EC2 list: its members are <item> elements.
type items[T any] struct {
	Items []T `xml:"item"`
}

type describeVpcsResponse struct {
	responseMeta
	Vpcs      items[vpcShape] `xml:"vpcSet"`
	NextToken string          `xml:"nextToken,omitempty"`
}

type vpcShape struct {
	VpcID           string                      `xml:"vpcId"`
	OwnerID         string                      `xml:"ownerId"`
	State           string                      `xml:"state"`
	CidrBlock       string                      `xml:"cidrBlock"`
	CidrAssociation items[cidrAssociationShape] `xml:"cidrBlockAssociationSet"`
	DhcpOptionsID   string                      `xml:"dhcpOptionsId"`
	InstanceTenancy string                      `xml:"instanceTenancy"`
	IsDefault       bool                        `xml:"isDefault"`
	Tags            items[tagShape]             `xml:"tagSet"`
}

type cidrAssociationShape struct {
	AssociationID string     `xml:"associationId"`
	CidrBlock     string     `xml:"cidrBlock"`
	State         stateShape `xml:"cidrBlockState"`
}

type stateShape struct {
	State string `xml:"state"`
}

type tagShape struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type describeSubnetsResponse struct {
	responseMeta
	Subnets   items[subnetShape] `xml:"subnetSet"`
	NextToken string             `xml:"nextToken,omitempty"`
}

type subnetShape struct {
	SubnetID                    string          `xml:"subnetId"`
	SubnetArn                   string          `xml:"subnetArn"`
	State                       string          `xml:"state"`
	OwnerID                     string          `xml:"ownerId"`
	VpcID                       string          `xml:"vpcId"`
	CidrBlock                   string          `xml:"cidrBlock"`
	AvailableIPAddressCount     int             `xml:"availableIpAddressCount"`
	AvailabilityZone            string          `xml:"availabilityZone"`
	DefaultForAz                bool            `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool            `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation bool            `xml:"assignIpv6AddressOnCreation"`
	Tags                        items[tagShape] `xml:"tagSet"`
}

type describeSecurityGroupsResponse struct {
	responseMeta
	SecurityGroups items[securityGroupShape] `xml:"securityGroupInfo"`
	NextToken      string                    `xml:"nextToken,omitempty"`
}

type securityGroupShape struct {
	OwnerID          string                   `xml:"ownerId"`
	GroupID          string                   `xml:"groupId"`
	GroupName        string                   `xml:"groupName"`
	GroupDescription string                   `xml:"groupDescription"`
	VpcID            string                   `xml:"vpcId"`
	IngressRules     items[ipPermissionShape] `xml:"ipPermissions"`
	EgressRules      items[ipPermissionShape] `xml:"ipPermissionsEgress"`
	SecurityGroupArn string                   `xml:"securityGroupArn"`
	Tags             items[tagShape]          `xml:"tagSet"`
}

type ipPermissionShape struct {
	IPProtocol string                `xml:"ipProtocol"`
	Groups     items[groupPairShape] `xml:"groups"`
	IPRanges   items[ipRangeShape]   `xml:"ipRanges"`
}

type groupPairShape struct {
	UserID  string `xml:"userId"`
	GroupID string `xml:"groupId"`
}

type ipRangeShape struct {
	CidrIP string `xml:"cidrIp"`
}
