package cluster

import (
	"encoding/json"
	"fmt"
)

// Redacted is what every output path prints in place of a secret.
const Redacted = "(sensitive)"

// Secret holds a value that must never be printed: passwords, tokens. Its
// String, GoString, Format and JSON forms all yield Redacted; only Reveal
// returns the value, for the few places that must use it (a rendered
// redis.conf, an AUTH command).
type Secret struct{ value string }

// NewSecret wraps v as a Secret.
func NewSecret(v string) Secret { return Secret{value: v} }

// Reveal returns the secret value itself.
func (s Secret) Reveal() string { return s.value }

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

// Equal reports whether two secrets hold the same value (for go-cmp).
func (s Secret) Equal(o Secret) bool { return s.value == o.value }
