// Package redisconf is roma's knowledge of redis.conf: which directives
// exist, which roma manages itself (port, bind, dir, replication, auth...),
// and which Redis accepts at runtime through CONFIG SET rather than needing
// a restart; and, for the common directives, the form of their values
// (CheckValue). The catalog matches Redis 7.0 (Debian bookworm's
// redis-server) and is checked against a live redis-server by its tests.
// Render writes a node's file from roma.hcl; Parse, ParseMeta and FileAddr
// read one back (plan, roma start). SplitArgs splits a line into arguments
// as Redis does (sdssplitargs), for redis.conf and for roma cli's command
// lines; a directive with several arguments (save, rename-command, user)
// takes its value in that form. CheckCommand and StartCheckCommand have a
// host's own redis-server check a rendered file, without starting a node.
// Secret, SecretValue and RedactRule say which values are secrets however
// roma.hcl gives them: a TLS key's pass, a user rule's passwords.
//
// Of roma's packages it imports cluster only.
package redisconf
