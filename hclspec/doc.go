// Package hclspec is the roma.hcl language: its schema, variables, locals,
// functions, dynamic blocks and placement helper, decoding into the desired
// model (cluster.Spec) and validation. Every problem is an hcl.Diagnostic
// with a source range, and all of them are reported in one run.
//
// It reads only the configuration files and the variable files named to it;
// it does no other I/O. It imports cluster, redisconf and the hcl/cty
// libraries only.
package hclspec
