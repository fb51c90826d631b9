package cwlogs

import (
	"strings"
)

// validateGroupName checks a log group name as CloudWatch Logs does:
// 1 to 512 characters from [.-_/#A-Za-z0-9].
func validateGroupName(name string) error {
	if len(name) == 0 || len(name) > 512 {
		return invalidParam("logGroupName must be 1 to 512 characters long, got %d", len(name))
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == '-', r == '_', r == '/', r == '#':
		default:
			return invalidParam("logGroupName %q contains %q; allowed are letters, digits and . - _ / #", name, r)
		}
	}
	return nil
}

// validateStreamName checks a log stream name as CloudWatch Logs does:
// 1 to 512 characters, none of them ':' or '*'.
func validateStreamName(name string) error {
	if len(name) == 0 || len(name) > 512 {
		return invalidParam("logStreamName must be 1 to 512 characters long, got %d", len(name))
	}
	if strings.ContainsAny(name, ":*") {
		return invalidParam("logStreamName %q must not contain ':' or '*'", name)
	}
	return nil
}

// groupName returns the group a request names with logGroupName or
// logGroupIdentifier (a name or an ARN, with or without the trailing ":*").
func groupName(name, identifier *string) (string, error) {
	hasName, hasID := name != nil && *name != "", identifier != nil && *identifier != ""
	switch {
	case hasName && hasID:
		return "", invalidParam("specify either logGroupName or logGroupIdentifier, not both")
	case hasName:
		return *name, nil
	case hasID:
		id := *identifier
		if strings.HasPrefix(id, "arn:") {
			_, rest, ok := strings.Cut(id, ":log-group:")
			if !ok || rest == "" {
				return "", invalidParam("logGroupIdentifier %q is not a log group ARN", id)
			}
			return strings.TrimSuffix(rest, ":*"), nil
		}
		return id, nil
	default:
		return "", invalidParam("either logGroupName or logGroupIdentifier is required")
	}
}

// groupARN returns the ARN of a log group, without the trailing ":*".
func (s *Store) groupARN(name string) string {
	return "arn:aws:logs:" + s.opts.Region + ":" + s.opts.AccountID + ":log-group:" + name
}

// streamARN returns the ARN of a log stream.
func (s *Store) streamARN(group, stream string) string {
	return s.groupARN(group) + ":log-stream:" + stream
}
