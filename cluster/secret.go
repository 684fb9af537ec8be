package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Redacted is what every output path prints in place of a secret.
const Redacted = "(sensitive)"

// Secret holds a value that must never be printed: passwords, tokens. Its
// String, GoString, Format and JSON forms all yield Redacted; only Reveal
// returns the value, for the few places that must use it (a rendered
// redis.conf, an AUTH command).
//
// A secret being rotated also holds the value it replaces (WithPrevious):
// that one is never printed either, and Redact hides both.
type Secret struct{ value, previous string }

// NewSecret wraps v as a Secret.
func NewSecret(v string) Secret { return Secret{value: v} }

// PasswordHint ends each message about nodes that refuse the password
// roma.hcl gives: what to do, and the usual cause.
const PasswordHint = "give roma.hcl the password the nodes have (was the password changed in roma.hcl, or a -var, -var-file or ROMA_VAR_ value left out?)"

// Reveal returns the secret value itself.
func (s Secret) Reveal() string { return s.value }

// WithPrevious returns s holding also prev, the value it replaces during a
// rotation: servers still accept it until the rotation ends.
func (s Secret) WithPrevious(prev Secret) Secret {
	s.previous = prev.value
	return s
}

// Previous returns the value s replaces (empty when s is not being
// rotated).
func (s Secret) Previous() Secret { return Secret{value: s.previous} }

// IsSet reports whether the secret holds a non-empty value.
func (s Secret) IsSet() bool { return s.value != "" }

// String returns Redacted, or "" when the secret is empty.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return fmt.Sprintf("cluster.Secret(%q)", s.String()) }

// Format keeps every fmt verb from printing the value.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// MarshalJSON writes Redacted, never the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Equal reports whether two secrets hold the same values (for go-cmp).
func (s Secret) Equal(o Secret) bool { return s == o }

// Redact returns text with every occurrence of the secret replaced by
// "(sensitive)", for messages that may quote it (a server's error, an
// address with credentials). Secrets shorter than 4 characters are left
// alone: hiding them would garble unrelated text, and validation refuses
// passwords that short.
func (s Secret) Redact(text string) string { return RedactAll(text, s.value, s.previous) }

// RedactAll returns text with every occurrence of each secret of 4
// characters or more replaced by Redacted, the longest first, so that a
// secret goes whole before a shorter one inside it.
func RedactAll(text string, secrets ...string) string {
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, v := range secrets {
		if len(v) >= 4 {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

// RedactError returns err with the secret hidden in its message; an error
// that does not hold the secret is returned as it is, still unwrappable.
func (s Secret) RedactError(err error) error {
	if err == nil {
		return err
	}
	if msg := err.Error(); s.Redact(msg) != msg {
		return errors.New(s.Redact(msg))
	}
	return err
}
