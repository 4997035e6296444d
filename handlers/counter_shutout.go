package handlers

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
)

// lockShutOut follows a change of cashier's access made by this request
// (why: a counter.Locked* reason): every counter device they unlocked
// before it is locked now, each recorded as a counter.lock in the audit
// log by the person who made the change, naming the device, the cashier
// and why, and its sockets on this instance are closed so that the till
// shows its unlock screen. It runs to its end even when the browser has
// gone: the change is made.
func (s *Server) lockShutOut(c *gin.Context, cashier accounts.Account, why string) {
	if s.opts.Counter == nil || cashier.ID == "" {
		return
	}
	ctx := context.WithoutCancel(c.Request.Context())
	ds, err := s.opts.Counter.LockShutOut(ctx, cashier.ID)
	name := cashier.Email
	if name == "" {
		name = cashier.ID
	}
	for _, d := range ds {
		s.devices.kick(d.ID)
		_ = s.opts.Accounts.Record(ctx, actor(c), "counter.lock", d.ID, "", counter.LockedDetail(d, name, why))
	}
	if err != nil {
		s.log.Error("counter: locking the devices of a cashier whose access changed", "account_id", cashier.ID, "error", err)
	}
}
