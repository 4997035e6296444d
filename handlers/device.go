package handlers

import (
	"strings"

	"github.com/latipay-hpp/hpp/payments"
)

// deviceOf tells where the shopper's browser runs from its User-Agent:
// WeChat's and Alipay's in-app browsers name themselves; phones say Mobile,
// Android, iPhone or iPad.
func deviceOf(ua string) payments.Device {
	switch {
	case strings.Contains(ua, "MicroMessenger"):
		return payments.DeviceWeChat
	case strings.Contains(ua, "AlipayClient"):
		return payments.DeviceAlipay
	case strings.Contains(ua, "Mobi"), strings.Contains(ua, "Android"),
		strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
		return payments.DevicePhone
	}
	return payments.DeviceDesktop
}
