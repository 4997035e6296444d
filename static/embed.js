/*
 * HPPCheckout: put the hosted payment page on a merchant's own page.
 *
 *   <script src="https://pay.example.com/embed.js"></script>
 *   HPPCheckout.open(checkoutUrl, { onPaid: fn, onFailed: fn, onClose: fn, lang: 'zh-Hans' });
 *   HPPCheckout.mount(element, checkoutUrl, { onPaid: fn, ... });
 *
 * Both return { frame, close() }. Callbacks get { paymentId, status,
 * version }. open is a modal dialog: the page behind is inert, Tab stays
 * between the checkout and the close button, Esc closes it (from inside
 * the checkout too, which posts hpp:escape), focus then goes back; while
 * one is open, open returns it. lang (en, zh-Hans, zh-Hant) sets the
 * checkout's and the dialog's language; else the checkout URL's lang, then
 * the browser's, as the checkout chooses.
 * Messages are accepted only from the checkout's own origin and
 * frame and only in the documented shape; the checkout posts them only to
 * an origin registered in HPP_MERCHANT_ORIGINS. Never fulfil an order from
 * onPaid alone: confirm with the webhook or GET /api/v1/payments/{id}.
 * No dependencies; ES5.
 */
(function (w, d) {
  'use strict';
  if (w.HPPCheckout) { return; }
  var failed = { failed: 1, expired: 1, canceled: 1 };
  // The dialog's own names, in the checkout's three languages.
  var words = {
    en: { dialog: 'Payment', frame: 'Payment page', close: 'Close' },
    'zh-Hans': { dialog: '\u4ed8\u6b3e', frame: '\u4ed8\u6b3e\u9875\u9762', close: '\u5173\u95ed' },
    'zh-Hant': { dialog: '\u4ed8\u6b3e', frame: '\u4ed8\u6b3e\u9801\u9762', close: '\u95dc\u9589' }
  };
  var current = null; // the open dialog's handle

  // langOf maps a language tag to one of the checkout's languages, or ''.
  function langOf(tag) {
    var t = String(tag || '').toLowerCase().replace(/_/g, '-');
    if (t === 'en' || t.indexOf('en-') === 0) { return 'en'; }
    if (t !== 'zh' && t.indexOf('zh-') !== 0) { return ''; }
    return /^zh-(hant|tw|hk|mo)\b/.test(t) ? 'zh-Hant' : 'zh-Hans';
  }

  // chooseLang is the option, else the checkout URL's lang, else the
  // browser's first language the checkout speaks (what Accept-Language
  // tells the checkout), else English.
  function chooseLang(u, opts) {
    var l = langOf(opts.lang) || langOf(u.searchParams.get('lang'));
    var prefs = w.navigator.languages || [w.navigator.language];
    for (var i = 0; !l && i < prefs.length; i++) { l = langOf(prefs[i]); }
    return l || 'en';
  }

  function frameFor(checkoutUrl, opts) {
    var u = new URL(checkoutUrl, w.location.href);
    var lang = chooseLang(u, opts);
    u.searchParams.set('embed_origin', w.location.origin);
    if (opts.lang) { u.searchParams.set('lang', lang); }
    var f = d.createElement('iframe');
    f.src = u.href;
    f.title = words[lang].frame;
    // Top navigation only on a tap: wallet apps and the way back to the shop.
    f.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms allow-popups ' +
      'allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation');
    f.setAttribute('referrerpolicy', 'no-referrer');
    f.style.border = '0';
    f.style.width = '100%';
    f.style.minHeight = '640px';
    f.style.display = 'block';
    return { frame: f, origin: u.origin, lang: lang };
  }

  function call(fn, msg) {
    if (typeof fn === 'function') { try { fn(msg); } catch (e) { setTimeout(function () { throw e; }); } }
  }

  // listen wires the callbacks to the frame's messages (onEscape to the
  // checkout's Esc); it returns the function that stops listening.
  function listen(f, origin, opts, onEscape) {
    var last = 0;
    function onMessage(ev) {
      if (ev.origin !== origin || ev.source !== f.contentWindow) { return; }
      var m = ev.data;
      if (m && m.type === 'hpp:escape') { call(onEscape); return; }
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

  function mount(el, checkoutUrl, opts, onEscape) {
    opts = opts || {};
    var x = frameFor(checkoutUrl, opts);
    var stop = listen(x.frame, x.origin, opts, onEscape);
    el.appendChild(x.frame);
    return {
      frame: x.frame,
      lang: x.lang,
      close: function () {
        stop();
        if (x.frame.parentNode) { x.frame.parentNode.removeChild(x.frame); }
      }
    };
  }

  // guard is an invisible stop at either end of the dialog: reaching it
  // with Tab sends focus round to the other end.
  function guard(onFocus) {
    var g = d.createElement('span');
    g.tabIndex = 0;
    g.setAttribute('data-hpp-guard', '');
    g.style.position = 'absolute'; g.style.width = g.style.height = '1px'; g.style.overflow = 'hidden';
    g.addEventListener('focus', onFocus);
    return g;
  }

  function open(checkoutUrl, opts) {
    if (current) { current.frame.focus(); return current; }
    opts = opts || {};
    var overlay = d.createElement('div');
    overlay.setAttribute('data-hpp-overlay', '');
    var s = overlay.style;
    s.position = 'fixed'; s.top = s.left = s.right = s.bottom = '0'; s.zIndex = '2147483000';
    s.background = 'rgba(0,0,0,.55)'; s.overflow = 'auto'; s.padding = '16px 8px';
    var box = d.createElement('div');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    s = box.style;
    s.position = 'relative'; s.maxWidth = '480px'; s.margin = '0 auto'; s.background = '#fff';
    s.borderRadius = '8px'; s.overflow = 'hidden';
    s.border = '2px solid transparent'; // drawn in forced colours
    var btn = d.createElement('button');
    btn.type = 'button';
    btn.textContent = '\u00d7';
    btn.setAttribute('data-hpp-close', '');
    s = btn.style;
    // A transparent border, so forced colours draw the button's edge.
    s.position = 'absolute'; s.top = '4px'; s.right = '4px'; s.border = '1px solid transparent';
    s.background = 'transparent'; s.fontSize = '28px'; s.lineHeight = '1'; s.cursor = 'pointer'; s.padding = '3px 9px';
    var before = d.activeElement, closed = false, handle, inerted = [];
    function onKey(ev) { if (ev.key === 'Escape') { handle.close(); } }
    handle = mount(box, checkoutUrl, opts, function () { handle.close(); });
    var names = words[handle.lang];
    box.setAttribute('lang', handle.lang);
    box.setAttribute('aria-label', names.dialog);
    btn.setAttribute('aria-label', names.close);
    box.appendChild(btn);
    overlay.appendChild(guard(function () { btn.focus(); }));
    overlay.appendChild(box);
    overlay.appendChild(guard(function () { handle.frame.focus(); }));
    // The page behind is out of reach (and of screen readers) while the
    // dialog is open; what was inert already stays so after.
    for (var i = 0; i < d.body.children.length; i++) {
      var el = d.body.children[i];
      if (!el.inert && el.tagName !== 'SCRIPT') { el.inert = true; inerted.push(el); }
    }
    d.body.appendChild(overlay);
    var inner = handle.close;
    handle.close = function () {
      if (closed) { return; }
      closed = true;
      current = null;
      inner();
      d.removeEventListener('keydown', onKey);
      for (var i = 0; i < inerted.length; i++) { inerted[i].inert = false; }
      if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
      if (before && before.focus) { before.focus(); }
      call(opts.onClose);
    };
    btn.addEventListener('click', handle.close);
    overlay.addEventListener('click', function (ev) { if (ev.target === overlay) { handle.close(); } });
    d.addEventListener('keydown', onKey);
    btn.focus();
    current = handle;
    return handle;
  }

  w.HPPCheckout = { open: open, mount: mount };
})(window, document);
