package remote_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
)

// TestLabKeyExchange: against OpenSSH as Debian ships it, roma's key
// exchange is P-256 (which sshd computes with OpenSSL); a server that
// allows only curve25519, or only P-256, is reached all the same.
func TestLabKeyExchange(t *testing.T) {
	for name, tc := range map[string]struct {
		sshd []string
		want string
	}{
		"server defaults":   {nil, "ecdh-sha2-nistp256"},
		"curve25519 only":   {[]string{"KexAlgorithms curve25519-sha256"}, "curve25519-sha256"},
		"P-256 only":        {[]string{"KexAlgorithms ecdh-sha2-nistp256"}, "ecdh-sha2-nistp256"},
		"group14 and P-384": {[]string{"KexAlgorithms diffie-hellman-group14-sha256,ecdh-sha2-nistp384"}, "ecdh-sha2-nistp384"},
	} {
		t.Run(name, func(t *testing.T) {
			l := lab.New(t, lab.Options{Hosts: 1, SSHD: append([]string{"LogLevel DEBUG1"}, tc.sshd...)})
			s, err := remote.NewSSH(l.SSHConfig("db1"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if out, err := remote.Output(testCtx(t), s, "echo ok"); err != nil || string(out) != "ok\n" {
				t.Fatalf("echo ok: %q, %v", out, err)
			}
			log, err := os.ReadFile(filepath.Join(l.Host("db1").Dir, "sshd.log"))
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`kex: algorithm: (\S+)`).FindSubmatch(log)
			if m == nil {
				t.Fatalf("no \"kex: algorithm\" line in the sshd log:\n%s", log)
			}
			if string(m[1]) != tc.want {
				t.Errorf("key exchange %s, want %s", m[1], tc.want)
			}
		})
	}
}
