package payments

// Device is where the shopper's browser runs, as far as paying goes.
type Device string

// The devices the checkout tells apart.
const (
	DeviceDesktop Device = "desktop"
	DevicePhone   Device = "phone"  // a phone's own browser
	DeviceWeChat  Device = "wechat" // WeChat's in-app browser
	DeviceAlipay  Device = "alipay" // Alipay's in-app browser
)

// Flow is how a method is paid on a device.
type Flow struct {
	Hosted    bool // send the shopper to Latipay's page
	PresentQR bool // Latipay's page shows a WeChat QR (desktop)
}

// FlowFor says how method m can be paid on device d, and whether it can be
// paid there at all (package latipay doc, Endpoints):
//   - desktop: our own QR for WeChat and Alipay (merchant-hosted);
//   - phone browser: Alipay through Latipay's page, which hands off to the
//     Alipay app; WeChat cannot be launched from a phone browser, so we show
//     the QR with a same-phone helper (save the image, scan from album);
//   - WeChat's browser: WeChat Pay through Latipay's page only;
//   - Alipay's browser: Alipay through Latipay's page only;
//   - UnionPay: always Latipay's page.
func FlowFor(d Device, m Method) (Flow, bool) {
	switch {
	case m == MethodUnionPay:
		return Flow{Hosted: true}, d == DeviceDesktop || d == DevicePhone
	case d == DeviceWeChat:
		return Flow{Hosted: true}, m == MethodWeChat
	case d == DeviceAlipay:
		return Flow{Hosted: true}, m == MethodAlipay
	case d == DevicePhone && m == MethodAlipay:
		return Flow{Hosted: true}, true
	case m == MethodWeChat || m == MethodAlipay:
		return Flow{}, true
	}
	return Flow{}, false
}

// MethodsFor lists the offered methods that can be paid on device d.
func MethodsFor(d Device, offered []Method) []Method {
	var out []Method
	for _, m := range offered {
		if _, ok := FlowFor(d, m); ok {
			out = append(out, m)
		}
	}
	return out
}
