package latipaysim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// This file is the simulator's own implementation of Latipay's signatures
// (package latipay, Signatures). It deliberately shares no code with the client package.

// mac returns HMAC-SHA256(key, msg).
func mac(key, msg string) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// sign returns the lower-case hex HMAC-SHA256(key, msg).
func sign(key, msg string) string { return hex.EncodeToString(mac(key, msg)) }

// sortedMessage builds the sorted-parameters pre-image without the key: every parameter
// except signature, empty values dropped, keys in byte order, raw values
// joined as k=v with &.
func sortedMessage(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k != "signature" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// signSorted is the sorted-parameters signature: the sorted message with the key appended.
func signSorted(key string, params map[string]string) string {
	return sign(key, sortedMessage(params)+key)
}

// signResult is the result signature of callbacks, redirects and queries.
func signResult(key, ref, method, status, currency, amount string) string {
	return sign(key, ref+method+status+currency+amount)
}

// signCreateResponse is the create-response signature of the create response.
func signCreateResponse(key, nonce, hostURL string) string {
	return sign(key, nonce+hostURL)
}

// validSignature reports whether got, hex-decoded (either case), equals the
// HMAC of msg. It compares bytes in constant time.
func validSignature(got, key, msg string) bool {
	b, err := hex.DecodeString(got)
	if err != nil || len(b) != sha256.Size {
		return false
	}
	return hmac.Equal(b, mac(key, msg))
}
