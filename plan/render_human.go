package plan

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// HumanOptions change the human view.
type HumanOptions struct {
	Color bool
}

type palette struct{ on bool }

func (c palette) wrap(code, s string) string {
	if !c.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
func (c palette) bold(s string) string   { return c.wrap("1", s) }
func (c palette) green(s string) string  { return c.wrap("32", s) }
func (c palette) yellow(s string) string { return c.wrap("33", s) }
func (c palette) red(s string) string    { return c.wrap("31", s) }
func (c palette) dim(s string) string    { return c.wrap("2", s) }

func (c palette) symbol(a Action) string {
	s := a.Symbol()
	switch a {
	case Create:
		return c.green(s)
	case Delete:
		return c.red(s)
	case Replace:
		return c.red("-") + "/" + c.green("+")
	}
	return c.yellow(s)
}

// WriteHuman writes the plan as a person reads it: the drift first, then
// each resource's action with a per-attribute diff, notes, what could not
// be observed, refusals, and the summary line.
func WriteHuman(w io.Writer, p *Plan, opts HumanOptions) error {
	c := palette{on: opts.Color}
	ew := &errWriter{w: w}
	if drift := p.Drift(); len(drift) > 0 {
		ew.printf("%s\n", c.bold("Drift: changes made outside roma since the last apply"))
		for _, r := range drift {
			ew.printf("  %s %s: %s\n", c.symbol(r.Action), c.bold(r.Address), strings.Join(r.Reasons, "; "))
			for _, ch := range r.Changes {
				if ch.Drift {
					ew.printf("      %s is %s, roma.hcl says %s\n", ch.Attr, showOld(ch), showNew(ch))
				}
			}
		}
		ew.printf("\n")
	}
	if p.HasChanges() {
		ew.printf("Resource actions are indicated with the following symbols:\n")
		for _, a := range []Action{Create, Update, Replace, Delete} {
			if has(p, a) || a == Update && (has(p, Restart) || has(p, Repair)) {
				ew.printf("  %s %s\n", c.symbol(a), legend(a))
			}
		}
		ew.printf("\nroma will perform the following actions:\n\n")
		for _, r := range p.Resources {
			if r.Action == NoOp {
				continue
			}
			writeResource(ew, c, r)
		}
	}
	if len(p.Notes) > 0 {
		ew.printf("%s\n", c.bold("Notes:"))
		for _, n := range p.Notes {
			ew.printf("  %s: %s\n", n.Address, n.Message)
		}
		ew.printf("\n")
	}
	if len(p.Unobserved) > 0 {
		ew.printf("%s\n", c.red(c.bold("Could not observe (the plan is incomplete):")))
		for _, n := range p.Unobserved {
			ew.printf("  %s: %s\n", n.Address, n.Message)
		}
		ew.printf("\n")
	}
	if len(p.Refusals) > 0 {
		ew.printf("%s\n", c.red(c.bold("Apply will refuse this plan:")))
		for _, n := range p.Refusals {
			ew.printf("  %s: %s\n", n.Address, n.Message)
		}
		ew.printf("\n")
	}
	if !p.HasChanges() && len(p.Unobserved) > 0 {
		ew.printf("%s in what could be observed; the rest is unknown.\n", c.yellow(c.bold("No changes")))
		return ew.err
	}
	if !p.HasChanges() {
		ew.printf("%s roma.hcl and the live cluster %q match.\n", c.green(c.bold("No changes.")), p.Cluster)
		return ew.err
	}
	add, change, destroy := p.Counts()
	ew.printf("%s %d to add, %d to change, %d to destroy.\n", c.bold("Plan:"), add, change, destroy)
	return ew.err
}

func has(p *Plan, a Action) bool {
	for _, r := range p.Resources {
		if r.Action == a {
			return true
		}
	}
	return false
}

func legend(a Action) string {
	switch a {
	case Create:
		return "create"
	case Update:
		return "update in-place (a restart or a repair is said so)"
	case Replace:
		return "destroy and then create replacement"
	case Delete:
		return "destroy"
	}
	return string(a)
}

func verb(r Resource) string {
	switch r.Action {
	case Create:
		return "will be created"
	case Update:
		return "will be updated in-place"
	case Restart:
		return "will be updated and restarted (rolled with its partition)"
	case Replace:
		return "must be replaced"
	case Delete:
		return "will be destroyed"
	case Repair:
		if !r.Drift {
			return "will be started" // roma stop stopped it, on purpose
		}
		return "will be repaired (drift)"
	}
	return "has no changes"
}

func writeResource(ew *errWriter, c palette, r Resource) {
	head := fmt.Sprintf("  # %s %s", r.Address, verb(r))
	if r.Destructive {
		head += " " + c.red(c.bold("(DESTRUCTIVE)"))
	}
	ew.printf("%s\n", c.bold(head))
	for _, why := range r.Reasons {
		ew.printf("  %s\n", c.dim("# "+why))
	}
	ew.printf("  %s %s %s {\n", c.symbol(r.Action), r.Kind, strconv.Quote(r.Name))
	width := 0
	for _, ch := range r.Changes {
		width = max(width, len(ch.Attr))
	}
	for _, ch := range r.Changes {
		mark, val := "~", showOld(ch)+" -> "+showNew(ch)
		switch {
		case ch.OldNull && r.Action == Create:
			mark, val = "+", showNew(ch)
		case ch.OldNull:
			mark, val = "+", showNew(ch)
		case ch.NewNull:
			mark, val = "-", showOld(ch)+" -> null"
		}
		var tags []string
		if ch.Restart && r.Action != Create {
			tags = append(tags, "needs restart")
		}
		if ch.Drift {
			tags = append(tags, "changed outside roma")
		}
		tag := ""
		if len(tags) > 0 {
			tag = " " + c.dim("# "+strings.Join(tags, ", "))
		}
		switch mark {
		case "+":
			mark = c.green(mark)
		case "-":
			mark = c.red(mark)
		default:
			mark = c.yellow(mark)
		}
		ew.printf("      %s %-*s = %s%s\n", mark, width, ch.Attr, val, tag)
	}
	for _, line := range stepLines(r) {
		ew.printf("      %s\n", c.dim("# step: "+line))
	}
	ew.printf("    }\n\n")
}

// stepLines describes r's steps. Where apply picks the master (a
// promote step with Pick and the master unknown to the plan), the node
// named is only the plan's guess: the steps say what happens, not to whom.
func stepLines(r Resource) []string {
	unknown := ""
	for _, s := range r.Steps {
		if s.Op == "promote" && s.Pick && slices.ContainsFunc(r.Changes, func(ch Change) bool { return ch.Attr == "master" && ch.Unknown }) {
			unknown = s.Node
		}
	}
	var out []string
	others := false
	for _, s := range r.Steps {
		switch {
		case unknown != "" && s.Op == "promote" && s.Node == unknown:
			out = append(out, "promote the master (known after apply)")
		case unknown != "" && s.Target == unknown:
			if !others {
				out = append(out, "the other nodes replicate from it")
				others = true
			}
		case s.Target != "":
			out = append(out, fmt.Sprintf("%s %s -> %s", s.Op, s.Node, s.Target))
		default:
			out = append(out, fmt.Sprintf("%s %s", s.Op, s.Node))
		}
	}
	return out
}

func showOld(ch Change) string {
	if ch.Sensitive {
		return "(sensitive)"
	}
	if ch.OldNull {
		return "null"
	}
	return strconv.Quote(ch.Old)
}

func showNew(ch Change) string {
	if ch.Sensitive {
		return "(sensitive)"
	}
	if ch.Unknown {
		return "(known after apply)"
	}
	if ch.NewNull {
		return "null"
	}
	return strconv.Quote(ch.New)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
