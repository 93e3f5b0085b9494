// kindnetd: the node agent behind kind's default CNI manifest, for hermetic builds.
//
// kind's own kindnetd module is not served by the Go module proxy, so this small daemon keeps the
// same contract with the same manifest (env HOST_IP, POD_SUBNET; host network; NET_ADMIN):
//   - it writes this node's CNI config (ptp + host-local over the node's podCIDR + portmap),
//   - it keeps one route per other node: that node's podCIDR via its InternalIP,
//   - it masquerades traffic from the pod network to anywhere outside it.
//
// It talks to the API server with the standard library only: list nodes, then watch from the list's
// resourceVersion, and list again when the watch ends.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"
	cniConfigPath     = "/etc/cni/net.d/10-kindnet.conflist"
	masqChain         = "KINDNET-MASQ"
)

type node struct {
	Metadata struct {
		Name            string `json:"name"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Spec struct {
		PodCIDR string `json:"podCIDR"`
	} `json:"spec"`
	Status struct {
		Addresses []struct {
			Type    string `json:"type"`
			Address string `json:"address"`
		} `json:"addresses"`
	} `json:"status"`
}

func (n node) internalIP() string {
	for _, a := range n.Status.Addresses {
		if a.Type == "InternalIP" && net.ParseIP(a.Address).To4() != nil {
			return a.Address
		}
	}
	return ""
}

type nodeList struct {
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []node `json:"items"`
}

type watchEvent struct {
	Type   string `json:"type"`
	Object node   `json:"object"`
}

type apiClient struct {
	base   string
	token  string
	client *http.Client
}

func newAPIClient() (*apiClient, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("KUBERNETES_SERVICE_HOST/PORT unset: not running in a pod")
	}
	token, err := os.ReadFile(filepath.Join(serviceAccountDir, "token"))
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(filepath.Join(serviceAccountDir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("no certificate in ca.crt")
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	return &apiClient{
		base:   "https://" + net.JoinHostPort(host, port),
		token:  strings.TrimSpace(string(token)),
		client: &http.Client{Transport: transport},
	}, nil
}

func (c *apiClient) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return resp, nil
}

type agent struct {
	hostIP    string
	podSubnet string
	routes    map[string]string // node name -> podCIDR routed via that node
}

func (a *agent) run(cmd string, args ...string) error {
	out, err := exec.Command(cmd, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", cmd, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (a *agent) ensureMasquerade() error {
	_ = a.run("iptables", "-t", "nat", "-N", masqChain) // exists already after a restart
	if err := a.run("iptables", "-t", "nat", "-F", masqChain); err != nil {
		return err
	}
	for _, rule := range [][]string{
		{"-d", a.podSubnet, "-j", "RETURN"},
		{"-m", "addrtype", "--dst-type", "LOCAL", "-j", "RETURN"},
		{"-j", "MASQUERADE"},
	} {
		if err := a.run("iptables", append([]string{"-t", "nat", "-A", masqChain}, rule...)...); err != nil {
			return err
		}
	}
	jump := []string{"-t", "nat", "-C", "POSTROUTING", "-s", a.podSubnet, "-j", masqChain}
	if a.run("iptables", jump...) != nil {
		jump[2] = "-A"
		return a.run("iptables", jump...)
	}
	return nil
}

func (a *agent) writeCNIConfig(podCIDR string) error {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "kindnet",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": podCIDR}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
				"mtu": 1500,
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(cniConfigPath); err == nil && string(old) == string(data) {
		return nil
	}
	tmp := cniConfigPath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	log.Printf("writing CNI config for podCIDR %s", podCIDR)
	return os.Rename(tmp, cniConfigPath) // atomic: the runtime never reads half a file
}

func (a *agent) apply(eventType string, n node) error {
	ip, cidr, name := n.internalIP(), n.Spec.PodCIDR, n.Metadata.Name
	if ip == a.hostIP {
		if cidr == "" {
			log.Printf("this node %s has no podCIDR yet", name)
			return nil
		}
		return a.writeCNIConfig(cidr)
	}
	if eventType == "DELETED" {
		if old, ok := a.routes[name]; ok {
			delete(a.routes, name)
			log.Printf("node %s left: removing route %s", name, old)
			return a.run("ip", "route", "del", old)
		}
		return nil
	}
	if cidr == "" || ip == "" {
		return nil
	}
	if old, ok := a.routes[name]; ok && old != cidr {
		_ = a.run("ip", "route", "del", old)
	}
	if a.routes[name] != cidr {
		log.Printf("route %s via %s (node %s)", cidr, ip, name)
	}
	a.routes[name] = cidr
	return a.run("ip", "route", "replace", cidr, "via", ip)
}

func (a *agent) syncOnce(ctx context.Context, c *apiClient) error {
	resp, err := c.get(ctx, "/api/v1/nodes")
	if err != nil {
		return err
	}
	var list nodeList
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, n := range list.Items {
		seen[n.Metadata.Name] = true
		if err := a.apply("ADDED", n); err != nil {
			log.Print(err)
		}
	}
	for name := range a.routes {
		if !seen[name] {
			var gone node
			gone.Metadata.Name = name
			if err := a.apply("DELETED", gone); err != nil {
				log.Print(err)
			}
		}
	}
	watch, err := c.get(ctx, "/api/v1/nodes?watch=1&allowWatchBookmarks=false&resourceVersion="+list.Metadata.ResourceVersion)
	if err != nil {
		return err
	}
	defer watch.Body.Close()
	scanner := bufio.NewScanner(watch.Body)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for scanner.Scan() {
		var ev watchEvent
		if err := json.Unmarshal(scanner.Bytes(), &ev); err != nil {
			return err
		}
		if ev.Type == "ERROR" {
			return errors.New("watch ended with an ERROR event")
		}
		if err := a.apply(ev.Type, ev.Object); err != nil {
			log.Print(err)
		}
	}
	return scanner.Err()
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	a := &agent{hostIP: os.Getenv("HOST_IP"), podSubnet: os.Getenv("POD_SUBNET"), routes: map[string]string{}}
	if a.hostIP == "" || a.podSubnet == "" {
		log.Fatal("HOST_IP and POD_SUBNET must be set")
	}
	client, err := newAPIClient()
	if err != nil {
		log.Fatal(err)
	}
	if err := a.ensureMasquerade(); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for {
		if err := a.syncOnce(ctx, client); err != nil {
			log.Printf("node sync: %v; listing again", err)
		}
		time.Sleep(time.Second) // back off before re-listing after a watch ends
	}
}
