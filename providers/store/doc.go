// Package store holds the places backups are kept: a directory on this
// machine (Dir) and a directory on a host of roma.hcl, reached through its
// remote transport, which is SFTP for SSH hosts (OnHost). Both keep files
// under slash-separated names relative to their directory, write every
// file atomically (a reader's error leaves nothing behind), and pass the
// one conformance suite in store/storetest.
//
// Package store imports cluster and remote; backup and the commands import
// it.
package store
