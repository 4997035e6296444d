package handlers

import "github.com/gin-gonic/gin"

// reqState is what the middleware and handlers work out about one request,
// kept under one gin key: a key per item boxed a string into an interface
// on every c.Set and took gin's lock on every c.Get, and the language is
// asked for half a dozen times per page.
type reqState struct {
	id       string // request id; see requestLog
	nonce    string // the page's CSP nonce; "" outside pageHeaders
	lang     string // resolveLang's answer; "" until it is asked
	explicit bool   // lang is the shopper's explicit choice
	// release gives back what socketCaps counted for an open socket; a
	// socket that outlives its handler takes it (ws.go).
	release func()
}

const stateKey = "hpp_state"

// state returns the request's state, adding an empty one if the request
// has none yet (a context built without requestLog, in tests).
func state(c *gin.Context) *reqState {
	if v, ok := c.Get(stateKey); ok {
		return v.(*reqState)
	}
	st := &reqState{}
	c.Set(stateKey, st)
	return st
}

func requestID(c *gin.Context) string { return state(c).id }

// query is c.Query(key) without parsing an empty query string: gin's
// parse makes a map for every request, and the checkout page asks for
// half a dozen parameters that a plain load does not carry.
func query(c *gin.Context, key string) string {
	if c.Request.URL.RawQuery == "" {
		return ""
	}
	return c.Query(key)
}
