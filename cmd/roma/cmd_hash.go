package main

import "github.com/spf13/cobra"

func newHashCmd(s *streams) *cobra.Command {
	return &cobra.Command{Use: "hash KEY...", Short: "Print the partition of each key"}
}
