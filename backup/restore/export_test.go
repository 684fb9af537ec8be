package restore

// SetStoppedHook sets a function run once a partition's nodes are stopped.
func SetStoppedHook(f func(p int)) { testHookStopped = f }
