// Package alert tells operators when a roma cluster needs them: the alert
// senders of roma.hcl's alert blocks, and the incident logic that decides
// when romad's alpha sends what, so that an incident makes one alert and
// never a storm.
//
// A [Sender] delivers one [Alert] message to one destination. [New] makes
// the sender for an alert block (cluster.Alert) by its kind; more kinds
// can be added with [Register]:
//
//   - "email" ([Email]): mail through an SMTP server, with net/smtp.
//     STARTTLS whenever the server offers it (the certificate verified
//     as usual), implicit TLS on port 465, AUTH PLAIN or LOGIN when a
//     username is set, and the password never sent in clear except to
//     localhost. Each mail has RFC 5322 Date, Message-ID, From, To and
//     Subject headers and a quoted-printable UTF-8 text body.
//   - "webhook" ([Webhook]): the Alert as JSON, POSTed to a URL; a reply
//     other than 2xx is an error.
//
// Errors name the server or URL and never hold a password or a URL's
// secrets; an error that a retry cannot fix wraps [ErrPermanent].
//
// A [Tracker] is fed [Observation]s (the cluster state and the nodes that
// are down, with since when) and decides which alerts go to which
// [Destination]: one when the cluster enters HALT, one per destination when
// a node has been down longer than its down_for, and a "resolved" one when
// the condition has stayed clear for a quiet period; until then, a
// condition that returns is the same incident and alerts no one. Time
// comes only from the observations, so tests replay any history. Deciding
// never blocks: [Tracker.Run] delivers, each destination on its own and in
// order, with bounded retries and backoff, and reports every try's
// [Result].
//
// Only the alpha romad should feed a Tracker, or every romad would alert.
// A Tracker keeps its incidents in memory: a new alpha (or a restarted
// romad) alerts once more for an incident still under way.
//
// Package alert imports cluster and the standard library only.
package alert
