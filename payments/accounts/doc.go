// Package accounts is the back office's own small domain: the people who
// sign in (owners and cashiers), their sessions, the one-time setup token
// of a first run, and the append-only audit log of what they did.
//
// It is a sibling of package payments rather than part of it: a payment
// never needs to know who looks at it, and the checkout, the callback and
// the merchant API never need an account. Keeping the two apart keeps
// payments free of passwords and sessions, and lets the back office grow
// (cashier devices, invitations) without touching the payment state
// machine. Like payments it imports nothing from this module; its stores
// live beside the payment stores in payments/sqlite and payments/postgres,
// which pass accountstest.Run.
//
// Secrets never reach the store in clear: passwords are kept as argon2id
// hashes (OWASP's parameters: 19 MiB, 2 passes, 1 lane), and session ids
// and setup tokens as their SHA-256, so a copy of the database signs no
// one in.
package accounts
