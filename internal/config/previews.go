package config

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"
)

// Previews is the link preview setting. The zero value means on.
type Previews struct {
	// Off stops the server from fetching the links in messages
	// (LINK_PREVIEWS=off, -link-previews=off): no outgoing requests at all,
	// for installations that must not reach the internet or leak what
	// their people link to.
	Off bool
	// AllowForTests lets the fetcher reach these otherwise refused address
	// ranges (CAMPFIRE_TEST_UNFURL_ALLOW, comma-separated CIDR prefixes).
	// Only the browser tests, which run the real binary against pages
	// they serve on loopback, set it; the server warns at start when set.
	AllowForTests []netip.Prefix
}

func parseOnOff(name, v string) (off bool, err error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "on", "true", "1", "yes":
		return false, nil
	case "off", "false", "0", "no":
		return true, nil
	}
	return false, fmt.Errorf("%s=%q must be on or off", name, v)
}

func (p *Previews) fromEnv(env map[string]string) (err error) {
	if p.Off, err = parseOnOff("LINK_PREVIEWS", env["LINK_PREVIEWS"]); err != nil {
		return err
	}
	p.AllowForTests = nil
	for _, s := range strings.Split(env["CAMPFIRE_TEST_UNFURL_ALLOW"], ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("CAMPFIRE_TEST_UNFURL_ALLOW=%q: %q is not a CIDR prefix", env["CAMPFIRE_TEST_UNFURL_ALLOW"], s)
		}
		p.AllowForTests = append(p.AllowForTests, pr)
	}
	return nil
}

func (p *Previews) flags(fs *flag.FlagSet) {
	fs.Func("link-previews", "on or off: fetch link previews (LINK_PREVIEWS)", func(v string) (err error) {
		p.Off, err = parseOnOff("-link-previews", v)
		return err
	})
}
