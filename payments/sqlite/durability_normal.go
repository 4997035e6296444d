//go:build durabilitytest

package sqlite

// synchronousMode is NORMAL in a build with the durabilitytest tag: a WAL
// commit then returns before the WAL file is fsynced. This build exists
// only as the negative control of e2e TestDurability (it must see "sent"
// acknowledged ahead of an fsync); it is never shipped.
const synchronousMode = "NORMAL"
