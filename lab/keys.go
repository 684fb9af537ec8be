package lab

import (
	"crypto/ed25519"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// writeKeyPair writes an ed25519 private key (0600) at path and its public
// key at path+".pub", and returns the public key.
func writeKeyPair(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " " + comment + "\n"
	return sshPub, os.WriteFile(path+".pub", []byte(line), 0o644)
}

// writeKnownHosts writes a known_hosts file listing every host's key.
func writeKnownHosts(path string, hosts []*Host) error {
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "[%s]:%d %s", h.Address, h.Port, ssh.MarshalAuthorizedKey(h.hostKey))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeSSHConfig writes an OpenSSH client config naming every host, so
// that "ssh -F <dir>/ssh_config db1" and scp work by hand.
func writeSSHConfig(l *Lab) error {
	var b strings.Builder
	for _, h := range l.Hosts {
		fmt.Fprintf(&b, "Host %s\n  HostName %s\n  Port %d\n  User root\n  IdentityFile %s\n  UserKnownHostsFile %s\n  IdentitiesOnly yes\n  StrictHostKeyChecking yes\n\n",
			h.Name, h.Address, h.Port, l.IdentityFile, l.KnownHosts)
	}
	return os.WriteFile(l.SSHConfigFile, []byte(b.String()), 0o644)
}
