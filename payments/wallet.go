package payments

// WalletCheck is what Latipay says about one configured wallet when the
// owner checks the credentials (the settings page): the methods enabled
// on it, or why the check failed, as a Problem the page puts in words.
type WalletCheck struct {
	Currency Currency
	WalletID string
	Name     string   // Latipay's name for the wallet; "" when not given
	Methods  []string // as Latipay spells them, e.g. "Wechat", "Alipay"
	Problem  WalletProblem
	Code     int // Latipay's error code, when it answered one
}

// WalletProblem is why a wallet check failed; "" when it succeeded.
type WalletProblem string

// The ways a wallet check fails.
const (
	WalletUnreachable WalletProblem = "unreachable"  // no answer from Latipay (network, timeout, 5xx)
	WalletBadKey      WalletProblem = "bad_key"      // the API key does not match the user id
	WalletBadUser     WalletProblem = "unknown_user" // Latipay does not know the user id, or it is disabled
	WalletNotUsers    WalletProblem = "not_users"    // the wallet id is not this user's
	WalletOther       WalletProblem = "other"        // any other refusal; Code says which
)
