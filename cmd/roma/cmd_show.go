package main

import (
	"fmt"
	"os"

	"github.com/roma-redis/roma/plan"
	"github.com/spf13/cobra"
)

func newShowCmd(s *streams) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show FILE",
		Short: "Show a plan file written by roma plan -out",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("reading the plan file: %w", err)
			}
			p, err := plan.Unmarshal(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if asJSON {
				newJSONStream(s.out)
				return plan.WriteJSON(s.out, p)
			}
			fmt.Fprintf(s.out, "Plan for cluster %q, made %s.\n\n", p.Cluster, p.Created.Format("2006-01-02 15:04:05 MST"))
			return plan.WriteHuman(s.out, p, plan.HumanOptions{Color: useColor(s.out)})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print newline-delimited JSON")
	c.Flags().BoolVar(&noColor, "no-color", false, "never use colour")
	return c
}
