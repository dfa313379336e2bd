//go:build !unix

package datadir

import "os"

// Without flock the lock is advisory only: the PID is still written.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
