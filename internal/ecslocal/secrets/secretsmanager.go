package secrets

import (
	"bytes"
	"slices"
	"strings"
	"time"
)

// Secrets Manager's limits and staging labels.
const (
	maxSecretNameLen    = 512
	maxSecretValueBytes = 65536
	maxDescriptionLen   = 2048
	maxStagesPerVersion = 20
	minRecoveryDays     = 7
	maxRecoveryDays     = 30
	defaultRecoveryDays = 30
	maxListSecrets      = 100
	minRequestTokenLen  = 32
	maxRequestTokenLen  = 64

	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// secret is a Secrets Manager secret. Its versions keep their values; a
// version without staging labels is deprecated, still readable by id.
type secret struct {
	name, arn, description, kmsKeyID string
	tags                             []tag
	created, changed, accessed       time.Time // accessed: zero until read
	// deleted is when DeleteSecret scheduled the deletion (zero: not
	// scheduled), deletion when it takes effect.
	deleted, deletion time.Time
	versions          map[string]*secretVersion
	order             []string // version ids, oldest first
}

// secretVersion is one version of a secret's value: a string or bytes.
type secretVersion struct {
	id      string
	str     *string
	bin     []byte
	created time.Time
	stages  []string
}

func (v *secretVersion) sameValue(str *string, bin []byte) bool {
	if (v.str == nil) != (str == nil) {
		return false
	}
	return (v.str == nil || *v.str == *str) && bytes.Equal(v.bin, bin)
}

// tag is a Secrets Manager or SSM tag, as both spell it on the wire.
type tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// The requests, decoded case-insensitively, and the responses, with the
// member names of the Secrets Manager model.
type (
	createSecretInput struct {
		Name               *string `json:"Name"`
		ClientRequestToken *string `json:"ClientRequestToken"`
		Description        *string `json:"Description"`
		KmsKeyID           *string `json:"KmsKeyId"`
		SecretBinary       []byte  `json:"SecretBinary"`
		SecretString       *string `json:"SecretString"`
		Tags               []tag   `json:"Tags"`
	}
	createSecretOutput struct {
		ARN       string  `json:"ARN"`
		Name      string  `json:"Name"`
		VersionID *string `json:"VersionId"`
	}
	putSecretValueInput struct {
		SecretID           *string  `json:"SecretId"`
		ClientRequestToken *string  `json:"ClientRequestToken"`
		SecretBinary       []byte   `json:"SecretBinary"`
		SecretString       *string  `json:"SecretString"`
		VersionStages      []string `json:"VersionStages"`
	}
	putSecretValueOutput struct {
		ARN           string   `json:"ARN"`
		Name          string   `json:"Name"`
		VersionID     string   `json:"VersionId"`
		VersionStages []string `json:"VersionStages"`
	}
	getSecretValueInput struct {
		SecretID     *string `json:"SecretId"`
		VersionID    *string `json:"VersionId"`
		VersionStage *string `json:"VersionStage"`
	}
	getSecretValueOutput struct {
		ARN           string    `json:"ARN"`
		Name          string    `json:"Name"`
		VersionID     string    `json:"VersionId"`
		SecretString  *string   `json:"SecretString"`
		SecretBinary  []byte    `json:"SecretBinary"`
		VersionStages []string  `json:"VersionStages"`
		CreatedDate   time.Time `json:"CreatedDate"`
	}
	secretIDInput struct {
		SecretID *string `json:"SecretId"`
	}
	describeSecretOutput struct {
		ARN                string              `json:"ARN"`
		Name               string              `json:"Name"`
		Description        string              `json:"Description"`
		KmsKeyID           string              `json:"KmsKeyId"`
		CreatedDate        time.Time           `json:"CreatedDate"`
		LastChangedDate    time.Time           `json:"LastChangedDate"`
		LastAccessedDate   time.Time           `json:"LastAccessedDate"`
		DeletedDate        time.Time           `json:"DeletedDate"`
		Tags               []tag               `json:"Tags"`
		VersionIDsToStages map[string][]string `json:"VersionIdsToStages"`
	}
	deleteSecretInput struct {
		SecretID                   *string `json:"SecretId"`
		RecoveryWindowInDays       *int64  `json:"RecoveryWindowInDays"`
		ForceDeleteWithoutRecovery *bool   `json:"ForceDeleteWithoutRecovery"`
	}
	deleteSecretOutput struct {
		ARN          string    `json:"ARN"`
		Name         string    `json:"Name"`
		DeletionDate time.Time `json:"DeletionDate"`
	}
	secretsFilter struct {
		Key    string   `json:"Key"`
		Values []string `json:"Values"`
	}
	listSecretsInput struct {
		MaxResults             *int32          `json:"MaxResults"`
		NextToken              *string         `json:"NextToken"`
		Filters                []secretsFilter `json:"Filters"`
		IncludePlannedDeletion *bool           `json:"IncludePlannedDeletion"`
		SortOrder              string          `json:"SortOrder"`
		SortBy                 string          `json:"SortBy"`
	}
	secretListEntry struct {
		ARN                    string              `json:"ARN"`
		Name                   string              `json:"Name"`
		Description            string              `json:"Description"`
		KmsKeyID               string              `json:"KmsKeyId"`
		CreatedDate            time.Time           `json:"CreatedDate"`
		LastChangedDate        time.Time           `json:"LastChangedDate"`
		LastAccessedDate       time.Time           `json:"LastAccessedDate"`
		DeletedDate            time.Time           `json:"DeletedDate"`
		Tags                   []tag               `json:"Tags"`
		SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages"`
	}
	listSecretsOutput struct {
		SecretList []secretListEntry `json:"SecretList"`
		NextToken  *string           `json:"NextToken"`
	}
)

// DispatchSecretsManager answers one Secrets Manager operation; it is an
// awsproto.Dispatcher for the target prefix SecretsManagerTargetPrefix.
func (s *Store) DispatchSecretsManager(op string, body []byte) (any, error) {
	switch op {
	case "CreateSecret":
		return call(body, s.createSecret)
	case "PutSecretValue":
		return call(body, s.putSecretValue)
	case "GetSecretValue":
		return call(body, s.getSecretValue)
	case "DescribeSecret":
		return call(body, s.describeSecret)
	case "DeleteSecret":
		return call(body, s.deleteSecret)
	case "ListSecrets":
		return call(body, s.listSecrets)
	}
	return nil, unknownOperation("Secrets Manager", op)
}

func smNotFound() error {
	return errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func smMarkedForDeletion() error {
	return errorf("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
}

func smInvalidParam(format string, args ...any) error {
	return errorf("InvalidParameterException", format, args...)
}

// validateSecretName checks a name as Secrets Manager does: 1 to 512 ASCII
// letters, digits and /_+=.@-.
func validateSecretName(name string) error {
	if name == "" || len(name) > maxSecretNameLen {
		return smInvalidParam("Invalid name. The name must be 1 to %d characters long; got %d.", maxSecretNameLen, len(name))
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("/_+=.@-", r):
		default:
			return smInvalidParam("Invalid name %q. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@", name)
		}
	}
	return nil
}

// checkValue checks a request's SecretString and SecretBinary: at most one
// (exactly one when required), within the size limit.
func checkValue(str *string, bin []byte, required bool) error {
	switch {
	case str != nil && bin != nil:
		return smInvalidParam("You can't specify both a binary secret value and a string secret value in the same secret.")
	case required && str == nil && bin == nil:
		return smInvalidParam("You must provide either SecretString or SecretBinary.")
	case str != nil && len(*str) > maxSecretValueBytes:
		return sizeError("InvalidParameterException", "SecretString", len(*str), maxSecretValueBytes)
	case len(bin) > maxSecretValueBytes:
		return sizeError("InvalidParameterException", "SecretBinary", len(bin), maxSecretValueBytes)
	}
	return nil
}

// versionID is the id of a new version: the request's token or a UUID.
func versionID(token *string) (string, error) {
	if token == nil {
		return uuid(), nil
	}
	if n := len(*token); n < minRequestTokenLen || n > maxRequestTokenLen {
		return "", smInvalidParam("ClientRequestToken must be %d to %d characters long; got %d.", minRequestTokenLen, maxRequestTokenLen, n)
	}
	return *token, nil
}

func (s *Store) secretARN(name string) string {
	const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return "arn:aws:secretsmanager:" + s.opts.Region + ":" + s.opts.AccountID + ":secret:" + name + "-" + randomString(suffixAlphabet, 6)
}

// findSecretLocked resolves a SecretId: a name, a full ARN, or a partial
// ARN (without the random suffix). Deleted secrets are found too.
func (s *Store) findSecretLocked(id string) *secret {
	if !strings.HasPrefix(id, "arn:") {
		return s.secrets[id]
	}
	service, region, account, resource, ok := arnParts(id)
	name, isSecret := strings.CutPrefix(resource, "secret:")
	if !ok || service != "secretsmanager" || !isSecret || !s.local(region, account) {
		return nil
	}
	for _, sec := range s.secrets {
		if sec.arn == id {
			return sec
		}
	}
	return s.secrets[name]
}

// liveSecretLocked resolves a SecretId of a secret not marked for deletion.
func (s *Store) liveSecretLocked(id *string) (*secret, error) {
	if str(id) == "" {
		return nil, smInvalidParam("SecretId is required: give the secret's name or ARN.")
	}
	sec := s.findSecretLocked(*id)
	switch {
	case sec == nil:
		return nil, smNotFound()
	case !sec.deleted.IsZero():
		return nil, smMarkedForDeletion()
	}
	return sec, nil
}

// addVersionLocked adds a version holding the given stages: each stage
// moves from the version that had it, and the version that loses
// AWSCURRENT gets AWSPREVIOUS (unless the new version takes that too).
func (sec *secret) addVersionLocked(id string, value *string, bin []byte, stages []string, now time.Time) *secretVersion {
	v := &secretVersion{id: id, bin: slices.Clone(bin), created: now}
	if value != nil {
		v.str = ptr(*value)
	}
	var wasCurrent *secretVersion
	for _, stage := range stages {
		for _, old := range sec.versions {
			if slices.Contains(old.stages, stage) {
				old.stages = slices.DeleteFunc(old.stages, func(st string) bool { return st == stage })
				if stage == stageCurrent {
					wasCurrent = old
				}
			}
		}
		if !slices.Contains(v.stages, stage) {
			v.stages = append(v.stages, stage)
		}
	}
	if wasCurrent != nil && !slices.Contains(stages, stagePrevious) {
		for _, old := range sec.versions {
			old.stages = slices.DeleteFunc(old.stages, func(st string) bool { return st == stagePrevious })
		}
		wasCurrent.stages = append(wasCurrent.stages, stagePrevious)
	}
	sec.versions[id] = v
	sec.order = append(sec.order, id)
	sec.changed = now
	return v
}

func (s *Store) createSecret(in *createSecretInput) (*createSecretOutput, error) {
	name := str(in.Name)
	if err := validateSecretName(name); err != nil {
		return nil, err
	}
	if err := checkValue(in.SecretString, in.SecretBinary, false); err != nil {
		return nil, err
	}
	if len(str(in.Description)) > maxDescriptionLen {
		return nil, sizeError("InvalidParameterException", "Description", len(str(in.Description)), maxDescriptionLen)
	}
	id, err := versionID(in.ClientRequestToken)
	if err != nil {
		return nil, err
	}
	hasValue := in.SecretString != nil || in.SecretBinary != nil
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[name]; sec != nil {
		if !sec.deleted.IsZero() {
			return nil, errorf("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		// A retried request with the same token and value gets the
		// same answer, as Secrets Manager's idempotency promises.
		if v := sec.versions[id]; in.ClientRequestToken != nil && v != nil && v.sameValue(in.SecretString, in.SecretBinary) {
			return &createSecretOutput{ARN: sec.arn, Name: sec.name, VersionID: ptr(id)}, nil
		}
		return nil, errorf("ResourceExistsException", "The operation failed because the secret %s already exists.", name)
	}
	now := s.now()
	sec := &secret{
		name:        name,
		arn:         s.secretARN(name),
		description: str(in.Description),
		kmsKeyID:    str(in.KmsKeyID),
		tags:        slices.Clone(in.Tags),
		created:     now,
		changed:     now,
		versions:    map[string]*secretVersion{},
	}
	s.secrets[name] = sec
	out := &createSecretOutput{ARN: sec.arn, Name: name}
	if hasValue {
		sec.addVersionLocked(id, in.SecretString, in.SecretBinary, []string{stageCurrent}, now)
		out.VersionID = ptr(id)
	}
	return out, nil
}

func (s *Store) putSecretValue(in *putSecretValueInput) (*putSecretValueOutput, error) {
	if err := checkValue(in.SecretString, in.SecretBinary, true); err != nil {
		return nil, err
	}
	id, err := versionID(in.ClientRequestToken)
	if err != nil {
		return nil, err
	}
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	if len(stages) > maxStagesPerVersion {
		return nil, smInvalidParam("VersionStages has %d labels; a version can have at most %d.", len(stages), maxStagesPerVersion)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.liveSecretLocked(in.SecretID)
	if err != nil {
		return nil, err
	}
	if v := sec.versions[id]; v != nil {
		if v.sameValue(in.SecretString, in.SecretBinary) {
			return &putSecretValueOutput{ARN: sec.arn, Name: sec.name, VersionID: id, VersionStages: slices.Clone(v.stages)}, nil
		}
		return nil, errorf("ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
	}
	v := sec.addVersionLocked(id, in.SecretString, in.SecretBinary, stages, s.now())
	return &putSecretValueOutput{ARN: sec.arn, Name: sec.name, VersionID: id, VersionStages: slices.Clone(v.stages)}, nil
}

// versionLocked picks a version by id and/or staging label (AWSCURRENT
// when neither is given).
func (sec *secret) versionLocked(id, stage string) (*secretVersion, error) {
	if id != "" {
		v := sec.versions[id]
		if v == nil {
			return nil, errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", id)
		}
		if stage != "" && !slices.Contains(v.stages, stage) {
			return nil, smInvalidParam("You provided a VersionStage (%s) that is not associated to the provided VersionId (%s).", stage, id)
		}
		return v, nil
	}
	if stage == "" {
		stage = stageCurrent
	}
	for _, vid := range sec.order {
		if v := sec.versions[vid]; slices.Contains(v.stages, stage) {
			return v, nil
		}
	}
	return nil, errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
}

func (s *Store) getSecretValue(in *getSecretValueInput) (*getSecretValueOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.liveSecretLocked(in.SecretID)
	if err != nil {
		return nil, err
	}
	v, err := sec.versionLocked(str(in.VersionID), str(in.VersionStage))
	if err != nil {
		return nil, err
	}
	sec.accessed = s.now().UTC().Truncate(24 * time.Hour) // Secrets Manager keeps the day only
	return &getSecretValueOutput{
		ARN: sec.arn, Name: sec.name, VersionID: v.id,
		SecretString: v.str, SecretBinary: v.bin,
		VersionStages: slices.Clone(v.stages), CreatedDate: v.created,
	}, nil
}

// stagesLocked maps each version that has staging labels to them.
func (sec *secret) stagesLocked() map[string][]string {
	m := map[string][]string{}
	for id, v := range sec.versions {
		if len(v.stages) > 0 {
			m[id] = slices.Clone(v.stages)
		}
	}
	return m
}

func (s *Store) describeSecret(in *secretIDInput) (*describeSecretOutput, error) {
	if str(in.SecretID) == "" {
		return nil, smInvalidParam("SecretId is required: give the secret's name or ARN.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findSecretLocked(*in.SecretID)
	if sec == nil {
		return nil, smNotFound()
	}
	return &describeSecretOutput{
		ARN: sec.arn, Name: sec.name, Description: sec.description, KmsKeyID: sec.kmsKeyID,
		CreatedDate: sec.created, LastChangedDate: sec.changed, LastAccessedDate: sec.accessed,
		DeletedDate: sec.deleted, Tags: slices.Clone(sec.tags), VersionIDsToStages: sec.stagesLocked(),
	}, nil
}

func (s *Store) deleteSecret(in *deleteSecretInput) (*deleteSecretOutput, error) {
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	days := int64(defaultRecoveryDays)
	if in.RecoveryWindowInDays != nil {
		if force {
			return nil, smInvalidParam("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
		}
		days = *in.RecoveryWindowInDays
		if days < minRecoveryDays || days > maxRecoveryDays {
			return nil, smInvalidParam("The RecoveryWindowInDays value must be between %d and %d days (inclusive); got %d.", minRecoveryDays, maxRecoveryDays, days)
		}
	}
	if str(in.SecretID) == "" {
		return nil, smInvalidParam("SecretId is required: give the secret's name or ARN.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findSecretLocked(*in.SecretID)
	if sec == nil {
		return nil, smNotFound()
	}
	now := s.now()
	if force {
		delete(s.secrets, sec.name)
		return &deleteSecretOutput{ARN: sec.arn, Name: sec.name, DeletionDate: now}, nil
	}
	if !sec.deleted.IsZero() {
		return nil, errorf("InvalidRequestException", "You can't perform this operation on the secret because it was already scheduled for deletion.")
	}
	sec.deleted, sec.deletion = now, now.Add(time.Duration(days)*24*time.Hour)
	return &deleteSecretOutput{ARN: sec.arn, Name: sec.name, DeletionDate: sec.deletion}, nil
}

// secretFilterKeys are the ListSecrets filter keys ecslocal supports.
var secretFilterKeys = []string{"name", "description", "tag-key", "tag-value", "all"}

// fields returns what a ListSecrets filter key matches of the secret.
func (sec *secret) fields(key string) []string {
	var out []string
	if key == "name" || key == "all" {
		out = append(out, sec.name)
	}
	if key == "description" || key == "all" {
		out = append(out, sec.description)
	}
	for _, t := range sec.tags {
		if key == "tag-key" || key == "all" {
			out = append(out, str(t.Key))
		}
		if key == "tag-value" || key == "all" {
			out = append(out, str(t.Value))
		}
	}
	return out
}

// matches reports whether a secret passes every filter: one of a filter's
// values is a prefix of one of the secret's fields ("!value": none is).
func (sec *secret) matches(filters []secretsFilter) bool {
	for _, f := range filters {
		fields := sec.fields(f.Key)
		ok := false
		for _, want := range f.Values {
			negate := strings.HasPrefix(want, "!")
			prefix := strings.TrimPrefix(want, "!")
			hit := slices.ContainsFunc(fields, func(field string) bool { return strings.HasPrefix(field, prefix) })
			if hit != negate {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s *Store) listSecrets(in *listSecretsInput) (*listSecretsOutput, error) {
	limit := maxListSecrets
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxListSecrets {
			return nil, smInvalidParam("MaxResults must be between 1 and %d; got %d.", maxListSecrets, *in.MaxResults)
		}
		limit = int(*in.MaxResults)
	}
	for _, f := range in.Filters {
		if !slices.Contains(secretFilterKeys, f.Key) {
			return nil, smInvalidParam("Filter key %q is not supported by ecslocal: use name, description, tag-key, tag-value or all.", f.Key)
		}
	}
	if in.SortBy != "" && in.SortBy != "name" {
		return nil, smInvalidParam("ecslocal sorts ListSecrets by name only; SortBy %q is not supported.", in.SortBy)
	}
	desc := in.SortOrder == "desc"
	after := ""
	if tok := str(in.NextToken); tok != "" {
		var ok bool
		if after, ok = decodeToken("s", tok); !ok {
			return nil, errorf("InvalidNextTokenException", "The NextToken %q is invalid: pass back the NextToken of the previous page unchanged.", tok)
		}
	}
	withDeleted := in.IncludePlannedDeletion != nil && *in.IncludePlannedDeletion

	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name, sec := range s.secrets {
		if (sec.deleted.IsZero() || withDeleted) && sec.matches(in.Filters) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if desc {
		slices.Reverse(names)
	}
	out := &listSecretsOutput{SecretList: []secretListEntry{}}
	for _, name := range names {
		if after != "" && (!desc && name <= after || desc && name >= after) {
			continue
		}
		if len(out.SecretList) == limit {
			out.NextToken = encodeToken("s", out.SecretList[limit-1].Name)
			break
		}
		sec := s.secrets[name]
		out.SecretList = append(out.SecretList, secretListEntry{
			ARN: sec.arn, Name: sec.name, Description: sec.description, KmsKeyID: sec.kmsKeyID,
			CreatedDate: sec.created, LastChangedDate: sec.changed, LastAccessedDate: sec.accessed,
			DeletedDate: sec.deleted, Tags: slices.Clone(sec.tags), SecretVersionsToStages: sec.stagesLocked(),
		})
	}
	return out, nil
}
