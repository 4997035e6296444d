// Live status for the checkout page: a websocket with reconnect and
// backoff, HTTP polling while the socket is down, and a re-check whenever
// the page becomes visible again. The server renders every state; this
// script only swaps the status panel in place when the version moves on.
(function () {
  'use strict';
  // Esc inside the frame never reaches the merchant's page: pass it up,
  // to the same registered origin only (the server vouched for it in
  // data-embed-origin, on the checkout and on its error pages alike), so
  // embed.js's dialog can close.
  var embedded = document.querySelector('[data-embed-origin]');
  var embedOrigin = embedded ? embedded.getAttribute('data-embed-origin') : '';
  if (embedOrigin && window.parent !== window) {
    document.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape' || e.defaultPrevented) { return; }
      try { window.parent.postMessage({ type: 'hpp:escape' }, embedOrigin); } catch (err) { /* nothing to tell */ }
    });
  }
  var root = document.getElementById('checkout');
  if (!root) { return; }
  var panel = document.getElementById('panel');
  var announce = document.getElementById('announce');
  var version = Number(root.getAttribute('data-version')) || 0;
  var statusURL = root.getAttribute('data-status-url');
  var panelURL = root.getAttribute('data-panel-url');
  var socketPath = root.getAttribute('data-socket-url');
  var finals = ['paid', 'expired', 'canceled', 'refunded', 'partially_refunded'];
  var shownWallet = '';
  var ws = null, backoff = 1000, pollTimer = null, reconnectTimer = null, loading = false, loadAgain = false;
  // Embedded: tell the merchant's page about each status, but only when
  // the server vouched for its origin (registered in HPP_MERCHANT_ORIGINS),
  // and only to that origin, never '*'.
  var paymentId = root.getAttribute('data-payment-id');

  function notifyParent() {
    if (!embedOrigin || window.parent === window) { return; }
    try {
      window.parent.postMessage({ type: 'hpp:status', paymentId: paymentId, status: current(), version: version }, embedOrigin);
    } catch (e) { /* a parent on another origin simply gets nothing */ }
  }

  function current() {
    var s = panel.querySelector('[data-testid="status"]');
    return s ? s.getAttribute('data-status') : '';
  }
  function isFinal() { return finals.indexOf(current()) >= 0; }
  // wallet is the method of the QR shown, '' when none.
  function wallet() {
    var q = panel.querySelector('[data-testid="qr-block"][data-method]');
    return q ? q.getAttribute('data-method') : '';
  }

  // The offline notice: shown while neither the socket nor a status
  // check reaches the server, cleared as soon as one does. A socket that
  // closes is not enough on its own (the check may still get through,
  // and then the page is live by polling); the browser saying it is
  // offline is.
  var offline = document.getElementById('offline');
  function socketOpen() { return !!ws && ws.readyState === 1; }
  function setOffline(on) {
    if (!offline) { return; }
    var text = on && !isFinal() ? offline.getAttribute('data-text') : '';
    if (offline.textContent !== text) { offline.textContent = text; }
  }

  function onState(st) {
    if (st && typeof st.version === 'number' && st.version > version) { refresh(); }
  }

  function refresh() {
    // A push that arrives while a panel is loading is not dropped: the
    // load in flight may be older than it, so load once more afterwards.
    if (loading) { loadAgain = true; return; }
    loading = true;
    loadAgain = false;
    fetch(panelURL, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) { throw new Error('panel ' + r.status); } return r.text(); })
      .then(function (html) {
        var tmp = document.createElement('div');
        tmp.innerHTML = html;
        var s = tmp.querySelector('[data-testid="status"]');
        var v = s ? Number(s.getAttribute('data-version')) : 0;
        if (v <= version) { return; }
        version = v;
        var before = current();
        // Focus inside the panel is lost with the elements it was on:
        // it goes to the new status's heading, not to the page's start.
        var hadFocus = panel.contains(document.activeElement);
        panel.innerHTML = html;
        // The yuan estimate is for choosing and paying: once paid (or
        // ended) the receipt states the amount charged, and the page
        // drops the estimate as the server does on a reload.
        var screen = s.getAttribute('data-screen');
        if (screen !== 'open' && screen !== 'failed') {
          Array.prototype.forEach.call(root.querySelectorAll('.order [data-testid="amount-cny"], .order [data-testid="cny-note"]'), function (e) {
            e.parentNode.removeChild(e);
          });
        }
        var title = s.getAttribute('data-title');
        if (title) {
          document.title = title;
          // Without a description the h1 says the state, as the title.
          var h1 = document.getElementById('state-heading');
          if (h1) { h1.textContent = title; }
        }
        // Announce a status change once; a swapped-in fresh QR is not one,
        // but a QR of another wallet than the last shown (chosen in another
        // tab, through states in between) is.
        var w = wallet();
        if (w && shownWallet && w !== shownWallet) {
          announce.textContent = panel.querySelector('[data-testid="qr-block"]').getAttribute('data-changed');
        } else if (current() !== before) {
          announce.textContent = s.textContent.trim();
        }
        if (w) { shownWallet = w; }
        wire();
        if (hadFocus) {
          var h = document.getElementById('status-heading');
          if (h) { h.focus(); }
        }
        notifyParent();
        setOffline(false);
        if (isFinal()) { stop(); }
      })
      .catch(function () { /* the next poll or push tries again */ })
      .then(function () { loading = false; if (loadAgain) { refresh(); } });
  }

  function check() {
    fetch(statusURL, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { setOffline(!r.ok && !socketOpen()); return r.ok ? r.json() : null; })
      .then(onState)
      .catch(function () { setOffline(!socketOpen()); });
  }

  function startPolling() {
    if (!pollTimer && !isFinal()) { pollTimer = setInterval(check, 3000); }
  }
  function stopPolling() {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  function connect() {
    if (ws || isFinal() || !socketPath || !window.WebSocket) { startPolling(); return; }
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    try { ws = new WebSocket(scheme + location.host + socketPath); } catch (e) { ws = null; startPolling(); return; }
    ws.onopen = function () { backoff = 1000; stopPolling(); setOffline(false); };
    ws.onmessage = function (ev) {
      try { onState(JSON.parse(ev.data)); } catch (e) { /* ignore malformed */ }
    };
    ws.onclose = function () {
      ws = null;
      if (isFinal()) { return; }
      if (navigator.onLine === false) { setOffline(true); } else { check(); }
      startPolling();
      var wait = Math.min(backoff, 30000) * (0.5 + Math.random() / 2);
      backoff = Math.min(backoff * 2, 30000);
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, wait);
    };
  }

  function stop() {
    stopPolling();
    clearTimeout(reconnectTimer);
    if (ws) { ws.onclose = null; ws.close(1000); ws = null; }
  }

  function wake() {
    if (isFinal()) { return; }
    check();
    if (!ws) { backoff = 1000; connect(); }
  }

  var warned = '';
  // Countdown: the server renders the deadline, a time of day; this
  // makes it the time left, ticking, and labels it so (data-left).
  function tick() {
    var el = panel.querySelector('.countdown time[datetime]');
    if (!el) { return; }
    var label = el.parentNode.querySelector('[data-left]');
    if (label && label.textContent !== label.getAttribute('data-left')) { label.textContent = label.getAttribute('data-left'); }
    var left = Math.max(0, Math.floor((Date.parse(el.getAttribute('datetime')) - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    el.textContent = m + ':' + (s < 10 ? '0' : '') + s;
    // The last minute is said once per deadline (also when the page
    // opens with less left), not the expiry alone at 0:00.
    var at = el.getAttribute('datetime');
    if (left > 0 && left < 60 && warned !== at && label && label.getAttribute('data-warn') && !isFinal()) {
      warned = at;
      announce.textContent = label.getAttribute('data-warn');
    }
    if (left === 0 && !isFinal()) { check(); }
    refreshQR();
  }

  // Sandbox buttons: complete the payment without leaving the page, so the
  // live push is what changes it.
  function wire() {
    // The server writes what holds without script ("press Check the
    // payment status"); with it the page updates itself, and says so.
    Array.prototype.forEach.call(panel.querySelectorAll('[data-js-text]'), function (p) {
      p.textContent = p.getAttribute('data-js-text');
      p.removeAttribute('data-js-text');
    });
    var forms = panel.querySelectorAll('.simulate form');
    Array.prototype.forEach.call(forms, function (f) {
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = new URLSearchParams();
        body.set('merchant_reference', f.elements.merchant_reference.value);
        body.set('status', ev.submitter ? ev.submitter.value : 'paid');
        fetch(f.action, { method: 'POST', body: body, credentials: 'same-origin' }).catch(function () {});
      });
    });
    wireHelper();
    fitQR();
    tick();
  }

  // The QR fills its box: the largest whole number of device pixels per
  // module that fits the box (the image's container, at most data-box CSS
  // px), drawn by the server at exactly that size (qr.png?scale=) and shown
  // at that many device pixels, so no screen resamples it. Without this
  // script the server's size with its 2x/3x srcset stays.
  function fitQR() {
    Array.prototype.forEach.call(panel.querySelectorAll('img[data-modules][data-src]'), function (img) {
      var n = Number(img.getAttribute('data-modules')), cap = Number(img.getAttribute('data-box'));
      var box = img.parentElement, cs = getComputedStyle(box);
      var width = box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      if (cap > 0) { width = Math.min(width, cap); }
      var dpr = window.devicePixelRatio || 1;
      var k = Math.floor(width * dpr / n + 1e-6);
      if (!n || k < 1 || img.getAttribute('data-scale') === String(k)) { return; }
      img.setAttribute('data-scale', String(k));
      img.style.width = img.style.height = (n * k / dpr) + 'px';
      img.removeAttribute('srcset');
      img.src = img.getAttribute('data-src') + '&scale=' + k;
    });
  }
  var fitting = false;
  window.addEventListener('resize', function () {
    if (fitting) { return; }
    fitting = true;
    requestAnimationFrame(function () { fitting = false; fitQR(); });
  });

  // Same-phone helper: copy the payment link (the input stays selectable
  // without script); and the QR refresh shortly before the code runs out.
  function wireHelper() {
    Array.prototype.forEach.call(panel.querySelectorAll('[data-copy]'), function (b) {
      var input = document.getElementById(b.getAttribute('data-copy'));
      var note = panel.querySelector('.copied');
      if (!input) { return; }
      b.hidden = false;
      b.addEventListener('click', function () {
        var done = function () { if (note) { note.textContent = b.getAttribute('data-copied'); } };
        input.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () {
            try { if (document.execCommand('copy')) { done(); } } catch (e) { /* selected for manual copy */ }
          });
        } else {
          try { if (document.execCommand('copy')) { done(); } } catch (e) { /* selected for manual copy */ }
        }
      });
    });
    refreshAsked = false;
  }

  var refreshAsked = false;
  function refreshQR() {
    var q = panel.querySelector('[data-refresh-at]');
    if (!q || refreshAsked || document.visibilityState === 'hidden') { return; }
    var at = Date.parse(q.getAttribute('data-refresh-at'));
    var url = q.getAttribute('data-refresh-url');
    if (!url || isNaN(at) || Date.now() < at) { return; }
    refreshAsked = true;
    var body = new URLSearchParams();
    body.set('reference', q.getAttribute('data-reference') || '');
    fetch(url, { method: 'POST', body: body, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(onState)
      .catch(function () {})
      .then(function () { setTimeout(function () { refreshAsked = false; }, 15000); });
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { wake(); }
  });
  window.addEventListener('pageshow', function (ev) { if (ev.persisted) { wake(); } });
  window.addEventListener('online', wake);
  window.addEventListener('offline', function () { if (!isFinal()) { setOffline(true); } });
  window.addEventListener('pagehide', function () {
    if (ws) { ws.onclose = null; ws.close(1000); ws = null; }
  });
  setInterval(tick, 1000);
  shownWallet = wallet();
  wire();
  notifyParent();
  connect();
})();
