package views

import (
	"context"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

func itoa(n int) string     { return strconv.Itoa(n) }
func i64toa(n int64) string { return strconv.FormatInt(n, 10) }

// Money and rates are formatted per language by golang.org/x/text (CLDR
// data), not by hand: grouping separators, and the currency's symbol in
// the form that language's readers tell apart from other dollars and yen
// ("NZ$ 1,234,567.89", "A$" in English, "AU$" in Chinese, "CN¥" or "￥").
//
// The printer takes a float64. That is exact enough for display: amounts
// are capped at 10^12 minor units (payments.ParseAmount), below 2^53, so
// the float nearest minor/100 rounds back to the same two decimals. No
// arithmetic is ever done on the float.

// printer is the message printer of the page's language.
func printer(ctx context.Context) *message.Printer {
	tag, err := language.Parse(lang(ctx))
	if err != nil {
		tag = language.English
	}
	return message.NewPrinter(tag)
}

// formatMoney writes m in the page's language: "NZ$ 1,234,567.89".
func formatMoney(ctx context.Context, m Money) string {
	return moneyWith(printer(ctx), m)
}

// MoneyIn is formatMoney in language tag, for text sent as JSON.
func MoneyIn(tag string, m Money) string {
	t, err := language.Parse(tag)
	if err != nil {
		t = language.English
	}
	return moneyWith(message.NewPrinter(t), m)
}

func moneyWith(p *message.Printer, m Money) string {
	v := float64(m.Minor)
	for range m.Exponent {
		v /= 10
	}
	unit, err := currency.ParseISO(m.Currency)
	if err != nil { // not an ISO code: the number and the text as given
		return p.Sprint(number.Decimal(v, number.Scale(m.Exponent))) + " " + m.Currency
	}
	return p.Sprint(currency.Symbol(unit.Amount(v)))
}

// formatDecimal writes Latipay's decimal text s (a rate) with the
// language's grouping and at most maxFrac decimals: the rate "4.832151"
// reads "4.8322". Text that is not a number is shown as sent.
func formatDecimal(ctx context.Context, s string, maxFrac int) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return printer(ctx).Sprint(number.Decimal(v, number.MaxFractionDigits(maxFrac)))
}

// rateText is Latipay's rate of one unit of the order's currency cur in
// yuan, written the one way the checkout, the display and the receipts
// give it: "1 NZD = 4.8322 CNY". Beside the order's currency code the
// yuan is named by its code too, in every language (the amount itself
// shows ¥).
func rateText(ctx context.Context, cur, rate string) string {
	return "1 " + cur + " = " + formatDecimal(ctx, rate, 4) + " CNY"
}

// formatYuan writes Latipay's yuan text (the estimate beside an NZD or
// AUD amount) exactly as formatMoney writes a yuan amount, symbol
// included, so that a page never shows the yuan two ways: "CN¥ 12,345.60"
// in English and Traditional Chinese, "￥ 12,345.60" in Simplified
// Chinese. Text that is not a number is shown as sent.
func formatYuan(ctx context.Context, s string) string {
	return yuanWith(printer(ctx), s)
}

// YuanIn is formatYuan in language tag, for text sent as JSON (the
// counter's estimate beside a sale's amount).
func YuanIn(tag, s string) string {
	t, err := language.Parse(tag)
	if err != nil {
		t = language.English
	}
	return yuanWith(message.NewPrinter(t), s)
}

func yuanWith(p *message.Printer, s string) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || math.Abs(v) > 1e13 {
		return s
	}
	return moneyWith(p, Money{Minor: int64(math.Round(v * 100)), Currency: "CNY", Exponent: 2})
}

// AmountIn writes an amount as the back office shows it, in language
// tag: the currency's code, then the number grouped as that language
// groups it ("NZD 9,999,999.99"). text is the plain decimal the exports
// and the API write (payments.FormatAmount); its decimals are kept. Text
// that is not a number is shown as given. Every amount on a back-office
// page goes through it or NumberIn, so NZD and AUD read like the yuan
// beside them (formatYuan); the exports keep the plain numbers.
func AmountIn(tag, cur, text string) string {
	return cur + " " + NumberIn(tag, text)
}

// NumberIn is AmountIn's number alone, for a table whose currency is a
// column of its own (the reports' totals): "10,002,218.79".
func NumberIn(tag, text string) string {
	t, err := language.Parse(tag)
	if err != nil {
		t = language.English
	}
	return numberWith(message.NewPrinter(t), text)
}

func numberWith(p *message.Printer, text string) string {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || math.Abs(v) > 1e13 {
		return text
	}
	scale := 0
	if _, frac, ok := strings.Cut(text, "."); ok {
		scale = len(frac)
	}
	return p.Sprint(number.Decimal(v, number.Scale(scale)))
}

// formatAmount is AmountIn in the page's language.
func formatAmount(ctx context.Context, cur, text string) string {
	return cur + " " + numberWith(printer(ctx), text)
}

// formatNumber is NumberIn in the page's language.
func formatNumber(ctx context.Context, text string) string {
	return numberWith(printer(ctx), text)
}
