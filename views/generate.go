// Package views renders the shopper's pages with templ. Components are pure
// functions of the view models in vm.go; handlers fill those in.
package views

//go:generate go tool templ generate
