// The distribution project's registry with only the filesystem storage driver: a real OCI registry for
// tests that push and pull images on this machine (tests/local_registry.py builds and runs it).
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	registry.RootCmd.Execute()
}
