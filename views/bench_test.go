package views

import (
	"context"
	"io"
	"testing"

	"github.com/a-h/templ"
)

// benchCheckout is a checkout page showing a WeChat QR, the heaviest
// state of the page.
func benchCheckout() Checkout {
	return Checkout{
		Page: Page{Title: "Pay Demo Shop", MerchantName: "Demo Shop", CSS: "/static/0123456789ab/css/app.css",
			JS: "/static/0123456789ab/js/checkout.js"},
		ID: "pay_01234567890123456789012345", Amount: Money{Minor: 1250, Currency: "NZD", Exponent: 2}, AmountCNY: "56.25", Rate: "4.50000",
		Description: "Flat white and a muffin", Reference: "order-1042", Status: "pending", Version: 3,
		Methods:  []Method{{Value: "wechat"}, {Value: "alipay"}},
		StartURL: "/checkout/pay_01234567890123456789012345/start", ChooseURL: "/checkout/pay_01234567890123456789012345?choose=1",
		QR: &QR{ImageURL: "/checkout/pay_01234567890123456789012345/qr.png?ref=R0123456789ABCDEF", Method: "wechat",
			Reference: "R0123456789ABCDEF", RefreshAt: "2026-03-01T01:10:00Z", RefreshURL: "/checkout/pay_01234567890123456789012345/refresh"},
		ExpiresAt: "2026-03-01T01:15:00Z", ExpiresText: "01:15", BackURL: "https://shop.example/return",
		StatusURL: "/checkout/pay_01234567890123456789012345/status", PanelURL: "/checkout/pay_01234567890123456789012345/panel",
		SocketURL: "/checkout/pay_01234567890123456789012345/ws?t=1767225600.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
	}
}

// BenchmarkCheckoutPage renders the whole checkout page in English.
func BenchmarkCheckoutPage(b *testing.B) {
	benchRender(b, CheckoutPage(benchCheckout()))
}

// BenchmarkCheckoutPanel renders the live panel the script swaps in.
func BenchmarkCheckoutPanel(b *testing.B) {
	benchRender(b, CheckoutPanel(benchCheckout()))
}

// benchRender renders c in English in a loop.
func benchRender(b *testing.B, c templ.Component) {
	b.Helper()
	cat, err := NewCatalog()
	if err != nil {
		b.Fatal(err)
	}
	ctx := WithLocalizer(context.Background(), cat.Localizer(LangEnglish))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
