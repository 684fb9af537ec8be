package remote

import (
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestKeyExchanges: roma's preference order names only key exchanges the
// SSH library implements and counts secure, P-256 comes before
// curve25519, and the post-quantum hybrid comes first.
func TestKeyExchanges(t *testing.T) {
	supported := ssh.SupportedAlgorithms().KeyExchanges
	for _, k := range keyExchanges {
		if !slices.Contains(supported, k) {
			t.Errorf("%s is not a supported, secure key exchange of golang.org/x/crypto/ssh", k)
		}
	}
	if keyExchanges[0] != ssh.KeyExchangeMLKEM768X25519 {
		t.Errorf("first key exchange %s, want %s", keyExchanges[0], ssh.KeyExchangeMLKEM768X25519)
	}
	if slices.Index(keyExchanges, ssh.KeyExchangeECDHP256) > slices.Index(keyExchanges, ssh.KeyExchangeCurve25519) {
		t.Errorf("P-256 after curve25519 in %v", keyExchanges)
	}
}
