// Package plan observes a cluster's live state, diffs it against the
// desired model from roma.hcl, and produces a Plan: a value listing each
// resource's action, its reasons and its attribute-level changes, with
// fingerprints of what was observed so that apply can refuse a stale plan.
//
// Planning changes nothing anywhere. Observation runs in parallel, over one
// connection per host for files and services and over the Redis protocol
// for every node. Check, after Diff, has each host's redis-server read the
// conf files the plan writes or starts a node with, and makes a file it
// refuses a refusal. Rendering a Plan (human text, JSON, plan files) is
// kept apart from deciding it.
package plan
