// The back office's live feed: a websocket (GET /admin/feed, the owner's
// session) that says which payment changed. Each message carries the
// feed's entry rendered by the server, which goes to the top of the home
// page's feed; then every element marked data-refresh (the home's totals,
// attention and chart; the payments list's table) is fetched again from
// this same URL and swapped in place, so rows change and new payments
// appear with the page's own filters applied by the server. Reconnects
// with backoff; nothing here builds HTML from data.
//
// The payment page's refund: the server renders the form on the page,
// which works without script. Here it moves into a modal <dialog> opened
// by a button: focus goes to the amount, Escape or "Go back" closes it
// and focus returns to the button; a refused refund opens it on the field
// the server marked; the amount with its currency is
// restated as it is typed; once sent, the submit button is disabled and
// a second submit is dropped (the server's idempotency key is the
// guarantee; this is the courtesy).
(function () {
  'use strict';
  var form = document.querySelector('form[data-refund-form]');
  if (!form) { return; }
  var submit = form.querySelector('[data-refund-submit]');
  var dialog = document.querySelector('dialog[data-refund-dialog]');
  var opener = document.querySelector('[data-refund-open]');
  var busy = false;
  form.addEventListener('submit', function (ev) {
    if (busy) { ev.preventDefault(); return; }
    busy = true;
    if (submit) {
      submit.disabled = true;
      submit.setAttribute('aria-disabled', 'true');
      var label = submit.getAttribute('data-busy');
      if (label) { submit.textContent = label; }
    }
  });
  // A page restored from the back/forward cache sends again.
  window.addEventListener('pageshow', function (ev) {
    if (!ev.persisted || !submit) { return; }
    busy = false;
    submit.disabled = false;
    submit.removeAttribute('aria-disabled');
  });
  if (!dialog || !opener || typeof dialog.showModal !== 'function') { return; }
  var amount = form.querySelector('input[name="amount"]');
  var restate = form.querySelector('[data-refund-restate]');
  var line = form.querySelector('[data-refund-restate-line]');
  var closer = form.querySelector('[data-refund-close]');
  dialog.appendChild(form);
  opener.hidden = false;
  if (line) { line.hidden = false; }
  if (closer) { closer.hidden = false; }
  function update() {
    if (restate && amount) {
      restate.textContent = (restate.getAttribute('data-currency') || '') + ' ' + (amount.value.trim() || '0');
    }
  }
  if (amount) { amount.addEventListener('input', update); }
  opener.addEventListener('click', function () {
    update();
    dialog.showModal();
    if (amount) { amount.focus(); }
  });
  if (closer) { closer.addEventListener('click', function () { dialog.close(); }); }
  dialog.addEventListener('cancel', function (ev) {
    if (busy) { ev.preventDefault(); } // the refund is on its way: stay and show it
  });
  dialog.addEventListener('close', function () { opener.focus(); });
  // A refund the server refused comes back with its message in the form
  // and the field to fix marked: open the dialog on it, focus there.
  var invalid = form.querySelector('[aria-invalid="true"]');
  if (invalid) {
    update();
    dialog.showModal();
    invalid.focus();
  }
}());

(function () {
  'use strict';
  var script = document.currentScript;
  var path = script && script.getAttribute('data-feed');
  if (!path || !window.WebSocket) { return; }
  var backoff = 1000, refreshTimer = null, refreshing = false, again = false, opened = false;

  function connect() {
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path +
      '?lang=' + encodeURIComponent(document.documentElement.lang || 'en');
    var ws = new WebSocket(url);
    ws.onopen = function () {
      backoff = 1000;
      document.documentElement.setAttribute('data-live', 'on');
      // Changes made while the socket was down were not pushed: fetch
      // the page's live parts once on every reconnect.
      if (opened) { scheduleRefresh(); }
      opened = true;
    };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (!m || !m.id) { return; }
      addToFeed(m);
      scheduleRefresh();
    };
    ws.onclose = function () {
      document.documentElement.setAttribute('data-live', 'off');
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 60000);
    };
  }

  // addToFeed puts the server's entry for the payment at the top of the
  // feed, replacing the one it had, and keeps the feed short.
  function addToFeed(m) {
    var feed = document.getElementById('live-feed');
    if (!feed || typeof m.html !== 'string') { return; }
    var tpl = document.createElement('template');
    tpl.innerHTML = m.html.trim();
    var li = tpl.content.firstElementChild;
    if (!li) { return; }
    var items = feed.querySelectorAll('li[data-id]');
    for (var i = 0; i < items.length; i++) {
      if (items[i].getAttribute('data-id') === m.id) { feed.removeChild(items[i]); }
    }
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > 20) { feed.removeChild(feed.lastElementChild); }
  }

  // scheduleRefresh fetches the page again at most once a second, and
  // once more if changes came during a fetch.
  function scheduleRefresh() {
    if (!document.querySelector('[data-refresh][id]')) { return; }
    if (refreshing) { again = true; return; }
    if (refreshTimer) { return; }
    refreshTimer = setTimeout(refresh, 300);
  }

  function refresh() {
    refreshTimer = null;
    refreshing = true;
    // X-HPP-Background: not the person's doing, so the session's idle
    // limit is not pushed back (handlers.BackgroundHeader).
    fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html', 'X-HPP-Background': '1' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html) { swap(new DOMParser().parseFromString(html, 'text/html')); }
      })
      .catch(function () { /* the next change tries again */ })
      .then(function () {
        refreshing = false;
        if (again) { again = false; refreshTimer = setTimeout(refresh, 1000); }
      });
  }

  function swap(doc) {
    var parts = document.querySelectorAll('[data-refresh][id]');
    for (var i = 0; i < parts.length; i++) {
      var fresh = doc.getElementById(parts[i].id);
      if (fresh) { parts[i].replaceWith(document.importNode(fresh, true)); }
    }
  }

  connect();
}());
