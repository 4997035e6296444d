// Package payments is the domain of the hosted payment page: payments, their
// attempts at Latipay, the forward-only state machine, and the small
// interfaces the domain consumes (Store, Gateway, Publisher).
//
// It imports nothing from this module. Adapters (the Latipay client, the
// SQLite and PostgreSQL stores, the event hub) live in subpackages and
// import this package for its types.
package payments
