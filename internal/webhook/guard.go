package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// blocked are the networks a webhook may not reach unless the
// administrator allows private addresses: what lies inside the network
// Rapport runs in, and the cloud metadata services.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",      // "this network", unspecified
		"10.0.0.0/8",     // RFC 1918
		"100.64.0.0/10",  // CGNAT (also Alibaba's metadata 100.100.100.200)
		"127.0.0.0/8",    // loopback
		"169.254.0.0/16", // link-local (cloud metadata 169.254.169.254)
		"172.16.0.0/12",  // RFC 1918
		"192.0.0.0/24",   // IETF protocol assignments
		"192.168.0.0/16", // RFC 1918
		"198.18.0.0/15",  // benchmarking
		"224.0.0.0/4",    // multicast
		"240.0.0.0/4",    // reserved, broadcast
		"::/128",         // unspecified
		"::1/128",        // loopback
		"64:ff9b::/96",   // NAT64 (reaches IPv4 addresses)
		"fc00::/7",       // ULA (also AWS's fd00:ec2::254)
		"fe80::/10",      // link-local
		"ff00::/8",       // multicast
		"2001:db8::/32",  // documentation
		"::ffff:0:0/96",  // IPv4-mapped, checked unmapped anyway
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// ErrPrivateAddress is returned for an address inside the network.
var ErrPrivateAddress = errors.New("address is private, loopback, link-local or otherwise inside the network")

// CheckAddr returns ErrPrivateAddress (wrapped) when ip is one a webhook
// may not reach without the administrator's permission.
func CheckAddr(ip netip.Addr) error {
	// A zone (fe80::1%eth0) would make every prefix miss.
	ip = ip.WithZone("").Unmap()
	for _, p := range blocked {
		if p.Contains(ip) {
			return fmt.Errorf("webhook: %s: %w", ip, ErrPrivateAddress)
		}
	}
	return nil
}

// Resolver looks a host's addresses up; net.DefaultResolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckURL says what is wrong with a webhook URL, in words for the person
// typing it, or "" when it is fine: http or https, a host, and (unless
// allowPrivate) every address the host resolves to outside the network.
func CheckURL(ctx context.Context, r Resolver, raw string, allowPrivate bool) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || !u.IsAbs() {
		return "Enter a full URL like https://example.com/hooks."
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "Only http and https URLs can receive webhooks."
	}
	if u.User != nil {
		return "Leave user names and passwords out of the URL."
	}
	host := u.Hostname()
	if host == "" {
		return "Enter a full URL like https://example.com/hooks."
	}
	if allowPrivate {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if CheckAddr(ip) != nil {
			return "This address is inside the network (private, loopback or link-local); an administrator can allow such addresses in the webhook settings."
		}
		return ""
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(lctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return "This host name does not resolve; check the spelling."
	}
	for _, a := range addrs {
		if CheckAddr(a) != nil {
			return "This host name resolves to an address inside the network (" + a.Unmap().String() +
				"); an administrator can allow such addresses in the webhook settings."
		}
	}
	return ""
}

// guardControl refuses, at connection time, an address inside the network:
// the check runs on the address actually dialled, after DNS resolution, so
// a name that resolved to a public address at save time and to a private
// one now (DNS rebinding) is still refused.
func guardControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: dial %s: %w", address, err)
	}
	return CheckAddr(ap.Addr())
}

// newClient returns the HTTP client of deliveries: Timeout for the whole
// exchange, no redirects followed (the 3xx is the answer), and unless
// allowPrivate, no connection to an address inside the network. Proxies
// from the environment are not used: they would hide the address dialled.
func newClient(allowPrivate bool, maxConns int, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = guardControl
	}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxConns * 2,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
