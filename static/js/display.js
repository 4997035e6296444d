// The display facing the shopper (handlers/display.go): it shows what its
// socket sends (idle, the sale with its QR, the result), returns to idle
// when a result's time is up, reconnects after a drop (the server then
// sends the current step), and goes back to the pairing form when the
// display was unpaired. With the sound turned on (a tap: browsers allow
// sound only after one) a payment plays a short tone and is announced
// through the browser's speech synthesis, once per sale.
'use strict';
(function () {
  var body = document.body;
  var sections = Array.prototype.slice.call(document.querySelectorAll('main [data-screen]'));
  var live = document.getElementById('display-live');
  var offline = document.querySelector('[data-offline]');
  var soundButton = document.querySelector('[data-sound]');
  var sound = false, audio = null, spoken = {}, holdTimer = 0, delay = 500, failures = 0;

  function show(name) {
    sections.forEach(function (s) { s.hidden = s.getAttribute('data-screen') !== name; });
    body.setAttribute('data-screen', name);
    fit();
  }
  // fit keeps each amount shown on one line, whole: a long one on a
  // narrow screen (or with enlarged text) is made smaller until it fits.
  function fit() {
    document.querySelectorAll('.display-amount').forEach(function (el) {
      if (!el.offsetParent) { return; }
      el.style.fontSize = '';
      var size = parseFloat(getComputedStyle(el).fontSize) || 48;
      while (el.scrollWidth > el.clientWidth && size > 12) {
        size -= 1;
        el.style.fontSize = size + 'px';
      }
    });
  }
  window.addEventListener('resize', fit);

  function tone() {
    if (!audio) { return; }
    var o = audio.createOscillator(), g = audio.createGain(), t = audio.currentTime;
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.25, t);
    g.gain.exponentialRampToValueAtTime(0.001, t + 0.35);
    o.connect(g);
    g.connect(audio.destination);
    o.start(t);
    o.stop(t + 0.35);
  }

  function say(text) {
    body.setAttribute('data-said', text);
    if (!sound) { return; }
    tone();
    if ('speechSynthesis' in window) {
      var u = new SpeechSynthesisUtterance(text);
      u.lang = document.documentElement.lang;
      window.speechSynthesis.speak(u);
    }
  }

  function apply(m) {
    clearTimeout(holdTimer);
    if (m.screen !== 'idle') {
      sections.forEach(function (s) {
        if (s.getAttribute('data-screen') === m.screen) { s.innerHTML = m.html || ''; }
      });
    }
    show(m.screen);
    live.textContent = m.live || '';
    if (m.screen === 'result') {
      holdTimer = setTimeout(function () { show('idle'); live.textContent = ''; }, (m.hold || 8) * 1000);
      if (m.say && m.sale && !spoken[m.sale]) {
        spoken[m.sale] = true;
        say(m.say);
      }
    }
  }

  function connect() {
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + body.getAttribute('data-socket'));
    ws.onopen = function () { offline.hidden = true; delay = 500; failures = 0; };
    ws.onmessage = function (e) {
      try { apply(JSON.parse(e.data)); } catch (err) { /* a bad message: keep what is shown */ }
    };
    ws.onclose = function (e) {
      if (e.code === 4001) { location.reload(); return; }
      offline.hidden = false;
      failures++;
      if (failures % 3 === 0) {
        // Refused at the handshake (401) means unpaired: show the form.
        fetch(body.getAttribute('data-socket'), { credentials: 'same-origin' }).then(function (r) {
          if (r.status === 401) { location.reload(); }
        }, function () {});
      }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }

  soundButton.addEventListener('click', function () {
    sound = !sound;
    soundButton.setAttribute('aria-pressed', String(sound));
    if (sound && !audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
  });

  // Keep the screen on where the browser can (Screen Wake Lock API).
  function wake() {
    if (navigator.wakeLock && document.visibilityState === 'visible') {
      navigator.wakeLock.request('screen').catch(function () {});
    }
  }
  document.addEventListener('visibilitychange', wake);
  wake();
  fit();
  connect();
})();
