// Package remote is how roma reaches hosts: it runs commands and reads and
// writes files on one host, over SSH (golang.org/x/crypto/ssh and
// github.com/pkg/sftp) or on this machine (Local), behind one small
// Transport interface.
//
// Guarantees every Transport keeps, checked by the shared conformance suite
// in remote/remotetest:
//
//   - A command's non-zero exit status is a Result, not an error; errors are
//     transport failures. A context's deadline or cancellation kills the
//     command and everything it started in its process group (over SSH:
//     the command first reports its process group, and a second session
//     kills it, since sshd before 9.8 ignores signal requests for root).
//   - WriteFile, WriteFrom and Upload are atomic: the data goes to a
//     temporary file beside the target, is synced, given its mode and renamed
//     over the target. On any failure (context cancelled mid-transfer, disk
//     full, lost connection) the temporary file is removed where the host is
//     still reachable and the previous target is left untouched.
//   - Every error names the host and the operation
//     ("db1: write /var/lib/roma/conf/x.conf: ..."), and the sentinel errors
//     (ErrUnreachable, ErrConnLost, ErrAuth, ErrHostKeyUnknown,
//     ErrHostKeyChanged, ErrCommandNotFound) say whether a retry can help:
//     see Retryable.
//
// The SSH transport keeps one connection per host, shared by every command
// session and one SFTP client, with keepalives; it always verifies host keys
// against known_hosts files: an unknown key is refused with its fingerprint
// (ScanHostKey and HostKey.Record are what "roma trust" does; TrustNew is
// accept-new), a changed key is never accepted. Only dial failures are
// retried. ForEach and Pool fan work out over many hosts with a bound.
//
// ConfigFor and Dial turn a host of roma.hcl (cluster.Host) into its
// configuration and Transport. Package remote imports nothing else of
// roma's; everything above it may import it.
package remote
