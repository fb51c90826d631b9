package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// asmARNPrefix starts the valueFrom of a Secrets Manager secret; any other
// valueFrom names an SSM parameter, as for ECS.
const asmARNPrefix = "arn:aws:secretsmanager:"

// Resolve returns the values of ECS container secrets, one per valueFrom
// and in the same order, as the ECS agent fetches them at task start:
//
//   - a Secrets Manager secret ARN (full or partial), optionally followed
//     by ":json-key:version-stage:version-id", each part possibly empty:
//     the secret's SecretString (AWSCURRENT unless a stage or id is given),
//     or the member json-key of that JSON object (a string member as it
//     is, any other as its JSON text);
//   - anything else: an SSM parameter name or ARN, optionally with a
//     ":version" selector; a SecureString is decrypted.
//
// Its error reads as the agent's reason after "execution resource
// retrieval failed: " and names what is missing by its valueFrom, never a
// value: the first Secrets Manager secret that cannot be read, else every
// SSM parameter that is missing.
func (s *Store) Resolve(valueFroms []string) ([]string, error) {
	values := make([]string, len(valueFroms))
	var invalidSSM []string
	for i, ref := range valueFroms {
		if strings.HasPrefix(ref, asmARNPrefix) {
			v, err := s.resolveSecret(ref)
			if err != nil {
				return nil, fmt.Errorf("unable to retrieve secret from asm: %w", err)
			}
			values[i] = v
			continue
		}
		v, ok := s.resolveParameter(ref)
		if !ok {
			invalidSSM = append(invalidSSM, ref)
			continue
		}
		values[i] = v
	}
	if len(invalidSSM) > 0 {
		return nil, fmt.Errorf("unable to retrieve secrets from ssm: invalid ssm parameters: %s", strings.Join(invalidSSM, ", "))
	}
	return values, nil
}

// resolveSecret reads one Secrets Manager valueFrom.
func (s *Store) resolveSecret(ref string) (string, error) {
	parts := strings.Split(ref, ":")
	in := &getSecretValueInput{SecretID: &ref}
	var key string
	switch len(parts) {
	case 7:
	case 10:
		in.SecretID = ptr(strings.Join(parts[:7], ":"))
		key = parts[7]
		if parts[8] != "" {
			in.VersionStage = &parts[8]
		}
		if parts[9] != "" {
			in.VersionID = &parts[9]
		}
	default:
		return "", fmt.Errorf("invalid secret ARN %s: want arn:aws:secretsmanager:region:account:secret:name, optionally followed by :json-key:version-stage:version-id", ref)
	}
	out, err := s.getSecretValue(in)
	if err != nil {
		var e *awsproto.Error
		if errors.As(err, &e) {
			return "", fmt.Errorf("failed to fetch secret %s from secrets manager: %s: %s", *in.SecretID, e.Code, e.Message)
		}
		return "", fmt.Errorf("failed to fetch secret %s from secrets manager: %w", *in.SecretID, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secret %s holds a binary value (SecretBinary), which cannot become an environment variable", *in.SecretID)
	}
	if key == "" {
		return *out.SecretString, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*out.SecretString), &members); err != nil {
		// The parser's error would quote the value: say what it is instead.
		return "", fmt.Errorf("secret %s is not a JSON object, so it has no json key %s", *in.SecretID, key)
	}
	raw, ok := members[key]
	if !ok {
		return "", fmt.Errorf("retrieved secret from Secrets Manager did not contain json key %s", key)
	}
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		return text, nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return "", fmt.Errorf("secret %s: json key %s holds no valid JSON value", *in.SecretID, key)
	}
	return compact.String(), nil
}

// resolveParameter reads one SSM valueFrom, decrypted.
func (s *Store) resolveParameter(ref string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, v, _, err := s.lookupLocked(ref)
	if err != nil {
		return "", false
	}
	return v.value, true
}
