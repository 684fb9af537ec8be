// Package providers is the home of roma's pluggable parts. Each
// subpackage holds one small interface and its registered implementations:
// partition hash functions (hash), service managers, backup stores, alert
// senders, and the resource kinds that plan observes and apply changes.
//
// Providers sit below plan and apply and above remote and cluster: a
// provider may import remote, cluster and other providers' interfaces, never
// plan, apply or cmd. This package itself holds only this documentation.
package providers
