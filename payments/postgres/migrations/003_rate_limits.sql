-- 003_rate_limits: request budgets shared by every instance on this
-- database (see ratelimit.go). One row per budget key, holding the
-- "theoretical arrival time" of the generic cell rate algorithm, which is
-- a token bucket kept as a single integer: unix microseconds, never a
-- float. A bucket whose tat lies in the past is full, exactly as if it had
-- no row, so rows idle for an hour are deleted now and then.
--
-- UNLOGGED: no WAL, so checks stay cheap; after a crash (or on a
-- standby promoted by failover) the table is empty, which only means
-- every budget starts full again.
CREATE UNLOGGED TABLE rate_limits (
	key text   PRIMARY KEY,
	tat bigint NOT NULL
);
