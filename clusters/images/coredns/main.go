// CoreDNS with the plugins a cluster's DNS uses, not all of them: kubeadm's Corefile (errors, health,
// ready, kubernetes, prometheus, forward, cache, loop, reload, loadbalance) plus the few an operator
// commonly adds to it (log, hosts, rewrite, template, whoami). Built by clusters/build/components.py
// against the pinned github.com/coredns/coredns module; a cold build compiles far less than the
// module's own main, which links every plugin and the cloud SDKs some of them need.
package main

import (
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/rewrite"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/whoami"

	"github.com/coredns/coredns/coremain"
)

func main() {
	coremain.Run()
}
