package hclspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
)

// minScrubLen is the shortest secret scrubbed from messages: shorter ones
// would mangle ordinary words, and the validator already refuses passwords
// this short.
const minScrubLen = 4

// Scrub returns diags with every sensitive variable's value replaced by
// (sensitive) in summaries and details, and with expression values dropped,
// so no diagnostic printer can show a secret.
func (c *Config) Scrub(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		cp := *d
		cp.Summary = c.scrubString(cp.Summary)
		cp.Detail = c.scrubString(cp.Detail)
		cp.Expression, cp.EvalContext = nil, nil
		out[i] = &cp
	}
	return out
}

func (c *Config) scrubString(s string) string {
	for _, secret := range c.secrets {
		if len(secret) >= minScrubLen {
			s = strings.ReplaceAll(s, secret, cluster.Redacted)
		}
	}
	return s
}
