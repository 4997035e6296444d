/*
 * HPPCheckout: put the hosted payment page on a merchant's own page.
 *
 *   <script src="https://pay.example.com/embed.js"></script>
 *   HPPCheckout.open(checkoutUrl, { onPaid: fn, onFailed: fn, onClose: fn });
 *   HPPCheckout.mount(element, checkoutUrl, { onPaid: fn, ... });
 *
 * Both return { frame, close() }. Callbacks get { paymentId, status,
 * version }. Messages are accepted only from the checkout's own origin and
 * frame and only in the documented shape; the checkout posts them only to
 * an origin registered in HPP_MERCHANT_ORIGINS. Never fulfil an order from
 * onPaid alone: confirm with the webhook or GET /api/v1/payments/{id}.
 * No dependencies; ES5.
 */
(function (w, d) {
  'use strict';
  if (w.HPPCheckout) { return; }
  var failed = { failed: 1, expired: 1, canceled: 1 };

  function frameFor(checkoutUrl) {
    var u = new URL(checkoutUrl, w.location.href);
    u.searchParams.set('embed_origin', w.location.origin);
    var f = d.createElement('iframe');
    f.src = u.href;
    f.title = 'Payment';
    // Top navigation only on a tap: wallet apps and the way back to the shop.
    f.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms allow-popups ' +
      'allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation');
    f.setAttribute('referrerpolicy', 'no-referrer');
    f.style.border = '0';
    f.style.width = '100%';
    f.style.minHeight = '640px';
    f.style.display = 'block';
    return { frame: f, origin: u.origin };
  }

  function call(fn, msg) {
    if (typeof fn === 'function') { try { fn(msg); } catch (e) { setTimeout(function () { throw e; }); } }
  }

  // listen wires the callbacks to the frame's messages; it returns the
  // function that stops listening.
  function listen(f, origin, opts) {
    var last = 0;
    function onMessage(ev) {
      if (ev.origin !== origin || ev.source !== f.contentWindow) { return; }
      var m = ev.data;
      if (!m || m.type !== 'hpp:status' || typeof m.paymentId !== 'string' ||
          typeof m.status !== 'string' || typeof m.version !== 'number' || m.version <= last) { return; }
      last = m.version;
      var msg = { paymentId: m.paymentId, status: m.status, version: m.version };
      call(opts.onStatus, msg);
      if (m.status === 'paid') { call(opts.onPaid, msg); }
      if (failed[m.status]) { call(opts.onFailed, msg); }
    }
    w.addEventListener('message', onMessage);
    return function () { w.removeEventListener('message', onMessage); };
  }

  function mount(el, checkoutUrl, opts) {
    opts = opts || {};
    var x = frameFor(checkoutUrl);
    var stop = listen(x.frame, x.origin, opts);
    el.appendChild(x.frame);
    return {
      frame: x.frame,
      close: function () {
        stop();
        if (x.frame.parentNode) { x.frame.parentNode.removeChild(x.frame); }
      }
    };
  }

  function open(checkoutUrl, opts) {
    opts = opts || {};
    var overlay = d.createElement('div');
    overlay.setAttribute('data-hpp-overlay', '');
    var s = overlay.style;
    s.position = 'fixed'; s.top = s.left = s.right = s.bottom = '0'; s.zIndex = '2147483000';
    s.background = 'rgba(0,0,0,.55)'; s.overflow = 'auto'; s.padding = '16px 8px';
    var box = d.createElement('div');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-label', 'Payment');
    s = box.style;
    s.position = 'relative'; s.maxWidth = '480px'; s.margin = '0 auto'; s.background = '#fff';
    s.borderRadius = '8px'; s.overflow = 'hidden';
    var btn = d.createElement('button');
    btn.type = 'button';
    btn.textContent = '\u00d7';
    btn.setAttribute('aria-label', 'Close');
    s = btn.style;
    s.position = 'absolute'; s.top = '4px'; s.right = '4px'; s.border = '0'; s.background = 'transparent';
    s.fontSize = '28px'; s.lineHeight = '1'; s.cursor = 'pointer'; s.padding = '4px 10px';
    var before = d.activeElement, closed = false, handle;
    function onKey(ev) { if (ev.key === 'Escape') { handle.close(); } }
    handle = mount(box, checkoutUrl, opts);
    box.appendChild(btn);
    overlay.appendChild(box);
    d.body.appendChild(overlay);
    var inner = handle.close;
    handle.close = function () {
      if (closed) { return; }
      closed = true;
      inner();
      d.removeEventListener('keydown', onKey);
      if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
      if (before && before.focus) { before.focus(); }
      call(opts.onClose);
    };
    btn.addEventListener('click', handle.close);
    overlay.addEventListener('click', function (ev) { if (ev.target === overlay) { handle.close(); } });
    d.addEventListener('keydown', onKey);
    btn.focus();
    return handle;
  }

  w.HPPCheckout = { open: open, mount: mount };
})(window, document);
