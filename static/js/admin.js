// The back office's live feed: a websocket (GET /admin/feed, the owner's
// session) that says which payment changed. Each message carries the
// feed's entry rendered by the server, which goes to the top of the home
// page's feed; then every element marked data-refresh (the home's totals,
// attention and chart; the payments list's table) is fetched again from
// this same URL and swapped in place, so rows change and new payments
// appear with the page's own filters applied by the server. Reconnects
// with backoff; nothing here builds HTML from data.
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
    fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
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
