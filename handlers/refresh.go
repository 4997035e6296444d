package handlers

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// handleQRRefresh serves POST /checkout/:id/refresh (form: reference): the
// page's script asks for a fresh QR shortly before the shown one runs out
// (payments.QRRefreshAt). The answer is the status JSON; the new QR
// arrives through the usual panel swap when the version moves on.
func (s *Server) handleQRRefresh(svc interface {
	RefreshQR(ctx context.Context, in payments.RefreshInput) (payments.Started, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := svc.RefreshQR(c.Request.Context(), payments.RefreshInput{
			PaymentID: c.Param("id"), Reference: c.PostForm("reference"),
			Device: deviceOf(c.Request.UserAgent()), ClientIP: c.ClientIP(), Lang: s.carriedLang(c),
		})
		if err != nil && st.Payment.ID == "" {
			c.Set("api", true) // the page's script reads JSON here, errors included
			s.respondError(c, err)
			return
		}
		if err != nil {
			s.log.Info("qr refresh failed; the current QR stays", "request_id", requestID(c), "err", err)
		}
		c.JSON(http.StatusOK, statusJSON(st.Payment))
	}
}

// qrExtras adds to a shown QR what depends on the shopper's device and
// language: when to refresh it, and the same-phone WeChat helper.
func (s *Server) qrExtras(c *gin.Context, vm *views.Checkout, p payments.Payment, a payments.Attempt) {
	lang := s.carriedLang(c)
	if at, ok := payments.QRRefreshAt(p, a); ok {
		vm.QR.RefreshAt = at.UTC().Format(time.RFC3339)
		vm.QR.RefreshURL = withLang(CheckoutPath(p.ID)+"/refresh", lang)
	}
	if vm.QR.ReturnTo != "" {
		vm.QR.ReturnTo = withLang(vm.QR.ReturnTo, lang)
	}
	device := deviceOf(c.Request.UserAgent())
	if own, ok := walletMethod(device); ok {
		// Opened inside a wallet's own browser (the link the same-phone
		// helper gives, one a friend sent, or a QR chosen on another
		// device): the wallet pays here through Latipay's page, as a
		// fresh checkout does. Inside the wallet whose QR this is, that
		// is a start of the same method; inside the other wallet, whose
		// browser cannot pay this QR at all, a start of the wallet's own
		// method. Either start replaces this QR as a switch of wallet
		// does (payments.Service.Start): Latipay cancels it first, and a
		// QR already paid makes the page show the payment paid instead.
		f, ok := payments.FlowFor(device, own)
		here := ok && f.Hosted && slices.ContainsFunc(vm.Methods, func(m views.Method) bool { return m.Value == string(own) })
		vm.QR.InWallet = string(own)
		vm.QR.PayHere = here && a.Method == own
		vm.QR.Elsewhere = a.Method != own
		vm.QR.SwitchHere = here && a.Method != own
	}
	if device == payments.DevicePhone && a.Method == payments.MethodWeChat {
		vm.QR.SamePhone = true
		vm.QR.DownloadURL = vm.QR.ImageURL
		// Inside WeChat the language would be WeChat's own: carry the
		// page's, whether chosen or detected.
		vm.QR.OpenURL = s.opts.PublicURL.String() + withLang(CheckoutPath(p.ID), s.chooseLang(c))
		vm.QR.StepImages = [3]string{s.assets.Path("img/step-wechat.svg"), s.assets.Path("img/step-scan.svg"), s.assets.Path("img/step-album.svg")}
	}
}

// walletMethod is the method of the wallet whose own browser d is
// (WeChat Pay inside WeChat, Alipay inside Alipay); false for any other
// browser.
func walletMethod(d payments.Device) (payments.Method, bool) {
	switch d {
	case payments.DeviceWeChat:
		return payments.MethodWeChat, true
	case payments.DeviceAlipay:
		return payments.MethodAlipay, true
	}
	return "", false
}

// localizeCheckout carries the shopper's language in every URL the page
// follows, and adds the in-WeChat guide to Alipay and the in-Alipay guide
// to WeChat Pay.
func (s *Server) localizeCheckout(c *gin.Context, vm *views.Checkout, offered []payments.Method) {
	lang := s.carriedLang(c)
	vm.StartURL = withLang(vm.StartURL, lang)
	vm.ChooseURL = withLang(vm.ChooseURL, lang)
	vm.StatusURL = withLang(vm.StatusURL, lang)
	vm.PanelURL = withLang(vm.PanelURL, lang)
	switch deviceOf(c.Request.UserAgent()) {
	case payments.DeviceWeChat:
		vm.AlipayElsewhere = slices.Contains(offered, payments.MethodAlipay)
	case payments.DeviceAlipay:
		vm.WeChatElsewhere = slices.Contains(offered, payments.MethodWeChat)
	}
}
