package handlers

// The back office's paths. Every one of its routes is in routes.go.
const (
	AdminPath = "/admin/"
	SetupPath = "/admin/setup"
)
