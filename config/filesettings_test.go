package config

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFileSettingsCheckedAlike: each setting that may come from NAME_FILE
// is read from the file and gets the same checks, start-up's and
// check-config's, as NAME itself: a value NAME refuses is refused from
// NAME_FILE with the same words, each problem and warning named as the
// setting the value came from (NAME_FILE, never NAME), and check-config
// says the value came from the file.
func TestFileSettingsCheckedAlike(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, bad string
		extra     map[string]string
	}{
		{"HPP_DATABASE", "mysql://u:CANARY@h/db", nil},
		{"HPP_API_KEY", "CANARY-short", nil},
		{"HPP_SESSION_KEY", "CANARY-short", nil},
		{"HPP_LINK_SECRET", "CANARY-short", nil},
		{"HPP_WEBHOOK_SECRET", "CANARY-short", map[string]string{"HPP_WEBHOOK_URL": "https://shop.example.com/hook"}},
		{"HPP_ADMIN_PASSWORD", "CANARY", map[string]string{"HPP_ADMIN_EMAIL": "owner@shop.example"}},
		{"LATIPAY_API_KEY", "abc", nil},
		// The same value as another key: the message names both as set.
		{"HPP_SESSION_KEY", "3f9c1e7a5b2d8064f1a9c3e7d5b1f093", nil},
	} {
		if !slices.Contains(FileSettings, tc.name) {
			t.Errorf("%s is not in FileSettings", tc.name)
		}
		problems := func(via string) (loadErr error, lines []string) {
			env := map[string]string{tc.name: "", tc.name + "_FILE": ""}
			for k, v := range tc.extra {
				env[k] = v
			}
			if via == tc.name {
				env[tc.name] = tc.bad
			} else {
				env[via] = writeSecret(t, filepath.Join(dir, via+strings.Repeat("x", len(tc.bad))), tc.bad, 0o600)
			}
			getenv := liveEnv(env)
			_, loadErr = Load(getenv)
			var out bytes.Buffer
			_ = Check(getenv, &out)
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(l, "problem: ") || strings.HasPrefix(l, "warning: ") {
					lines = append(lines, l)
				}
			}
			if strings.Contains(out.String(), "CANARY") || (loadErr != nil && strings.Contains(loadErr.Error(), "CANARY")) {
				t.Errorf("%s: a message repeats the value:\n%s", via, out.String())
			}
			if via != tc.name {
				row := regexp.MustCompile(`(?m)^` + tc.name + ` .*\(from ` + tc.name + `_FILE\)$`)
				if tc.name != "HPP_ADMIN_PASSWORD" && !row.MatchString(out.String()) {
					t.Errorf("check-config does not say %s came from %s_FILE:\n%s", tc.name, tc.name, out.String())
				}
			}
			return loadErr, lines
		}
		plainErr, plain := problems(tc.name)
		fileErr, file := problems(tc.name + "_FILE")
		if plainErr == nil || fileErr == nil || len(plain) == 0 {
			t.Errorf("%s=%q: Load = %v from %s and %v from its file; want both refused", tc.name, tc.bad, plainErr, tc.name, fileErr)
			continue
		}
		if l := strings.Join(plain, "\n"); strings.Contains(l, tc.name+"_FILE:") {
			t.Errorf("%s set itself: check-config names %s_FILE:\n%s", tc.name, tc.name, l)
		}
		var want []string
		for _, l := range plain {
			want = append(want, strings.ReplaceAll(l, tc.name+":", tc.name+"_FILE:"))
		}
		want = slices.DeleteFunc(want, func(l string) bool { return strings.Contains(l, "may be read by group") })
		if !slices.Equal(file, want) {
			t.Errorf("%s from its file: check-config says\n%s\nwant, as from %s but naming %s_FILE:\n%s",
				tc.name, strings.Join(file, "\n"), tc.name, tc.name, strings.Join(want, "\n"))
		}
		if strings.Contains(fileErr.Error(), tc.name+":") {
			t.Errorf("%s from its file: Load = %v, names %s, not %s_FILE", tc.name, fileErr, tc.name, tc.name)
		}
	}
}
