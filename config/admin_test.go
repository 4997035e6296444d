package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminOwner: HPP_ADMIN_EMAIL with HPP_ADMIN_PASSWORD_FILE gives the
// first owner; one without the other, or a password the back office would
// refuse (short, common), is refused at start-up, naming the setting and
// never the password.
func TestAdminOwner(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, short := write("good", "CANARY-correct horse battery\n"), write("short", "CANARY-x\n")
	common := write("common", "Password1234\n") // long enough, but among the first tried
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	c, err := Load(env(map[string]string{"HPP_ADMIN_EMAIL": "owner@shop.example", "HPP_ADMIN_PASSWORD_FILE": good}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.AdminEmail != "owner@shop.example" || c.AdminPassword.Reveal() != "CANARY-correct horse battery" {
		t.Fatalf("admin = %q, %q", c.AdminEmail, c.AdminPassword.Reveal())
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"email alone":     {map[string]string{"HPP_ADMIN_EMAIL": "owner@shop.example"}, "HPP_ADMIN_PASSWORD_FILE"},
		"password alone":  {map[string]string{"HPP_ADMIN_PASSWORD_FILE": good}, "HPP_ADMIN_EMAIL"},
		"short password":  {map[string]string{"HPP_ADMIN_EMAIL": "owner@shop.example", "HPP_ADMIN_PASSWORD_FILE": short}, "at least 12"},
		"common password": {map[string]string{"HPP_ADMIN_EMAIL": "owner@shop.example", "HPP_ADMIN_PASSWORD_FILE": common}, "HPP_ADMIN_PASSWORD_FILE: the owner's password is refused: it is one of the most common passwords"},
		"not an email":    {map[string]string{"HPP_ADMIN_EMAIL": "owner", "HPP_ADMIN_PASSWORD_FILE": good}, "email address"},
	} {
		_, err := Load(env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Load = %v, want an error naming %q", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "CANARY") {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
}
