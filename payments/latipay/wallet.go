package latipay

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/latipay-hpp/hpp/payments"
)

// Wallet is Latipay's answer about one wallet: the payment methods enabled
// on it, as Latipay spells them (e.g. "Wechat", "Alipay"), and, when
// Latipay says so, the wallet's name and currency.
type Wallet struct {
	WalletID string
	Name     string
	Currency string
	Methods  []string
}

// WalletDetail calls GET {base}/v2/detail/{wallet_id}?user_id=…&signature=…,
// the wallet detail endpoint: not in Latipay's public documentation, it is
// what Latipay's own shop plugins (WooCommerce, OpenCart) call to list the
// methods a wallet takes. Its request signature is the HMAC-SHA256, keyed
// by the API key, of wallet_id and user_id concatenated with nothing
// between them. Its answer is {"code":0,"payment_method":"Wechat,Alipay",...}
// and carries no signature of its own; it decides nothing about money, so
// it is used only to check the credentials and show the owner the wallet.
// A wrong key is Latipay's code 206, an unknown user 205, a wallet of
// another user 450: each an *APIError.
func (c *Client) WalletDetail(ctx context.Context, walletID string) (Wallet, error) {
	const op = "wallet detail"
	if walletID == "" || strings.ContainsAny(walletID, "/?#% ") {
		return Wallet{}, errorf(op, ErrInvalidRequest, "wallet_id")
	}
	q := url.Values{}
	q.Set("user_id", c.userID)
	q.Set("signature", WalletDetailSignature(c.key.s, walletID, c.userID))
	b, err := c.call(ctx, op, c.timeout.query, http.MethodGet, c.endpoint("/v2/detail/"+url.PathEscape(walletID)+"?"+q.Encode()), nil)
	if err != nil {
		return Wallet{}, err
	}
	obj, _, err := c.parseResponse(op, b)
	if err != nil {
		return Wallet{}, err
	}
	f, err := obj.strings(op, "payment_method", "wallet_id", "wallet_name", "currency")
	if err != nil {
		return Wallet{}, err
	}
	w := Wallet{WalletID: walletID, Name: f[2], Currency: f[3]}
	if f[1] != "" && f[1] != walletID {
		return Wallet{}, errorf(op, ErrMalformed, "answer is for another wallet")
	}
	for _, m := range strings.Split(f[0], ",") {
		if m = strings.TrimSpace(m); m != "" {
			w.Methods = append(w.Methods, m)
		}
	}
	return w, nil
}

// WalletDetailSignature is the wallet detail request's signature:
// hex HMAC-SHA256(apiKey, walletID + userID).
func WalletDetailSignature(apiKey, walletID, userID string) string {
	return mac(apiKey, walletID+userID)
}

// CheckWallets asks Latipay about every configured wallet, in the order
// NZD, AUD, CNY, and says for each what is enabled or what is wrong.
func (g *Gateway) CheckWallets(ctx context.Context) []payments.WalletCheck {
	var out []payments.WalletCheck
	for _, cur := range payments.Currencies {
		id, ok := g.wallets[cur]
		if !ok {
			continue
		}
		wc := payments.WalletCheck{Currency: cur, WalletID: id}
		w, err := g.c.WalletDetail(ctx, id)
		var ae *APIError
		switch {
		case err == nil:
			wc.Name, wc.Methods = w.Name, w.Methods
		case errors.As(err, &ae):
			wc.Code = ae.Code
			switch ae.Code {
			case 206:
				wc.Problem = payments.WalletBadKey
			case 110, 205:
				wc.Problem = payments.WalletBadUser
			case 301, 450:
				wc.Problem = payments.WalletNotUsers
			default:
				wc.Problem = payments.WalletOther
			}
		case errors.Is(err, ErrUnavailable):
			wc.Problem = payments.WalletUnreachable
		default:
			wc.Problem = payments.WalletOther
		}
		out = append(out, wc)
	}
	return out
}
