// Package plan observes a cluster's live state, diffs it against the
// desired model from roma.hcl, and produces a Plan: a value listing each
// resource's action, its reasons and its attribute-level changes, with
// fingerprints of what was observed so that apply can refuse a stale plan.
//
// Planning changes nothing anywhere. Observation runs in parallel, over one
// connection per host for files and services and over the Redis protocol
// for every node. Rendering a Plan (human text, JSON, plan files) is kept
// apart from deciding it.
package plan
