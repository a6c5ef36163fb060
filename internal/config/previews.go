package config

import (
	"flag"
	"fmt"
	"strings"
)

// Previews is the link preview setting. The zero value means on.
type Previews struct {
	// Off stops the server from fetching the links in messages
	// (LINK_PREVIEWS=off, -link-previews=off): no outgoing requests at all,
	// for installations that must not reach the internet or leak what
	// their people link to.
	Off bool
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
	p.Off, err = parseOnOff("LINK_PREVIEWS", env["LINK_PREVIEWS"])
	return err
}

func (p *Previews) flags(fs *flag.FlagSet) {
	fs.Func("link-previews", "on or off: fetch link previews (LINK_PREVIEWS)", func(v string) (err error) {
		p.Off, err = parseOnOff("-link-previews", v)
		return err
	})
}
