// The back office's live feed: a websocket (GET /admin/feed, the owner's
// session) that says which payment changed. Each message carries the
// feed's entry rendered by the server, which goes to the top of the home
// page's feed; then every element marked data-refresh (the home's totals,
// attention and chart; the payments list's table) is fetched again from
// this same URL and swapped in place, so rows change and new payments
// appear with the page's own filters applied by the server. Reconnects
// with backoff; nothing here builds HTML from data.
//
// The warning before the session ends, on every signed-in page (below).
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
      .then(function (r) {
        // The session ended: the warning below says so on this page.
        if (r.status === 401) { document.dispatchEvent(new Event('hpp:session-check')); }
        return r.ok ? r.text() : null;
      })
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

// The warning before the session ends (views sessionWarning). The server
// gives the time left: the page's own figures as its request left them,
// then GET on data-session, which does not count as activity, so another
// tab's requests (which push the end back) are seen and asking changes
// nothing. data-warn seconds before the end a warning appears, said once
// by its role=alert line: with "Stay signed in" (POST on data-session,
// the person's own request), or, when the session's fixed length ends
// it, that it cannot be extended. Once ended, the page says so and offers
// to sign in and come back here, and its forms are not sent to fail.
// Focus goes to the warning's action only when the person is not typing
// (no key for 2 seconds), and comes back where it was, so no keystroke is
// lost; Escape sends it back without acting.
(function () {
  'use strict';
  var box = document.querySelector('[data-session]');
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute('data-session');
  var warnMs = (parseInt(box.getAttribute('data-warn'), 10) || 120) * 1000;
  // While the warning shows, ask again this often: another tab may have
  // used the session (or signed out), and the end must be seen.
  var pollMs = Math.max(1000, Math.min(15000, warnMs / 6));
  var title = box.querySelector('[data-session-title]');
  var say = box.querySelector('[data-session-say]');
  var leftLine = box.querySelector('[data-session-left]');
  var timerEl = box.querySelector('[data-session-timer]');
  var stay = box.querySelector('[data-session-stay]');
  var signin = box.querySelector('[data-session-signin]');
  var lang = document.documentElement.lang || 'en';
  var state = 'hidden', deadline = 0, timer = null, tick = null, returnTo = null, typedAt = 0, seq = 0, busy = false;

  function clock(ms) {
    try {
      return new Date(ms).toLocaleTimeString(lang, { hour: 'numeric', minute: '2-digit' });
    } catch (e) {
      return new Date(ms).toLocaleTimeString();
    }
  }
  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(500, ms));
  }
  function isField(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener('keydown', function (ev) {
    if (!box.contains(ev.target)) { typedAt = Date.now(); }
  }, true);

  // focusOn moves focus to el unless the person is typing in a field:
  // then it waits for a pause, so no keystroke goes astray.
  function focusOn(el) {
    if (!el || state === 'hidden') { return; }
    var active = document.activeElement;
    if (box.contains(active)) { return; }
    if (isField(active) && Date.now() - typedAt < 2000) {
      setTimeout(function () { focusOn(target()); }, 1000);
      return;
    }
    returnTo = active && active !== document.body ? active : null;
    el.focus();
  }
  function target() {
    if (state === 'idle') { return stay; }
    if (state === 'ended') { return signin; }
    return null;
  }
  function giveBack() {
    if (box.contains(document.activeElement)) {
      var el = returnTo && document.contains(returnTo) ? returnTo : document.getElementById('main');
      if (el) { el.focus(); }
    }
    returnTo = null;
  }
  box.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') { giveBack(); }
  });

  function countdown() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    timerEl.textContent = Math.floor(left / 60) + ':' + ('0' + left % 60).slice(-2);
  }
  function show(kind) {
    var text = kind === 'ended' ? box.getAttribute('data-t-ended')
      : box.getAttribute(kind === 'absolute' ? 'data-t-absolute' : 'data-t-idle').replace('{time}', clock(deadline));
    var fresh = state !== kind;
    state = kind;
    title.textContent = box.getAttribute(kind === 'ended' ? 'data-t-ended-title' : 'data-t-ending');
    if (say.textContent !== text) { say.textContent = text; } // said once, not at every tick
    if (kind !== 'idle' && document.activeElement === stay) { giveBack(); } // about to go
    stay.hidden = kind !== 'idle';
    signin.hidden = kind !== 'ended';
    leftLine.hidden = kind === 'ended';
    box.setAttribute('data-state', kind);
    box.hidden = false;
    // Room below the page for the warning over its foot, so that the
    // page's last lines can still be scrolled into view.
    document.body.style.paddingBottom = (box.offsetHeight + 16) + 'px';
    clearInterval(tick);
    tick = null;
    if (kind !== 'ended') {
      countdown();
      tick = setInterval(countdown, 1000);
    }
    if (fresh) { focusOn(target()); }
  }
  function hide() {
    if (state === 'hidden') { return; }
    giveBack();
    state = 'hidden';
    clearInterval(tick);
    tick = null;
    say.textContent = '';
    box.hidden = true;
    box.setAttribute('data-state', 'hidden');
    document.body.style.paddingBottom = '';
  }
  function ended() {
    clearTimeout(timer);
    show('ended');
  }

  // apply takes the server's time left: idle (pushed back by the
  // person's requests) and absolute (fixed).
  function apply(j) {
    var idle = Math.max(0, +j.idle_seconds || 0) * 1000, absolute = Math.max(0, +j.absolute_seconds || 0) * 1000;
    var left = Math.min(idle, absolute);
    deadline = Date.now() + left;
    if (left > warnMs) {
      hide();
      // No sooner than needed, but now and then: a session ended
      // elsewhere (signed out, revoked) is noticed too.
      schedule(Math.min(left - warnMs, 5 * 60 * 1000));
      return;
    }
    // The end that comes first decides: the idle one can be pushed back
    // (up to the absolute one), the absolute one cannot.
    show(absolute <= idle ? 'absolute' : 'idle');
    schedule(Math.min(pollMs, left + 1000));
  }

  // ask sends the question (GET) or "Stay signed in" (POST); only the
  // answer to the latest one counts, so a question sent before "Stay
  // signed in" and answered after it does not bring the warning back.
  function ask(method) {
    var mine = ++seq;
    clearTimeout(timer);
    return fetch(url, { method: method, credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' } })
      .then(function (r) {
        if (mine !== seq) { return null; }
        if (r.status === 401) { ended(); return null; }
        if (!r.ok) { throw new Error('session ' + r.status); }
        return r.json().then(function (j) { if (mine === seq) { apply(j); } });
      })
      .catch(function () { if (mine === seq) { schedule(pollMs); } }); // offline: ask again
  }
  function check() { ask('GET'); }

  stay.addEventListener('click', function () {
    if (busy) { return; }
    busy = true; // not disabled: the button keeps the focus
    ask('POST').then(function () { busy = false; });
  });

  // A form sent after the end would only fail: say so instead. Signing
  // out still goes.
  document.addEventListener('submit', function (ev) {
    if (state !== 'ended' || /\/signout$/.test(ev.target.getAttribute('action') || '')) { return; }
    ev.preventDefault();
    ev.stopPropagation(); // nor marked as sent (the refund form's own handler)
    typedAt = 0;
    focusOn(signin);
    check(); // signed in again in another tab: the form may go next time
  }, true);

  // Timers sleep in a hidden tab: ask as soon as it is seen again.
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { check(); }
  });
  window.addEventListener('pageshow', function (ev) { if (ev.persisted) { check(); } });
  document.addEventListener('hpp:session-check', check);

  apply({ idle_seconds: box.getAttribute('data-idle'), absolute_seconds: box.getAttribute('data-absolute') });
}());
