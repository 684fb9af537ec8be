// Package lab is roma's test lab: several "hosts" on this machine, each a
// real OpenSSH sshd listening on its own loopback address (db1 on
// 127.0.0.11:2222, db2 on 127.0.0.12:2222, ...) inside its own mount and
// UTS namespace, so that each host has a private /var/lib/roma, its own
// /root (root's home: no dotfiles of this machine) and its own hostname,
// exactly as separate machines would. Everything started over
// SSH on a lab host (redis-server, romad) lives in that host's namespace,
// and the lab kills it on Close.
//
// Tests start a lab with New (one per test) or share one per package with
// Main and Shared. Where the lab cannot start, tests fail when running as
// root or with CI=true, and skip otherwise. cmd/romalab starts a lab that
// outlives the command, for trying roma by hand.
//
// Several labs may run at once (go test runs packages in parallel): each
// takes a free "slot", and slot k puts its hosts on 127.0.k.11, 127.0.k.12,
// ...; the first lab gets slot 0.
//
// Package lab needs root, unshare(1), nsenter(1) and sshd(8);
// EnsurePackages installs what is missing. It imports remote, for the SSH configs it hands out.
package lab
