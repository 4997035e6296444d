package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDatabaseSetting: HPP_DATABASE is a SQLite path or a postgres:// URL.
// PostgreSQL's keyword form and other engines' URLs became SQLite files
// named after them; they are refused naming the setting, and neither the
// refusal nor check-config repeats the value (it may hold a password).
func TestDatabaseSetting(t *testing.T) {
	for _, v := range []string{"host=127.0.0.1 port=1 password=CANARY-pw", "dbname=hpp user=hpp", "mysql://hpp:CANARY-pw@db/hpp", "sqlite://hpp.db"} {
		env := map[string]string{"HPP_DATABASE": v}
		_, err := Load(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), "HPP_DATABASE") || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("HPP_DATABASE=%q: Load = %v, want a refusal naming HPP_DATABASE, no password", v, err)
		}
		var out bytes.Buffer
		if err := Check(func(k string) string { return env[k] }, &out); err == nil || strings.Contains(out.String(), "CANARY") {
			t.Errorf("HPP_DATABASE=%q: check-config = %v:\n%s", v, err, out.String())
		}
	}
	for _, v := range []string{"hpp.db", "/data/hpp.db", "./my=data/hpp.db", "postgresql://hpp@db/hpp", "POSTGRES://hpp@db/hpp"} {
		env := map[string]string{"HPP_DATABASE": v}
		if _, err := Load(func(k string) string { return env[k] }); err != nil {
			t.Errorf("HPP_DATABASE=%q: %v", v, err)
		}
	}
}

// TestDatabaseFileSetting: HPP_DATABASE_FILE's content gets HPP_DATABASE's
// checks (it became a SQLite file named after the connection string),
// refused naming HPP_DATABASE_FILE, the content never repeated.
func TestDatabaseFileSetting(t *testing.T) {
	dir := t.TempDir()
	for i, v := range []string{"host=db dbname=hpp password=CANARY-pw", "mysql://u:CANARY-pw@h/db", "postgres://hpp:CANARY-pw@db/hpp", "/data/hpp.db"} {
		f := filepath.Join(dir, strings.Repeat("f", i+1))
		if err := os.WriteFile(f, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"HPP_DATABASE_FILE": f}
		_, err := Load(func(k string) string { return env[k] })
		var out bytes.Buffer
		checkErr := Check(func(k string) string { return env[k] }, &out)
		if i >= 2 {
			if err != nil {
				t.Errorf("HPP_DATABASE_FILE holding %q: %v", v, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "HPP_DATABASE_FILE: ") || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("HPP_DATABASE_FILE holding %q: Load = %v, want a refusal naming HPP_DATABASE_FILE, no password", v, err)
		}
		if checkErr == nil || !strings.Contains(out.String(), "problem: HPP_DATABASE_FILE: ") || strings.Contains(out.String(), "CANARY") {
			t.Errorf("HPP_DATABASE_FILE holding %q: check-config = %v:\n%s", v, checkErr, out.String())
		}
	}
}

// TestStartupChecksInConfig: what start-up refused only after opening the
// database (a trusted proxy that is not an address, and, with check-config
// saying ok, a public URL with a path under which every link misses) is
// refused by Load, before anything is opened, naming the setting.
func TestStartupChecksInConfig(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"HPP_TRUSTED_PROXIES", "notanip", `HPP_TRUSTED_PROXIES: "notanip" is not an IP address or CIDR range`},
		{"HPP_TRUSTED_PROXIES", "10.0.0.0/8, 300.1.1.1", `"300.1.1.1" is not an IP address`},
		{"HPP_PUBLIC_URL", "http://localhost:18495/hpp/", "HPP_PUBLIC_URL: must have no path (/hpp)"},
	} {
		env := map[string]string{tc.name: tc.value}
		_, err := Load(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: Load = %v, want %q", tc.name, tc.value, err, tc.want)
		}
	}
	for _, tc := range []struct{ name, value string }{
		{"HPP_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12, ::1, fd00::/8"},
		{"HPP_PUBLIC_URL", "http://localhost:18495/"},
	} {
		env := map[string]string{tc.name: tc.value}
		if _, err := Load(func(k string) string { return env[k] }); err != nil {
			t.Errorf("%s=%q: %v", tc.name, tc.value, err)
		}
	}
}
