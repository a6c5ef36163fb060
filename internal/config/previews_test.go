package config

import "testing"

func TestLinkPreviewsSetting(t *testing.T) {
	for _, c := range []struct {
		env  []string
		args []string
		off  bool
		bad  bool
	}{
		{nil, nil, false, false},
		{[]string{"LINK_PREVIEWS=off"}, nil, true, false},
		{[]string{"LINK_PREVIEWS=on"}, nil, false, false},
		{[]string{"LINK_PREVIEWS=OFF"}, nil, true, false},
		{[]string{"LINK_PREVIEWS=off"}, []string{"-link-previews=on"}, false, false},
		{nil, []string{"-link-previews=off"}, true, false},
		{[]string{"LINK_PREVIEWS=maybe"}, nil, false, true},
		{[]string{"CAMPFIRE_TEST_UNFURL_ALLOW=127.0.0.1/32, ::1/128"}, nil, false, false},
		{[]string{"CAMPFIRE_TEST_UNFURL_ALLOW=localhost"}, nil, false, true},
	} {
		cfg, err := Load(append([]string{"serve"}, c.args...)[1:], c.env)
		if c.bad {
			if err == nil {
				t.Errorf("%v %v: accepted", c.env, c.args)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v %v: %v", c.env, c.args, err)
			continue
		}
		if cfg.Previews.Off != c.off {
			t.Errorf("%v %v: Off = %v, want %v", c.env, c.args, cfg.Previews.Off, c.off)
		}
	}
}
