package plan

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the plan as newline-delimited JSON messages, after the
// version message the caller has written: one "resource_drift" per drifted
// resource, one "planned_change" per action, "note", "unobserved" and
// "refusal" messages, and a final "change_summary".
func WriteJSON(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	emit := func(level, typ, msg string, extra map[string]any) error {
		m := map[string]any{"@level": level, "@message": msg, "type": typ}
		for k, v := range extra {
			m[k] = v
		}
		return enc.Encode(m)
	}
	for _, r := range p.Drift() {
		if err := emit("info", "resource_drift", r.Address+": drift", map[string]any{"change": r}); err != nil {
			return err
		}
	}
	for _, r := range p.Resources {
		if err := emit("info", "planned_change", fmt.Sprintf("%s: plan to %s", r.Address, r.Action), map[string]any{"change": r}); err != nil {
			return err
		}
	}
	for _, list := range []struct {
		typ, level string
		notes      []Note
	}{{"note", "info", p.Notes}, {"unobserved", "error", p.Unobserved}, {"refusal", "error", p.Refusals}} {
		for _, n := range list.notes {
			if err := emit(list.level, list.typ, n.Address+": "+n.Message, map[string]any{"address": n.Address}); err != nil {
				return err
			}
		}
	}
	add, change, destroy := p.Counts()
	msg := fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", add, change, destroy)
	if !p.HasChanges() {
		msg = "No changes."
	}
	return emit("info", "change_summary", msg, map[string]any{"changes": map[string]any{
		"add": add, "change": change, "remove": destroy, "drift": len(p.Drift()), "operation": "plan",
		"unobserved": len(p.Unobserved), "refused": len(p.Refusals),
	}})
}

// Marshal encodes a plan file: the plan with its fingerprints. It holds no
// secret (sensitive values are dropped when the plan is made), and is
// written with mode 0600 all the same.
func Marshal(p *Plan) ([]byte, error) {
	b, err := json.MarshalIndent(struct {
		Kind string `json:"kind"`
		*Plan
	}{"roma-plan", p}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Unmarshal decodes a plan file written by Marshal.
func Unmarshal(data []byte) (*Plan, error) {
	var f struct {
		Kind string `json:"kind"`
		*Plan
	}
	f.Plan = &Plan{}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a roma plan file: %w", err)
	}
	if f.Kind != "roma-plan" {
		return nil, fmt.Errorf("not a roma plan file (kind %q)", f.Kind)
	}
	if f.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan file format %s is not supported by this roma (it reads %s)", f.FormatVersion, FormatVersion)
	}
	return f.Plan, nil
}
