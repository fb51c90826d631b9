package secrets

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Parameter Store's limits, types and tiers.
const (
	maxParamNameLen      = 2048
	maxParamLevels       = 15
	maxStandardValue     = 4096
	maxAdvancedValue     = 8192
	maxGetParameters     = 10
	maxParametersPerPage = 10
	maxParamDescription  = 1024

	typeString       = "String"
	typeStringList   = "StringList"
	typeSecureString = "SecureString"

	tierStandard     = "Standard"
	tierAdvanced     = "Advanced"
	tierIntelligent  = "Intelligent-Tiering"
	defaultKMSKeyID  = "alias/aws/ssm"
	defaultDataType  = "text"
	cipherTextLength = 128 // bytes of the opaque stand-in for KMS ciphertext
)

// parameter is an SSM parameter and every version it had.
type parameter struct {
	name     string
	tags     []tag
	versions []*paramVersion // versions[i] is version i+1
}

func (p *parameter) latest() *paramVersion { return p.versions[len(p.versions)-1] }

// paramVersion is one version of a parameter. A SecureString's value is
// kept in plaintext; without WithDecryption it is answered with cipher, an
// opaque random base64 text standing in for the KMS ciphertext.
type paramVersion struct {
	version                  int64
	typ, value, cipher       string
	keyID, description, tier string
	dataType, allowedPattern string
	modified                 time.Time
}

// The requests, decoded case-insensitively, and the responses, with the
// member names of the SSM model.
type (
	putParameterInput struct {
		Name           *string         `json:"Name"`
		Description    *string         `json:"Description"`
		Value          *string         `json:"Value"`
		Type           string          `json:"Type"`
		KeyID          *string         `json:"KeyId"`
		Overwrite      *bool           `json:"Overwrite"`
		AllowedPattern *string         `json:"AllowedPattern"`
		Tags           []tag           `json:"Tags"`
		Tier           string          `json:"Tier"`
		DataType       *string         `json:"DataType"`
		Policies       json.RawMessage `json:"Policies"`
	}
	putParameterOutput struct {
		Version int64  `json:"Version"`
		Tier    string `json:"Tier"`
	}
	parameterOutput struct {
		Name             string    `json:"Name"`
		Type             string    `json:"Type"`
		Value            string    `json:"Value"`
		Version          int64     `json:"Version"`
		Selector         string    `json:"Selector"`
		LastModifiedDate time.Time `json:"LastModifiedDate"`
		ARN              string    `json:"ARN"`
		DataType         string    `json:"DataType"`
	}
	getParameterInput struct {
		Name           *string `json:"Name"`
		WithDecryption *bool   `json:"WithDecryption"`
	}
	getParameterOutput struct {
		Parameter parameterOutput `json:"Parameter"`
	}
	getParametersInput struct {
		Names          []string `json:"Names"`
		WithDecryption *bool    `json:"WithDecryption"`
	}
	getParametersOutput struct {
		Parameters        []parameterOutput `json:"Parameters"`
		InvalidParameters []string          `json:"InvalidParameters"`
	}
	getParametersByPathInput struct {
		Path             *string           `json:"Path"`
		Recursive        *bool             `json:"Recursive"`
		ParameterFilters []json.RawMessage `json:"ParameterFilters"`
		WithDecryption   *bool             `json:"WithDecryption"`
		MaxResults       *int32            `json:"MaxResults"`
		NextToken        *string           `json:"NextToken"`
	}
	getParametersByPathOutput struct {
		Parameters []parameterOutput `json:"Parameters"`
		NextToken  *string           `json:"NextToken"`
	}
	deleteParameterInput struct {
		Name *string `json:"Name"`
	}
	deleteParameterOutput struct{}
)

// DispatchSSM answers one SSM Parameter Store operation; it is an
// awsproto.Dispatcher for the target prefix SSMTargetPrefix.
func (s *Store) DispatchSSM(op string, body []byte) (any, error) {
	switch op {
	case "PutParameter":
		return call(body, s.putParameter)
	case "GetParameter":
		return call(body, s.getParameter)
	case "GetParameters":
		return call(body, s.getParameters)
	case "GetParametersByPath":
		return call(body, s.getParametersByPath)
	case "DeleteParameter":
		return call(body, s.deleteParameter)
	}
	return nil, unknownOperation("SSM", op)
}

func ssmValidation(format string, args ...any) error {
	return errorf("ValidationException", format, args...)
}

func paramNotFound(name string) error {
	return errorf("ParameterNotFound", "Parameter %s not found.", name)
}

// validateParamName checks a parameter name as Parameter Store does.
func validateParamName(name string) error {
	switch {
	case name == "" || len(name) > maxParamNameLen:
		return ssmValidation("Parameter name must be 1 to %d characters long; got %d.", maxParamNameLen, len(name))
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return ssmValidation("Parameter name must be a fully qualified name: a name with a hierarchy (%s) must begin with a forward slash (/).", name)
	case strings.Contains(name, "//") || strings.HasSuffix(name, "/"):
		return ssmValidation("Parameter name %s has an empty hierarchy level.", name)
	case strings.Count(name, "/") > maxParamLevels:
		return errorf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels: %s has %d.", maxParamLevels, name, strings.Count(name, "/"))
	}
	first := strings.ToLower(strings.TrimPrefix(name, "/"))
	if strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return ssmValidation(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive): %s.`, name)
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_.-/", r):
		default:
			return ssmValidation("Parameter name %q is invalid: only a-zA-Z0-9_.- and / for hierarchies are allowed.", name)
		}
	}
	return nil
}

func (s *Store) paramARN(name string) string {
	return "arn:aws:ssm:" + s.opts.Region + ":" + s.opts.AccountID + ":parameter/" + strings.TrimPrefix(name, "/")
}

// paramRef parses what GetParameter(s) take: a name or a parameter ARN,
// optionally followed by ":selector" (a version). names are the names it
// may denote: an ARN's "parameter/x" is "x" or "/x".
func (s *Store) paramRef(ref string) (names []string, selector string, ok bool) {
	if !strings.HasPrefix(ref, "arn:") {
		name, sel, _ := strings.Cut(ref, ":")
		return []string{name}, sel, true
	}
	service, region, account, resource, ok := arnParts(ref)
	rest, isParam := strings.CutPrefix(resource, "parameter/")
	if !ok || service != "ssm" || !isParam || !s.local(region, account) {
		return nil, "", false
	}
	name, sel, _ := strings.Cut(rest, ":")
	if strings.Contains(name, "/") {
		return []string{"/" + name}, sel, true
	}
	return []string{name, "/" + name}, sel, true
}

// lookupLocked finds the parameter version a reference names.
func (s *Store) lookupLocked(ref string) (*parameter, *paramVersion, string, error) {
	names, sel, ok := s.paramRef(ref)
	if !ok {
		return nil, nil, "", paramNotFound(ref)
	}
	var p *parameter
	for _, n := range names {
		if p = s.params[n]; p != nil {
			break
		}
	}
	if p == nil {
		return nil, nil, "", paramNotFound(ref)
	}
	if sel == "" {
		return p, p.latest(), "", nil
	}
	n, err := strconv.ParseInt(sel, 10, 64)
	if err != nil {
		return nil, nil, "", errorf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s: ecslocal supports version numbers as selectors, not labels.", sel, p.name)
	}
	if n < 1 || n > int64(len(p.versions)) {
		return nil, nil, "", errorf("ParameterVersionNotFound", "Systems Manager could not find version %d of %s. Verify the version and try again.", n, p.name)
	}
	return p, p.versions[n-1], ":" + sel, nil
}

func (s *Store) output(p *parameter, v *paramVersion, selector string, decrypt bool) parameterOutput {
	value := v.value
	if v.typ == typeSecureString && !decrypt {
		value = v.cipher
	}
	return parameterOutput{
		Name: p.name, Type: v.typ, Value: value, Version: v.version, Selector: selector,
		LastModifiedDate: v.modified, ARN: s.paramARN(p.name), DataType: v.dataType,
	}
}

// tierFor returns the tier a value needs, or an error if it does not fit
// the tier asked for.
func tierFor(asked string, size int) (string, error) {
	switch asked {
	case "", tierStandard:
		if size > maxStandardValue {
			return "", ssmValidation("Standard tier parameters support a maximum parameter value of %d characters; this one has %d. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.", maxStandardValue, size)
		}
		return tierStandard, nil
	case tierAdvanced, tierIntelligent:
		if size > maxAdvancedValue {
			return "", sizeError("ValidationException", "Value", size, maxAdvancedValue)
		}
		if asked == tierIntelligent && size <= maxStandardValue {
			return tierStandard, nil
		}
		return tierAdvanced, nil
	}
	return "", ssmValidation("Tier %q is not one of Standard, Advanced, Intelligent-Tiering.", asked)
}

func (s *Store) putParameter(in *putParameterInput) (*putParameterOutput, error) {
	name := str(in.Name)
	if err := validateParamName(name); err != nil {
		return nil, err
	}
	if in.Value == nil {
		return nil, ssmValidation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must not be null")
	}
	if in.Type != "" && !slices.Contains([]string{typeString, typeStringList, typeSecureString}, in.Type) {
		return nil, ssmValidation("Type %q is not one of String, StringList, SecureString.", in.Type)
	}
	if len(str(in.Description)) > maxParamDescription {
		return nil, sizeError("ValidationException", "Description", len(str(in.Description)), maxParamDescription)
	}
	overwrite := in.Overwrite != nil && *in.Overwrite
	if overwrite && len(in.Tags) > 0 {
		return nil, ssmValidation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag.")
	}
	tier, err := tierFor(in.Tier, len(*in.Value))
	if err != nil {
		return nil, err
	}
	if pat := str(in.AllowedPattern); pat != "" {
		re, err := regexp.Compile("^(?:" + pat + ")$")
		if err != nil {
			return nil, ssmValidation("AllowedPattern %s is not a valid regular expression.", pat)
		}
		if !re.MatchString(*in.Value) {
			return nil, ssmValidation("Parameter value, cannot be validated against allowedPattern: %s", pat)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	if p != nil && !overwrite {
		return nil, errorf("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	v := &paramVersion{
		typ: in.Type, value: *in.Value, tier: tier,
		description: str(in.Description), allowedPattern: str(in.AllowedPattern),
		dataType: defaultDataType, modified: s.now(),
	}
	if in.DataType != nil {
		v.dataType = *in.DataType
	}
	if p != nil {
		prev := p.latest()
		if v.typ == "" {
			v.typ = prev.typ
		}
		if in.Description == nil {
			v.description = prev.description
		}
		if in.AllowedPattern == nil {
			v.allowedPattern = prev.allowedPattern
		}
	} else if v.typ == "" {
		return nil, ssmValidation("A parameter type is required when you create a parameter.")
	}
	if in.KeyID != nil && v.typ != typeSecureString {
		return nil, ssmValidation("KeyId is only valid for SecureString parameters; %s is a %s.", name, v.typ)
	}
	if v.typ == typeSecureString {
		v.keyID = defaultKMSKeyID
		if in.KeyID != nil {
			v.keyID = *in.KeyID
		}
		v.cipher = base64.StdEncoding.EncodeToString(randomBytes(cipherTextLength))
	}
	if p == nil {
		p = &parameter{name: name, tags: slices.Clone(in.Tags)}
		s.params[name] = p
	}
	v.version = int64(len(p.versions) + 1)
	p.versions = append(p.versions, v)
	return &putParameterOutput{Version: v.version, Tier: tier}, nil
}

func (s *Store) getParameter(in *getParameterInput) (*getParameterOutput, error) {
	if str(in.Name) == "" {
		return nil, ssmValidation("Name is required: give a parameter name or ARN.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, v, sel, err := s.lookupLocked(*in.Name)
	if err != nil {
		return nil, err
	}
	return &getParameterOutput{Parameter: s.output(p, v, sel, in.WithDecryption != nil && *in.WithDecryption)}, nil
}

func (s *Store) getParameters(in *getParametersInput) (*getParametersOutput, error) {
	if len(in.Names) == 0 || len(in.Names) > maxGetParameters {
		return nil, ssmValidation("GetParameters takes 1 to %d names; got %d.", maxGetParameters, len(in.Names))
	}
	decrypt := in.WithDecryption != nil && *in.WithDecryption
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &getParametersOutput{Parameters: []parameterOutput{}, InvalidParameters: []string{}}
	for _, ref := range in.Names {
		p, v, sel, err := s.lookupLocked(ref)
		if err != nil {
			out.InvalidParameters = append(out.InvalidParameters, ref)
			continue
		}
		out.Parameters = append(out.Parameters, s.output(p, v, sel, decrypt))
	}
	return out, nil
}

func (s *Store) getParametersByPath(in *getParametersByPathInput) (*getParametersByPathOutput, error) {
	path := str(in.Path)
	if !strings.HasPrefix(path, "/") {
		return nil, ssmValidation("The parameter doesn't meet the parameter name requirements. The path %q must begin with a forward slash (/).", path)
	}
	if len(in.ParameterFilters) > 0 {
		return nil, ssmValidation("ecslocal does not implement ParameterFilters of GetParametersByPath.")
	}
	limit := maxParametersPerPage
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxParametersPerPage {
			return nil, ssmValidation("MaxResults must be between 1 and %d; got %d.", maxParametersPerPage, *in.MaxResults)
		}
		limit = int(*in.MaxResults)
	}
	after := ""
	if tok := str(in.NextToken); tok != "" {
		var ok bool
		if after, ok = decodeToken("p", tok); !ok {
			return nil, errorf("InvalidNextToken", "The NextToken %q is invalid: pass back the NextToken of the previous page unchanged.", tok)
		}
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	recursive := in.Recursive != nil && *in.Recursive
	decrypt := in.WithDecryption != nil && *in.WithDecryption

	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name := range s.params {
		rest, ok := strings.CutPrefix(name, prefix)
		if ok && (recursive || !strings.Contains(rest, "/")) && name > after {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := &getParametersByPathOutput{Parameters: []parameterOutput{}}
	for i, name := range names {
		if i == limit {
			out.NextToken = encodeToken("p", names[i-1])
			break
		}
		p := s.params[name]
		out.Parameters = append(out.Parameters, s.output(p, p.latest(), "", decrypt))
	}
	return out, nil
}

func (s *Store) deleteParameter(in *deleteParameterInput) (*deleteParameterOutput, error) {
	ref := str(in.Name)
	if ref == "" {
		return nil, ssmValidation("Name is required: give a parameter name.")
	}
	names, sel, ok := s.paramRef(ref)
	if !ok || sel != "" {
		return nil, paramNotFound(ref)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		if s.params[n] != nil {
			delete(s.params, n)
			return &deleteParameterOutput{}, nil
		}
	}
	return nil, paramNotFound(ref)
}
