package latipaysim

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// amountRE is the grammar the simulator accepts for amounts: plain ASCII
// digits, no sign, no leading zeros, exactly two decimals, at most 12 integer
// digits (so minor units always fit an int64).
var amountRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})\.[0-9]{2}$`)

// parseAmount returns the minor units of a 2 dp amount string, or false.
func parseAmount(s string) (int64, bool) {
	if !amountRE.MatchString(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.Replace(s, ".", "", 1), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// formatCents formats minor units as a 2 dp amount, e.g. 1250 -> "12.50".
func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// rate is a decimal exchange rate kept as its text and as an exact fraction.
type rate struct {
	text string   // as configured, e.g. "4.64490"
	num  *big.Int // text without the point
	den  *big.Int // 10^decimals
}

var rateRE = regexp.MustCompile(`^[0-9]{1,6}(\.[0-9]{1,8})?$`)

func parseRate(s string) (rate, error) {
	if !rateRE.MatchString(s) {
		return rate{}, fmt.Errorf("latipaysim: CNYRate %q is not a plain decimal", s)
	}
	digits, decimals := s, 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		digits, decimals = s[:i]+s[i+1:], len(s)-i-1
	}
	num, _ := new(big.Int).SetString(digits, 10)
	if num.Sign() == 0 {
		return rate{}, fmt.Errorf("latipaysim: CNYRate %q must be positive", s)
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	return rate{text: s, num: num, den: den}, nil
}

// cnyRate returns the rate text reported for a wallet currency: the
// configured rate, or 1 with the same number of decimals for CNY wallets.
func (s *Simulator) cnyRate(currency string) string {
	if currency != "CNY" {
		return s.rate.text
	}
	if i := strings.IndexByte(s.rate.text, '.'); i >= 0 {
		return "1." + strings.Repeat("0", len(s.rate.text)-i-1)
	}
	return "1"
}

// cnyCents converts minor units of currency to fen, rounding half up.
func (s *Simulator) cnyCents(cents int64, currency string) int64 {
	n, _ := parseAmount(s.amountCNY(cents, currency))
	return n
}

// amountCNY converts minor units of currency to CNY, rounding half up, and
// formats the result with 2 dp.
func (s *Simulator) amountCNY(cents int64, currency string) string {
	if currency == "CNY" {
		return formatCents(cents)
	}
	n := new(big.Int).Mul(big.NewInt(cents), s.rate.num)
	n.Mul(n, big.NewInt(2))
	n.Add(n, s.rate.den)
	n.Quo(n, new(big.Int).Mul(s.rate.den, big.NewInt(2)))
	whole, frac := new(big.Int).QuoRem(n, big.NewInt(100), new(big.Int))
	return fmt.Sprintf("%s.%02d", whole, frac.Int64())
}
