package latipaysim

import (
	"net/http"
	"strings"
)

// walletResponse is the wallet detail answer: the enabled methods as one
// comma-separated text, capitalised as Latipay's plugins receive them.
type walletResponse struct {
	Code          int    `json:"code"`
	Message       string `json:"message"`
	WalletID      string `json:"wallet_id"`
	WalletName    string `json:"wallet_name"`
	Currency      string `json:"currency"`
	PaymentMethod string `json:"payment_method"`
}

// methodNames are the wallet detail spellings of the methods.
var methodNames = map[string]string{"wechat": "Wechat", "alipay": "Alipay", "upi_upop": "UnionPay"}

// handleWallet serves GET /v2/detail/{wallet_id}?user_id=&signature=, the
// wallet detail endpoint (package latipay, Client.WalletDetail); the
// signature is HMAC(api_key, wallet_id + user_id).
//
//	204 user_id or signature missing
//	205 unknown user_id
//	206 wrong signature
//	450 the wallet is not this user's
func (s *Simulator) handleWallet(w http.ResponseWriter, r *http.Request) {
	id, q := r.PathValue("wallet_id"), r.URL.Query()
	user, sig := q.Get("user_id"), q.Get("signature")
	if user == "" || sig == "" {
		writeCode(w, 204, "")
		return
	}
	m := s.merchants[user]
	if m == nil {
		writeCode(w, 205, "")
		return
	}
	if !validSignature(sig, m.APIKey, id+user) {
		writeCode(w, 206, "")
		return
	}
	cur, ok := m.Wallets[id]
	if !ok {
		writeCode(w, 450, "")
		return
	}
	names := make([]string, 0, len(m.Methods))
	for _, pm := range m.Methods {
		names = append(names, cmpOr(methodNames[pm], pm))
	}
	writeJSON(w, http.StatusOK, walletResponse{Code: 0, Message: "SUCCESS", WalletID: id,
		WalletName: "Simulated " + cur + " wallet", Currency: cur, PaymentMethod: strings.Join(names, ",")})
}
