package accounts

// HoldForTest takes one hashing slot until the returned func is called.
func (h *Hasher) HoldForTest() func() {
	h.slots <- struct{}{}
	return h.release
}

// DummyForTest is the hash an unknown email is checked against.
func (h *Hasher) DummyForTest() string { return h.dummy }
