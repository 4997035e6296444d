package views

import (
	"context"
	"fmt"
)

// Localizer turns message ids into text in one language.
type Localizer interface {
	// Lang is the BCP 47 tag of the language, e.g. "en" or "zh-Hans".
	Lang() string
	// T returns the message for id, formatted with args.
	T(id string, args ...any) string
}

type localizerKey struct{}

// WithLocalizer returns a context whose pages render in l's language.
func WithLocalizer(ctx context.Context, l Localizer) context.Context {
	return context.WithValue(ctx, localizerKey{}, l)
}

// localizer is the typed accessor for the context's Localizer.
func localizer(ctx context.Context) Localizer {
	if l, ok := ctx.Value(localizerKey{}).(Localizer); ok {
		return l
	}
	return English{}
}

// t translates id in the page's language.
func t(ctx context.Context, id string, args ...any) string {
	return localizer(ctx).T(id, args...)
}

func lang(ctx context.Context) string { return localizer(ctx).Lang() }

// English is the fallback Localizer.
type English struct{}

// Lang returns "en".
func (English) Lang() string { return "en" }

// T looks id up in the English catalogue.
func (English) T(id string, args ...any) string {
	msg, ok := english[id]
	if !ok {
		return id
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// english is the source catalogue; every page's text is here.
var english = map[string]string{
	"sandbox.banner":            "Sandbox: no real money moves. Payments are completed by the built-in Latipay simulator.",
	"checkout.title":            "Pay %s",
	"checkout.order":            "Order",
	"checkout.amount":           "Amount",
	"checkout.cny":              "About ¥%s at %s CNY per %s",
	"checkout.choose":           "Choose how to pay",
	"method.wechat":             "WeChat Pay",
	"method.alipay":             "Alipay",
	"method.upi_upop":           "UnionPay",
	"checkout.expires":          "Time left to pay",
	"checkout.until":            "Pay before %s UTC",
	"qr.scan.wechat":            "Open WeChat, tap + then Scan, and scan this code.",
	"qr.scan.alipay":            "Open Alipay, tap Scan, and scan this code.",
	"qr.alt":                    "QR code to pay %s %s with %s",
	"qr.other":                  "Choose another way to pay",
	"qr.waiting":                "Waiting for your payment…",
	"sim.title":                 "Sandbox: simulate the scan",
	"sim.paid":                  "Simulate paid",
	"sim.failed":                "Simulate failed",
	"status.created":            "Waiting for you to choose a payment method",
	"status.pending":            "Waiting for payment",
	"status.paid":               "Payment successful",
	"status.failed":             "Payment failed",
	"status.expired":            "This payment has expired",
	"status.canceled":           "This payment was canceled",
	"status.refunded":           "This payment was refunded",
	"status.partially_refunded": "This payment was partly refunded",
	"failed.retry":              "The payment did not go through. You can try again.",
	"paid.thanks":               "Thank you. Your payment has been received.",
	"paid.late":                 "Your payment arrived after the time limit; the shop has been told.",
	"expired.text":              "The time to pay has run out. Nothing was charged. Please return to the shop to try again.",
	"back":                      "Back to %s",
	"result.confirming":         "Confirming your payment with Latipay…",
	"error.title":               "Something went wrong",
	"error.notfound":            "We could not find this payment. Please check the link or ask the shop for a new one.",
	"error.badlink":             "This payment link is not valid. Please ask the shop for a new one.",
	"error.expiredlink":         "This payment link has expired. Please ask the shop for a new one.",
	"error.conflict":            "This payment link was already used with different details. Please ask the shop for a new one.",
	"error.internal":            "Something went wrong on our side. Please try again in a moment. Reference: %s",
	"error.unavailable":         "Latipay is not answering right now. Please try again in a moment.",
	"error.notpayable":          "This payment can no longer be paid.",
	"error.invalid":             "That request was not valid.",
	"error.toomany":             "Too many attempts for this payment. Please ask the shop for a new link.",
	"error.ratelimited":         "Too many requests. Please wait a moment and try again.",
	"home.title":                "Latipay hosted payment page",
	"home.text":                 "This server shows Latipay checkout pages for %s.",
	"home.demo":                 "Create a demo payment",
	"noscript.refresh":          "This page refreshes by itself every few seconds.",
}
