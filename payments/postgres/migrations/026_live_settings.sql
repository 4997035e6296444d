-- 026_live_settings: live mode only, as sandbox_settings is the sandbox's.
-- Live start-up marks its database here (HPP_LIVE_SINCE) before writing
-- anything else, so the sandbox refuses a live shop's database even while
-- it only awaits its owner's setup. The sandbox never writes here.
CREATE TABLE live_settings (
	name  text PRIMARY KEY,
	value text NOT NULL
);
