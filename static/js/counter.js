// The shop counter's keypad, served by the app like the checkout's script
// (same origin, hashed path, the page's CSP nonce; no third-party code).
// It switches between the keypad, the QR for the shopper, the scan field
// and the result without a reload. The result is only ever what the
// server says: the sale's websocket pushes each change, and after a
// reload or a lost connection the page asks the server again (resync).
//
// Each sale carries an idempotency key kept in localStorage until the
// sale ends, so a double tap, a reload or a retry after a lost answer
// finds the same payment instead of charging twice. Each tab keeps its
// own (hpp-counter-sale:<tab>, the tab's id in sessionStorage, which a
// reload keeps): two tabs of one device never overwrite each other's
// sale, and the keypad lists the sales other tabs keep, so none a
// shopper may still pay, or has paid, goes out of sight.
(function () {
  'use strict';
  var root = document.getElementById('counter');
  if (!root) { return; }
  var d = root.dataset;
  var currency = d.currency || 'NZD';
  var rate = parseFloat(d.rate) || 0, max = Number(d.max) || 0;
  var resultMs = (Number(d.resultSeconds) || 6) * 1000;
  var storePrefix = 'hpp-counter-sale:', legacyKey = 'hpp-counter-sale';
  var storeKey = storePrefix + tabID();
  var finals = ['paid', 'expired', 'canceled', 'refunded', 'partially_refunded'];
  var digits = '';
  var sale = null;     // {key, amount, note, method, source, id}
  var current = null;  // the server's last answer for the sale
  var busy = false, ws = null, backoff = 1000, reconnectTimer = null, pollTimer = null;
  var countdownTimer = null, returnTimer = null, lastCode = '', lastClear = 0, longPress = null, longPressed = false;

  function $(id) { return document.getElementById(id); }
  function q(sel) { return root.querySelector(sel); }

  // Money is written as the server writes it everywhere else
  // (views.formatMoney: "NZ$ 1,234.50"; yuan "CN¥ 1,234.50" in English
  // and Traditional Chinese, "￥ 1,234.50" in Simplified Chinese), not as
  // the browser's Intl would ("NZ$1,234.50", "CN¥1,234.50"): the page
  // gives 1234567.89 so written in the sale's currency and in yuan, and
  // writeMoney puts each amount in its place, with the same symbol,
  // spacing and separators. A yuan figure the server has is shown as it
  // sent it (amount_cny_text); only the keypad's estimate while typing is
  // written here.
  var moneySample = d.moneySample || '', yuanSample = d.yuanSample || '';

  function minor() { return Number(digits || '0'); }
  function decimal(m) {
    var s = String(m);
    while (s.length < 3) { s = '0' + s; }
    return s.slice(0, -2) + '.' + s.slice(-2);
  }
  // writeMoney writes m minor units (two decimals) as sample writes
  // 1234567.89; without a sample, "12.50 NZD".
  function writeMoney(m, sample, code) {
    var at = sample.indexOf('1'), end = sample.lastIndexOf('9');
    if (at < 0 || end < at) { return decimal(m) + ' ' + code; }
    var body = sample.slice(at, end + 1); // "1,234,567.89"
    var group = /[0-9]/.test(body.charAt(1)) ? '' : body.charAt(1);
    var point = body.charAt(body.length - 3);
    var s = decimal(m);
    var whole = s.slice(0, -3).replace(/\B(?=([0-9]{3})+(?![0-9]))/g, group);
    return sample.slice(0, at) + whole + point + s.slice(-2) + sample.slice(end + 1);
  }
  function moneyText(m) { return writeMoney(m, moneySample, currency); }
  // yuanText writes v yuan rounded to the fen as the server's
  // views.formatYuan does (math.Round of v*100: halves away from zero).
  function yuanText(v) { return writeMoney(Math.round(v * 100), yuanSample, 'CNY'); }
  function methodName(m) { return d['t' + m.charAt(0).toUpperCase() + m.slice(1)] || m; }

  // --- screens --------------------------------------------------------
  // show puts screen id in place of the one shown. The focus would fall
  // to the page's start with the screen it was on (hidden), so it goes
  // to the new screen's heading (tabindex=-1): a screen reader reads
  // where the cashier is, and Tab goes on from there. The first screen
  // at start-up takes no focus; the scan screen's caller focuses its
  // field instead.
  function show(id) {
    var was = root.getAttribute('data-screen');
    ['keypad', 'qr', 'scan', 'result'].forEach(function (s) { $(s).hidden = s !== id; });
    root.setAttribute('data-screen', id);
    if (id === 'keypad') { otherSales(); }
    fitShown();
    if (was && was !== id) {
      var h = $(id === 'result' ? 'result-title' : id + '-title');
      if (h && !$(id).contains(document.activeElement)) { h.focus(); }
    }
  }
  // say announces text in the polite live region (screen changes that no
  // other region says, the QR's last minute).
  function say(text) {
    var el = $('counter-say');
    el.textContent = '';
    setTimeout(function () { el.textContent = text; }, 50); // the same words again are said again
  }
  // error shows text in el (hidden when empty). The pay-code field is
  // marked invalid and described by its error while one is shown, as
  // every form the server answers is.
  function error(el, text) {
    el.textContent = text || '';
    el.hidden = !text;
    if (el.id === 'scan-error') { invalid($('paycode'), !!text); }
  }
  // english marks words, Latipay's own (in English whatever the page's
  // language), inside el's text as English for a screen reader.
  function english(el, words) {
    var text = el.textContent, at = words ? text.lastIndexOf(words) : -1;
    if (at < 0) { return; }
    var span = document.createElement('span');
    span.lang = 'en';
    span.textContent = words;
    el.textContent = text.slice(0, at);
    el.appendChild(span);
    el.appendChild(document.createTextNode(text.slice(at + words.length)));
  }
  function invalid(field, on) {
    var ids = (field.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (x) { return x && x !== 'scan-error'; });
    if (on) { ids.push('scan-error'); field.setAttribute('aria-invalid', 'true'); } else { field.removeAttribute('aria-invalid'); }
    field.setAttribute('aria-describedby', ids.join(' '));
  }

  // --- the keypad -----------------------------------------------------
  function renderAmount() {
    var m = minor();
    $('amount').textContent = moneyText(m);
    var cny = $('cny');
    if (rate > 0 && m > 0) {
      $('cny-value').textContent = '≈ ' + yuanText(m / 100 * rate);
      cny.hidden = false;
    } else {
      cny.hidden = true;
    }
    fitAmount();
    error($('counter-error'), '');
  }
  // fitAmount keeps the amount on one line: the stylesheet sizes it to
  // the screen, and a long amount on a narrow one (or with enlarged
  // text) is made smaller still until it fits. Every amount on the till
  // is marked data-fit and fitted the same way whenever its screen is
  // shown or the window changes (nothing to measure while hidden).
  function fitAmount() { fit($('amount')); fit($('cny-value')); }
  function fitShown() {
    root.querySelectorAll('[data-fit]').forEach(function (el) { if (el.offsetParent) { fit(el); } });
  }
  function fit(el) {
    el.style.fontSize = '';
    var size = parseFloat(getComputedStyle(el).fontSize) || 48;
    while (el.scrollWidth > el.clientWidth && size > 12) {
      size -= 1;
      el.style.fontSize = size + 'px';
    }
  }
  window.addEventListener('resize', fitShown);
  // press types key k. A digit that would take the amount above the
  // counter's limit is not taken: the keypad says the limit instead.
  function press(k) {
    if (k === 'C') {
      var now = Date.now();
      if (now - lastClear < 400) { digits = ''; } else { digits = digits.slice(0, -1); }
      lastClear = now;
    } else {
      var next = String(Number(digits + k)); // digits fill from the right
      if ((digits + k).length > 10 || (max > 0 && Number(next) > max)) {
        error($('counter-error'), d.tLimit);
        return;
      }
      digits = next === '0' ? '' : next;
    }
    renderAmount();
  }
  root.querySelectorAll('[data-key]').forEach(function (b) {
    var k = b.getAttribute('data-key');
    b.addEventListener('click', function () {
      if (longPressed) { longPressed = false; return; }
      settle();
      press(k);
    });
    if (k === 'C') {
      b.addEventListener('pointerdown', function () {
        longPressed = false;
        longPress = setTimeout(function () { longPressed = true; digits = ''; renderAmount(); }, 600);
      });
      ['pointerup', 'pointerleave', 'pointercancel'].forEach(function (ev) {
        b.addEventListener(ev, function () { clearTimeout(longPress); });
      });
    }
  });
  // A hardware keyboard works too: digits, Backspace, Escape. So does a
  // barcode scanner, which is a keyboard too: it types the shopper's pay
  // code (16 to 24 digits) and Enter in a burst, a few milliseconds a
  // key. Typed on the keypad, that code must not become the amount, and
  // its Enter must not press the charge button that has the focus. So
  // digits arriving within burstGap of each other are held as one run,
  // and only when the run ends (no key for burstGap) are they typed: a
  // run of more digits than an amount can have (8 before the point and
  // 2 after) is a scanned code, dropped with a word to the cashier; a
  // shorter one is the cashier's own typing (a person's keys come 100 to
  // 300 ms apart, two pressed together closer, but eleven in a row never
  // within 100 ms each; a held run shows 100 ms late, too soon to see).
  // Digits within tailGap of a dropped code's last key are the rest of
  // it (a scanner that stalled once). An Enter within burstGap of a digit
  // ends the run and presses nothing: nobody reads an amount in that
  // time, so it cannot be the cashier's Enter.
  // A scanned code never goes on to the scan step by itself either: the
  // cashier did not choose to charge, and the amount on the keypad may
  // not be this shopper's; the pay code can be scanned again in a second.
  var burstGap = 100, tailGap = 300, amountDigits = 10;
  var run = '', runAt = 0, runTimer = null, heldEnter = false, droppedAt = -1e9;
  function endRun() {
    clearTimeout(runTimer);
    runTimer = null;
    var keys = run;
    run = '';
    if (keys.length > amountDigits) {
      droppedAt = runAt;
      error($('counter-error'), d.tScanned);
      return;
    }
    for (var i = 0; i < keys.length; i++) { press(keys.charAt(i)); }
  }
  // runOver ends the run once no key came for burstGap (a timer can run
  // late or early against the keys' own time stamps: those decide).
  function runOver() {
    var wait = burstGap - (performance.now() - runAt);
    if (wait > 0) { runTimer = setTimeout(runOver, wait + 1); return; }
    endRun();
  }
  // The note takes digits as typed (a table's number, an order's), but a
  // scan while the cursor is in it would write the shopper's pay code
  // into the payment's description, which the merchant's reports and
  // the shopper's receipt show. The digits typed into the note are judged
  // in runs as on the keypad, and since the note must show a person's
  // keys as they come, a run is typed at once and judged when it ends: a
  // run of more digits than an amount can have is a scanned code, taken
  // out again (the note as it was before the run's first key), with a
  // word to the cashier. Digits within tailGap of it are the rest of it
  // and are not typed; nor is its Enter. As on the keypad, the code does
  // not go on to the scan step by itself.
  var noteRun = 0, noteAt = 0, noteTimer = null, noteBefore = null;
  function endNoteRun() {
    clearTimeout(noteTimer);
    noteTimer = null;
    var n = noteRun, before = noteBefore, note = $('note');
    noteRun = 0;
    noteBefore = null;
    if (n > amountDigits && before) {
      note.value = before.value;
      if (document.activeElement === note) { note.setSelectionRange(before.start, before.end); }
      droppedAt = noteAt;
      error($('counter-error'), d.tScannedNote || d.tScanned);
    }
  }
  function noteRunOver() {
    var wait = burstGap - (performance.now() - noteAt);
    if (wait > 0) { noteTimer = setTimeout(noteRunOver, wait + 1); return; }
    endNoteRun();
  }
  function noteKey(e, now) {
    if (e.key >= '0' && e.key <= '9' && e.key.length === 1) {
      if (noteRun && now - noteAt > burstGap) { endNoteRun(); }
      if (!noteRun && now - droppedAt < tailGap) { e.preventDefault(); droppedAt = now; return; }
      if (!noteRun) {
        var note = $('note');
        noteBefore = { value: note.value, start: note.selectionStart, end: note.selectionEnd };
      }
      noteRun++;
      noteAt = now;
      clearTimeout(noteTimer);
      noteTimer = setTimeout(noteRunOver, burstGap);
      return;
    }
    if (e.key === 'Enter' && (noteTimer || (noteAt && now - noteAt <= burstGap) || now - droppedAt < tailGap)) {
      e.preventDefault();
      if (noteTimer) { endNoteRun(); }
      return;
    }
    if (noteTimer) { endNoteRun(); } // the keys before come first
  }
  // settle types the run held so far before a tap acts on the amount,
  // and judges the note's.
  function settle() {
    if (runTimer) { endRun(); }
    if (noteTimer) { endNoteRun(); }
  }
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { heldEnter = false; } // each Enter is judged on its own
    if (root.getAttribute('data-screen') !== 'keypad') { return; }
    var now = e.timeStamp || performance.now();
    if (e.target === $('note')) { noteKey(e, now); return; }
    if (e.key >= '0' && e.key <= '9' && e.key.length === 1) {
      e.preventDefault();
      if (run && now - runAt > burstGap) { endRun(); }
      if (!run && now - droppedAt < tailGap) { droppedAt = now; return; }
      run += e.key;
      runAt = now;
      clearTimeout(runTimer);
      runTimer = setTimeout(runOver, burstGap);
      return;
    }
    if (e.key === 'Enter' && (runTimer || (runAt && now - runAt <= burstGap) || now - droppedAt < tailGap)) {
      e.preventDefault();
      e.stopPropagation();
      heldEnter = true;
      if (runTimer) { endRun(); }
      return;
    }
    if (runTimer) { endRun(); } // the keys before come first
    if (e.key === 'Backspace') { digits = digits.slice(0, -1); renderAmount(); e.preventDefault(); }
    if (e.key === 'Escape') { digits = ''; renderAmount(); }
  }, true);
  // A button is pressed by Enter's keypress, which a keydown held back
  // normally stops; where the keypress comes as an event of its own
  // (Windows' WM_CHAR, the DevTools protocol's char), it is held too.
  document.addEventListener('keypress', function (e) {
    if (heldEnter && e.key === 'Enter') { e.preventDefault(); e.stopPropagation(); }
  }, true);
  document.addEventListener('keyup', function (e) {
    if (e.key === 'Enter') { heldEnter = false; }
  }, true);

  // checkAmount says what is wrong with the typed amount, or ''.
  function checkAmount() {
    var m = minor();
    if (m <= 0) { return d.tZero; }
    if (max > 0 && m > max) { return d.tLimit; }
    return '';
  }

  // --- the sale and its key -------------------------------------------
  function save() {
    try { if (sale) { localStorage.setItem(storeKey, JSON.stringify(sale)); } else { localStorage.removeItem(storeKey); } } catch (e) { /* private mode: the key lives in memory */ }
  }
  function load() {
    try {
      var own = JSON.parse(localStorage.getItem(storeKey) || 'null');
      var old = JSON.parse(localStorage.getItem(legacyKey) || 'null');
      if (!own && old) {
        // Kept by a till before sales were kept per tab: this tab's now.
        localStorage.removeItem(legacyKey);
        localStorage.setItem(storeKey, JSON.stringify(old));
        return old;
      }
      return own;
    } catch (e) { return null; }
  }
  // tabID is this tab's id, kept in sessionStorage (a reload keeps it, a
  // new tab gets its own).
  function tabID() {
    try {
      var id = sessionStorage.getItem('hpp-counter-tab');
      if (!id) { id = newKey().slice(0, 16); sessionStorage.setItem('hpp-counter-tab', id); }
      return id;
    } catch (e) { return newKey().slice(0, 16); }
  }
  // otherSales lists, on the keypad, the sales other tabs of this device
  // keep (open, or ended while no tab watched them), each a button that
  // brings it here: what the server says of it is then shown.
  function otherSales() {
    var box = $('other-sales'), list = $('other-sales-list');
    var found = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k === storeKey || (k !== legacyKey && k.indexOf(storePrefix) !== 0)) { continue; }
        var s = JSON.parse(localStorage.getItem(k) || 'null');
        if (s && s.id && (!sale || s.id !== sale.id)) { found.push({ key: k, sale: s }); }
      }
    } catch (e) { /* no storage: no other tabs' sales */ }
    list.textContent = '';
    found.forEach(function (f) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'button secondary';
      b.setAttribute('data-testid', 'other-sale');
      b.setAttribute('data-id', f.sale.id);
      b.textContent = d.tOtherShow.replace('{amount}', moneyText(Math.round(Number(f.sale.amount) * 100)));
      b.addEventListener('click', function () {
        if (sale) { return; } // this tab's own sale first
        try { localStorage.removeItem(f.key); } catch (e) { /* gone already */ }
        sale = f.sale;
        save();
        otherSales();
        resync();
      });
      list.appendChild(b);
    });
    box.hidden = found.length === 0;
  }
  window.addEventListener('storage', function (e) {
    if (e.key === null || e.key === legacyKey || e.key.indexOf(storePrefix) === 0) { otherSales(); }
  });
  function newKey() {
    var b = new Uint8Array(18);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  // saleFor is the sale for the amount on the keypad: the one in progress
  // when it is for the same amount, else a new one with a new key.
  function saleFor(source) {
    var amount = decimal(minor());
    if (!sale || sale.amount !== amount || sale.source !== source) {
      sale = { key: newKey(), amount: amount, note: $('note').value, source: source };
    }
    return sale;
  }

  function post(url, form) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/json' },
      body: new URLSearchParams(form).toString()
    }).then(answer);
  }
  function answer(r) {
    return r.json().catch(function () { return {}; }).then(function (j) {
      if (!r.ok) {
        var e = new Error((j.error && j.error.message) || ''); // the till's language, or the callers' own words
        e.status = r.status;
        e.code = j.error && j.error.code;
        e.sale = j.error && j.error.sale;
        e.latipay = (j.error && j.error.latipay) || '';
        throw e;
      }
      return j;
    });
  }
  function endSale() {
    sale = null; current = null; lastCode = '';
    save();
    reached(true); // no sale to follow: nothing to say about the line
    closeSocket();
    clearInterval(countdownTimer);
    clearTimeout(returnTimer);
  }
  // failed handles a refused or lost request: a refusal (4xx) ends the
  // sale, whose key was never charged; a lost answer keeps the key, so
  // trying again finds the same payment.
  function failed(el, e) {
    busy = false;
    setBusy(false);
    if (e.code === 'latipay_unreachable') {
      // The call never left: the sale failed and nothing was charged;
      // the next scan is a new sale.
      sale = null; current = null; lastCode = ''; save();
      error(el, e.message);
      return;
    }
    if (e.status && e.status >= 400 && e.status < 500 && e.code !== 'counter_locked' && e.code !== 'device_revoked') {
      if (!current) { sale = null; save(); }
      error(el, e.message || d.tInvalid);
      return;
    }
    if (e.code === 'counter_locked' || e.code === 'device_revoked' || e.code === 'device_unknown') {
      location.reload();
      return;
    }
    error(el, d.tOffline);
  }
  function setBusy(b) {
    root.querySelectorAll('[data-charge], #to-scan, [data-action="switch"]').forEach(function (x) { x.disabled = b; });
    root.setAttribute('aria-busy', b ? 'true' : 'false');
  }

  function charge(method) {
    if (busy) { return; } // a double tap sends one request
    settle();
    var problem = checkAmount();
    if (problem && !(current && sale && sale.id)) { error($('counter-error'), problem); return; }
    busy = true;
    setBusy(true);
    var s = sale && sale.id ? sale : saleFor('qr');
    s.method = method;
    save();
    post(d.chargeUrl, { key: s.key, amount: s.amount, note: s.note || '', method: method }).then(function (j) {
      busy = false;
      setBusy(false);
      s.id = j.id;
      save();
      showSale(j);
    }, function (e) { failed(screenError(), e); });
  }
  // screenError is where the screen shown says what went wrong.
  function screenError() {
    var at = root.getAttribute('data-screen');
    if (at === 'qr') { return q('[data-testid="qr-state"]'); }
    if (at === 'result') { return $('result-error'); }
    return at === 'scan' ? $('scan-error') : $('counter-error');
  }
  root.querySelectorAll('[data-charge]').forEach(function (b) {
    b.addEventListener('click', function () { charge(b.getAttribute('data-charge')); });
  });

  // --- what the server says -------------------------------------------
  function showSale(j) {
    if (current && current.id === j.id && j.version < current.version) { return; } // an older answer
    if (j.awaiting_latipay && current && current.id === j.id && current.awaiting_latipay &&
        j.version === current.version && j.status === current.status) { return; } // still waiting: said already
    current = j;
    if (Number(j.rate) > 0) { rate = Number(j.rate); } // the next amount's ~CNY, without a reload
    if (j.status === 'paid' || j.status === 'partially_refunded' || j.status === 'refunded') {
      if (j.paid_after_cancel || j.paid_late) {
        // Paid after it closed here: loud, whatever closed it, so the
        // cashier does not charge again (and refunds a second payment).
        var late = j.paid_after_cancel ? d.tPaidLate :
          ({ failed: d.tPaidLateFailed, expired: d.tPaidLateExpired }[j.paid_late_after] || d.tPaidLateOther);
        result('paid-late', late, j.amount_text, methodName(j.method || ''), j.id);
      } else {
        result('paid', d.tPaid, j.amount_text, methodName(j.method || ''));
      }
    } else if (j.status === 'canceled' && j.awaiting_latipay) {
      // Canceled here, but Latipay has not confirmed it (not reached):
      // the shopper may still pay. Not "not paid" until it says so.
      result('waiting', d.tCancelWait, j.amount_text, j.method ? methodName(j.method) : '');
    } else if (j.status === 'failed' || j.status === 'expired' || j.status === 'canceled') {
      var title = { failed: d.tFailed, expired: d.tExpired, canceled: d.tCanceled }[j.status];
      result('failed', title, j.amount_text, j.method ? methodName(j.method) : '');
    } else if (j.qr) {
      showQR(j);
    } else if (j.pay_code_refused) {
      showRefused(j, d.tRefused);
    } else {
      result('pending', d.tPending, j.amount_text, j.method ? methodName(j.method) : '');
    }
    if (j.awaiting_latipay) { watch(); } else if (finals.indexOf(j.status) < 0) { connect(j); } else { closeSocket(); }
  }

  // watch keeps asking about a sale closed here that Latipay has not
  // confirmed final (its socket ends with the sale's final status) until
  // it has, or the cashier goes on to the next sale.
  function watch() {
    clearTimeout(reconnectTimer);
    if (ws) { var s = ws; ws = null; try { s.close(); } catch (e) { /* already closed */ } }
    if (!pollTimer) { pollTimer = setInterval(resync, 3000); }
  }

  function showQR(j) {
    var img = $('qr-img');
    var src = j.qr;
    if (img.getAttribute('src') !== src) { img.setAttribute('src', src); }
    q('[data-testid="qr-amount"]').textContent = j.amount_text;
    q('[data-testid="qr-cny"]').textContent = j.amount_cny_text ? '≈ ' + j.amount_cny_text : '';
    q('[data-testid="qr-method"]').textContent = methodName(j.method);
    error(q('[data-testid="qr-state"]'), '');
    q('[data-testid="qr-state"]').hidden = false;
    q('[data-testid="qr-keypad"]').hidden = true;
    var deadline = Date.now() + j.expires_in * 1000;
    clearInterval(countdownTimer);
    // The countdown is not read out each second (aria-live=off); its
    // last minute is said once, also when a reload finds less left.
    var warned = false;
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      q('[data-testid="qr-countdown"]').textContent = d.tExpires + ' ' + Math.floor(left / 60) + ':' + ('0' + left % 60).slice(-2);
      if (left > 0 && left < 60 && !warned) { warned = true; say(d.tMinute); }
      if (left === 0) { clearInterval(countdownTimer); resync(); }
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
    var other = j.method === 'wechat' ? 'alipay' : 'wechat';
    var sw = q('[data-action="switch"]');
    sw.hidden = !q('[data-charge="' + other + '"]');
    sw.setAttribute('data-method', other);
    // The QR turned to the shopper is said once per sale and wallet: the
    // keypad's amount was the last thing read, and the heading taking the
    // focus names only the shop.
    var said = j.id + ' ' + j.method;
    if (root.getAttribute('data-screen') !== 'qr' || shownQR !== said) {
      say(d.tShowing.replace('{method}', methodName(j.method)).replace('{amount}', j.amount_text));
    }
    shownQR = said;
    show('qr');
  }
  var shownQR = '';

  // result shows a sale's outcome. handover is the sale's id when the
  // cashier may have to hand it to the owner: a refund is the owner's,
  // so the till names the sale (and its receipt) to give them.
  function result(kind, title, amount, detail, handover) {
    clearInterval(countdownTimer);
    clearTimeout(returnTimer);
    var r = $('result');
    r.className = 'screen result result-' + kind;
    r.setAttribute('data-result', kind);
    q('[data-testid="result-title"]').textContent = title;
    q('[data-testid="result-amount"]').textContent = amount || '';
    q('[data-testid="result-detail"]').textContent = detail || '';
    error($('result-error'), '');
    var h = q('[data-testid="result-handover"]');
    h.hidden = !handover;
    q('[data-testid="result-sale-id"]').textContent = handover || '';
    var receipt = q('[data-testid="result-receipt"]');
    if (handover) { receipt.setAttribute('href', d.saleUrl + handover + '/receipt?lang=' + encodeURIComponent(d.lang)); } else { receipt.removeAttribute('href'); }
    // Still checking: never turns into failed by itself, and the sale
    // may still be canceled; the keypad does not come back on its own.
    // Nor does it after a cancel Latipay has not confirmed (waiting), or
    // a payment after a cancel (paid-late): the cashier reads it first.
    q('[data-testid="result-cancel"]').hidden = kind !== 'pending';
    q('[data-testid="result-done"]').hidden = kind === 'pending';
    show('result');
    if (kind === 'paid' || kind === 'failed') {
      returnTimer = setTimeout(nextSale, resultMs);
    }
  }

  function nextSale() {
    endSale();
    digits = '';
    $('note').value = '';
    renderAmount();
    show('keypad');
  }

  // resync asks the server for the open sale. An answer not come within
  // checkWait is the server out of reach, as a failed request is.
  // With beat (the heartbeat's check) an answer that changes nothing
  // leaves the screen as it is (a message on the QR screen stays).
  var checkWait = 5000;
  // quietFrom: from 2 s before the unlock ends (the lock's clock, below)
  // the till asks the server nothing more: the server, whose clock the
  // end was counted from, answers 401 by then, and the page reloads into
  // the unlock form a second after the end anyway.
  var quietFrom = Infinity;
  function resync(beat) {
    if (!sale || !sale.id || Date.now() >= quietFrom) { return; }
    var id = sale.id;
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl ? setTimeout(function () { ctl.abort(); }, checkWait) : 0;
    fetch(d.saleUrl + id, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' }, signal: ctl ? ctl.signal : undefined })
      .then(answer)
      .then(function (j) {
        clearTimeout(timer);
        reached(true);
        if (beat === true && current && j.version === current.version && j.status === current.status) { return; }
        if (sale && sale.id === id) { showSale(j); }
      })
      .catch(function (e) {
        clearTimeout(timer);
        if (e.status === 404) { reached(true); nextSale(); return; }
        if (e.status === 401 || e.status === 403) { location.reload(); return; }
        if (!e.status || e.status >= 500) { reached(false); } // the sale stays on screen; the polls go on
        if (!e.status) { unreachable(); }
      });
  }
  // unreachable: the server cannot be reached (the browser is offline, or
  // a check got no answer). A socket that still seems open is dead, its
  // network gone without closing it: it is dropped, and the till polls
  // and reconnects (lost) until the server answers again.
  function unreachable() {
    if (ws) { var s = ws; ws = null; try { s.close(); } catch (e) { /* already closed */ } }
    if (current && finals.indexOf(current.status) < 0 && !pollTimer) { lost(); }
  }
  // heartbeat: while a sale is open on its socket, the server is asked
  // every beatEvery too. A socket can die without closing (a phone's
  // network gone quietly); the browser's ping answers are invisible to
  // the page, so a check is what finds out, and within seconds the till
  // says the connection is lost instead of showing the QR as live.
  var beatEvery = 10000;
  setInterval(function () {
    if (ws && !pollTimer && current && finals.indexOf(current.status) < 0 && document.visibilityState === 'visible') { resync(true); }
  }, beatEvery);
  // reached says on the till, in a polite live region, while the server
  // cannot be reached (a poll failed), and clears it once it answers
  // again: the screen shown is left as it is, the sale with it.
  function reached(ok) {
    var el = $('counter-conn');
    var text = ok ? '' : d.tConnLost;
    if (el.textContent !== text) { el.textContent = text; }
  }

  // --- the live connection --------------------------------------------
  function connect(j) {
    if (ws && ws.saleId === j.id) { return; }
    closeSocket();
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + d.socketBase + j.id + '/ws?t=' + encodeURIComponent(j.token);
    var sock;
    try { sock = new WebSocket(url); } catch (e) { lost(); return; }
    sock.saleId = j.id;
    ws = sock;
    sock.onopen = function () { backoff = 1000; stopPolling(); reached(true); };
    sock.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (current && m.version > current.version) { resync(); }
    };
    sock.onclose = function () {
      if (ws !== sock) { return; }
      ws = null;
      if (current && finals.indexOf(current.status) < 0) { lost(); }
    };
  }
  function closeSocket() {
    stopPolling();
    clearTimeout(reconnectTimer);
    if (ws) { var s = ws; ws = null; try { s.close(); } catch (e) { /* already closed */ } }
  }
  // lost: ask over HTTP every few seconds and reconnect with backoff.
  function lost() {
    resync();
    if (!pollTimer) { pollTimer = setInterval(resync, 3000); }
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(function () { if (current) { connect(current); } }, backoff);
    backoff = Math.min(backoff * 2, 15000);
  }
  function stopPolling() { clearInterval(pollTimer); pollTimer = null; }
  window.addEventListener('online', function () { if (sale && sale.id) { resync(); } else { reached(true); } });
  // Offline: said at once, and the sale's socket treated as dead.
  window.addEventListener('offline', function () { reached(false); if (sale && sale.id) { unreachable(); } });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { resync(); keepAwake(); }
  });

  // --- QR and result buttons ------------------------------------------
  function cancelSale() {
    if (!sale || !sale.id) { nextSale(); return; }
    var el = screenError();
    post(d.saleUrl + sale.id + '/cancel', {}).then(showSale, function (e) {
      if (e.status === 409) { resync(); return; } // paid meanwhile: show it
      if (e.code === 'counter_locked' || e.code === 'device_revoked' || e.code === 'device_unknown') { location.reload(); return; }
      if (!e.status || e.status >= 500) { error(el, d.tOffline); return; }
      // Refused: said where the cashier looks, with a way back to the
      // keypad (the sale stays in today's sales).
      error(el, e.message || d.tOffline);
      q('[data-testid="qr-keypad"]').hidden = false;
      q('[data-testid="result-done"]').hidden = false;
    });
  }
  root.querySelectorAll('[data-action]').forEach(function (b) {
    b.addEventListener('click', function () {
      switch (b.getAttribute('data-action')) {
      case 'cancel': cancelSale(); break;
      case 'switch': charge(b.getAttribute('data-method')); break;
      case 'done': nextSale(); break;
      case 'back': back(); break;
      case 'camera': camera(); break;
      }
    });
  });

  // back leaves the scan screen for the keypad. A sale whose pay code
  // Latipay refused (nothing charged, nothing live) is canceled then, so
  // it does not stay open in today's sales until it expires.
  function back() {
    lastCode = '';
    if (current && current.pay_code_refused && sale && sale.id === current.id) {
      post(d.saleUrl + sale.id + '/cancel', {}).catch(function () { /* it expires, shown as refused */ });
      endSale();
    }
    $('scan-refused').hidden = true;
    show('keypad');
  }

  // showRefused shows the scan screen for sale j after Latipay refused its
  // pay code: why (text), and the same sale's ways on: another code, a
  // QR, or a cancel.
  function showRefused(j, text, words) {
    clearTimeout(returnTimer);
    q('[data-testid="scan-amount"]').textContent = j.amount_text;
    error($('scan-error'), text);
    english($('scan-error'), words);
    $('scan-refused').hidden = false;
    show('scan');
    $('paycode').value = '';
    $('paycode').focus();
  }

  // --- scan the shopper's pay code ------------------------------------
  // walletOf names the wallet a pay code belongs to, or '' when it has
  // neither wallet's form: WeChat 18 digits starting 10-15, Alipay 16-24
  // digits starting 25-30.
  function walletOf(code) {
    if (!/^[0-9]+$/.test(code)) { return ''; }
    var p = Number(code.slice(0, 2));
    if (code.length === 18 && p >= 10 && p <= 15) { return 'wechat'; }
    if (code.length >= 16 && code.length <= 24 && p >= 25 && p <= 30) { return 'alipay'; }
    return '';
  }
  $('to-scan').addEventListener('click', function () {
    settle();
    var problem = checkAmount();
    if (problem) { error($('counter-error'), problem); return; }
    q('[data-testid="scan-amount"]').textContent = moneyText(minor());
    error($('scan-error'), '');
    $('scan-refused').hidden = true;
    show('scan');
    $('paycode').value = '';
    $('paycode').focus();
  });
  $('paycode').addEventListener('input', function () { invalid($('paycode'), false); });
  $('scan-form').addEventListener('submit', function (e) {
    e.preventDefault();
    submitCode($('paycode').value.replace(/\s+/g, ''));
  });
  function submitCode(code) {
    if (busy || code === lastCode) { return; } // a repeated scan does nothing
    if (!walletOf(code)) {
      error($('scan-error'), q('#scan-hint').textContent);
      $('paycode').select();
      return;
    }
    lastCode = code;
    busy = true;
    setBusy(true);
    var s = sale && sale.id && sale.source === 'scan' ? sale : saleFor('scan');
    s.method = walletOf(code);
    save();
    post(d.scanUrl, { key: s.key, amount: s.amount, note: s.note || '', code: code }).then(function (j) {
      busy = false;
      setBusy(false);
      s.id = j.id;
      save();
      showSale(j);
    }, function (e) {
      lastCode = '';
      if (e.code === 'pay_code_refused' && e.sale && e.sale.id) {
        // Nothing was charged and the sale stays open: the next code, a
        // QR or a cancel goes on it.
        busy = false;
        setBusy(false);
        s.id = e.sale.id;
        save();
        current = e.sale;
        showRefused(e.sale, e.message, e.latipay);
        return;
      }
      failed($('scan-error'), e);
    });
  }

  var stream = null;
  function camera() {
    var video = $('camera');
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { error($('scan-error'), d.tCameraNone); return; }
    detector().then(function (det) {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        return video.play().then(function () { scanLoop(det, video); });
      });
    }).catch(function () { error($('scan-error'), d.tCameraNone); });
  }
  // detector is the browser's BarcodeDetector, else the vendored
  // polyfill (static/vendor/barcode-detector) with its zxing reader, both
  // served by the app: nothing comes from a CDN.
  var nonce = document.currentScript ? document.currentScript.nonce : '';
  function detector() {
    var formats = ['code_128', 'qr_code'];
    if ('BarcodeDetector' in window) { return Promise.resolve(new window.BarcodeDetector({ formats: formats })); }
    return new Promise(function (resolve, reject) {
      if (window.BarcodeDetectionAPI) { resolve(); return; }
      var s = document.createElement('script');
      s.src = d.polyfill;
      s.nonce = nonce;
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    }).then(function () {
      var api = window.BarcodeDetectionAPI;
      api.setZXingModuleOverrides({ locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? d.wasm : prefix + path; } });
      return new api.BarcodeDetector({ formats: formats });
    });
  }
  function scanLoop(det, video) {
    if (root.getAttribute('data-screen') !== 'scan' || !stream) { stopCamera(); return; }
    det.detect(video).then(function (codes) {
      for (var i = 0; i < codes.length; i++) {
        var v = String(codes[i].rawValue || '').replace(/\s+/g, '');
        if (walletOf(v)) { stopCamera(); $('paycode').value = v; submitCode(v); return; }
      }
      setTimeout(function () { scanLoop(det, video); }, 250);
    }, function () { setTimeout(function () { scanLoop(det, video); }, 500); });
  }
  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    $('camera').hidden = true;
  }

  // --- the screen stays awake -----------------------------------------
  var wakeLock = null;
  function keepAwake() {
    if (!('wakeLock' in navigator) || wakeLock) { return; }
    navigator.wakeLock.request('screen').then(function (l) {
      wakeLock = l;
      l.addEventListener('release', function () { wakeLock = null; });
    }).catch(function () { /* not allowed now: try again when visible */ });
  }
  keepAwake();

  // --- the end of the unlock ------------------------------------------
  // The unlock lasts a shift (counter.UnlockFor) and nothing extends it.
  // The page was told how long it had left as it was served; it warns
  // LockWarnBefore ahead, in its role=alert line (said once), and at the
  // end reloads into the unlock form. A sale in progress stays in
  // localStorage and comes back once a cashier unlocks again (start,
  // below). Counted against the clock, not timers, which a sleeping
  // tablet delays.
  (function () {
    var left = Number(d.lockSeconds), warn = Number(d.lockWarnSeconds);
    if (!(left > 0)) { return; }
    var end = Date.now() + left * 1000, warned = false;
    quietFrom = end - 2000;
    function check() {
      var now = Date.now();
      if (now >= end + 1000) { location.reload(); return; }
      if (!warned && now >= end - warn * 1000) {
        warned = true;
        $('counter-lock').textContent = d.tLockWarn;
      }
    }
    check();
    setInterval(check, 1000);
  })();

  // --- start: resume a sale a reload interrupted ----------------------
  sale = load();
  renderAmount();
  show('keypad');
  if (sale && sale.id) {
    resync();
  } else if (sale && sale.method && sale.source === 'qr') {
    // The page was reloaded while a charge was on its way: ask again with
    // the same key, which finds that charge if it was made.
    digits = String(Math.round(Number(sale.amount) * 100));
    renderAmount();
    charge(sale.method);
  } else {
    sale = null;
    save();
  }
})();

// The shop's static-QR payments, live, on the keypad and on today's
// sales (GET /counter/ws, the device's credential): a shopper who paid
// through the printed QR appears as a notice the cashier can dismiss
// (in a polite live region) and, on the sales page, as a row at the top
// of today's sales. The server renders both in the page's language;
// nothing here builds HTML from data. A revoked or locked device's
// socket closes with 4001 and the page reloads into the pairing form or
// the unlock screen; any other close reconnects with backoff, and the
// sales page then fetches its list again for what it missed. The socket's
// URL carries since (Unix microseconds, stamped when the server rendered
// the page); each message moves it on to its paid_at, so that a socket
// opened again first sends the payments paid while it was down.
(function () {
  'use strict';
  var box = document.getElementById('counter-live');
  if (!box || !window.WebSocket) { return; }
  var live = new URL(box.getAttribute('data-live-url'), location.href);
  var since = Number(live.searchParams.get('since')) || 0;
  var backoff = 1000, opened = false, maxNotices = 5;

  function connect() {
    live.searchParams.set('lang', document.documentElement.lang || 'en');
    if (since) { live.searchParams.set('since', String(since)); }
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + live.pathname + live.search;
    var ws;
    try { ws = new WebSocket(url); } catch (e) { retry(); return; }
    ws.onopen = function () {
      backoff = 1000;
      box.setAttribute('data-live', 'on');
      if (opened) { refreshSales(); }
      opened = true;
    };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (!m || !m.id) { return; }
      if (m.paid_at > since) { since = m.paid_at; }
      notice(m);
      addRow(m);
    };
    ws.onclose = function (ev) {
      box.setAttribute('data-live', 'off');
      if (ev.code === 4001) { location.reload(); return; }
      retry();
    };
  }
  function retry() {
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  }
  function element(html) {
    var tpl = document.createElement('template');
    tpl.innerHTML = String(html || '').trim();
    return tpl.content.firstElementChild;
  }

  function notice(m) {
    var n = element(m.notice);
    if (!n) { return; }
    n.setAttribute('data-id', m.id);
    box.insertBefore(n, box.firstChild);
    while (box.children.length > maxNotices) { box.removeChild(box.lastElementChild); }
  }
  box.addEventListener('click', function (e) {
    var b = e.target.closest('[data-dismiss]');
    if (!b) { return; }
    var n = b.closest('.counter-notice');
    if (n) { n.remove(); }
  });

  // addRow puts the payment's row at the top of today's sales, once.
  function addRow(m) {
    var table = document.querySelector('[data-testid="sales"]');
    if (!table || table.querySelector('tr[data-id="' + m.id + '"]')) { return; }
    var row = element('<table><tbody>' + m.row + '</tbody></table>');
    row = row && row.querySelector('tr');
    if (!row) { return; }
    var body = table.tBodies[0];
    body.insertBefore(row, body.firstChild);
    table.hidden = false;
    var none = document.querySelector('[data-testid="sales-none"]');
    if (none) { none.hidden = true; }
  }

  // refreshSales fetches the sales page again after a reconnect, for the
  // payments paid while the socket was down.
  function refreshSales() {
    var table = document.querySelector('[data-testid="sales"]');
    if (!table) { return; }
    fetch(location.href, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['sales', 'sales-none'].forEach(function (id) {
          var old = document.querySelector('[data-testid="' + id + '"]');
          var fresh = doc.querySelector('[data-testid="' + id + '"]');
          if (old && fresh) { old.replaceWith(document.importNode(fresh, true)); }
        });
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  connect();
}());
