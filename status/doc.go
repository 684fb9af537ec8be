// Package status is the cluster status that romad's alpha publishes and
// that clients, roma status and roma cli read: its schema, how it is
// stored on the status nodes (one Redis hash per cluster, written with
// epoch fencing and PUBLISHed on change), and how a reader takes it from
// a majority of status nodes. Gather asks every status node at once and
// returns once the answers settle the matter; Vote, for a lease claim,
// also returns when the answers split it and only a late node could still
// decide it.
//
// Keys, on every status node, for cluster C:
//
//	roma:C:status    hash: the current Status (see Fields)
//	roma:C:status    channel: the new epoch and state, on every change
//	roma:C:history   list: the last statuses written, newest first (JSON)
//	roma:C:epoch     string: the highest epoch ever granted
//	roma:C:alpha     string: "<romad>|<epoch>", with the alpha's lease as TTL
//	roma:C:seen:<romad>  hash: what that romad last saw of each node
//
// A status write carries its epoch; a status node refuses one whose epoch
// is lower than the epoch it already holds, so an alpha that lost its
// lease can never overwrite a newer alpha's status.
package status
