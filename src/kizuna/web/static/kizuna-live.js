/* Kizuna's live page script: pages that update themselves from the event stream (GET /events).
 *
 * Small and framework-free; every page works without it (the server renders the same state on each
 * load). It has no words of its own: sentences come from the stream, rendered by the server in the
 * reader's language (both languages in 日英併記 mode), and labels come from the page's attributes,
 * written by the server from the translation catalogs.
 *
 * What the page provides (all optional except the first):
 * - <body data-live="1" data-events-url="/events"> — nothing happens without it;
 *   data-last-event-id: listen from the event after the one the page was made from;
 *   data-frozen-at (venue screen): while frozen, tickers take no score news made after the freeze.
 * - #kz-toasts: toasts for announcements, first bloods, the event's state changes and a judge's
 *   decision on the reader's answer and a badge the reader's account earned
 *   (data-dismiss-label: the close button's label; data-announcements-url: where a toast links to).
 * - #kz-unread: the unread announcements marker (data-one / data-other: "{num}" patterns;
 *   data-clear-on: the path that reads them, where the count is cleared).
 * - #kz-event-banner: shown with the sentence while the event is paused, hidden when it resumes
 *   (the text goes into its [data-live-text] child when it has one).
 * - [data-solves-for="<challenge id>"] with data-count, data-one, data-other: live solve counts.
 * - [data-live-refresh="<url>"] with data-live-on="<event types>" (default "scoreboard"): a fragment
 *   fetched again (at most once a second) and swapped in when one of those events arrives.
 * - [data-live-ticker="<event types>"] with data-max: a list that takes each event's sentence at the top.
 * - [data-live-countdown="end"]: a countdown (static/kizuna.js) that follows an extension.
 *
 * Every event is also dispatched on the document as "kizuna:event" ({type, event} in its detail), so
 * another script of the page can follow the stream without opening a second connection.
 *
 * Reconnecting: EventSource reconnects by itself and sends Last-Event-ID, so the server resumes from
 * its stored log. When the stream keeps failing (or the browser gives up), this script closes it and
 * opens a new one after a growing, jittered delay (1 s doubling up to 60 s), passing the last id.
 */
(function () {
  "use strict";

  var MIN_GAP = 1000; // a fragment is fetched at most once per second
  var FIRST_DELAY = 1000;
  var MAX_DELAY = 60000;
  var TOAST_MS = 10000;
  var MAX_TOASTS = 4;
  var UNREAD_KEY = "kizuna.unread";
  var TYPES = [
    "solve", "announcement", "scoreboard", "event_state", "challenge_released", "hint_added",
    "award", "unlock", "account_hidden", "challenge_changed", "account_changed", "event_changed",
    "submission", "review_submitted", "review_decided", "badge_awarded"
  ];
  var TOASTED = {
    solve: 1, announcement: 1, event_state: 1, challenge_released: 1, hint_added: 1, award: 1, review_decided: 1,
    badge_awarded: 1
  };

  var body = document.body;
  var url = body && body.getAttribute("data-live") === "1" ? body.getAttribute("data-events-url") : "";
  if (!url || !window.EventSource) return;

  var lastId = parseInt(body.getAttribute("data-last-event-id"), 10) || 0;
  var source = null;
  var retryTimer = null;
  var delay = FIRST_DELAY;
  var failures = 0;
  var reopened = false;
  var seen = {};
  var seenOrder = [];
  var fragments = {};
  // The difference between this computer's clock and the server's, from a countdown on the page:
  // its target minus the seconds the server said were left is the server's time of rendering.
  var clockOffset = null;
  var loadedAt = Date.now();

  function words(value) {
    return (value || "").split(/\s+/).filter(Boolean);
  }

  function has(list, item) {
    return list.indexOf(item) !== -1;
  }

  function fill(pattern, n) {
    var shown = typeof n.toLocaleString === "function" ? n.toLocaleString(document.documentElement.lang || undefined) : String(n);
    return (pattern || "").split("{num}").join(shown);
  }

  function plural(el, n) {
    return fill(el.getAttribute(n === 1 ? "data-one" : "data-other"), n);
  }

  function lines(container, messages, tag) {
    for (var i = 0; i < messages.length; i++) {
      var line = document.createElement(tag || "p");
      if (messages[i].locale) line.setAttribute("lang", messages[i].locale);
      line.textContent = messages[i].text; // text only: nothing from the stream is parsed as HTML
      container.appendChild(line);
    }
  }

  function tell(el, name) {
    var event;
    try {
      event = new CustomEvent(name, { bubbles: true });
    } catch (e) {
      event = document.createEvent("CustomEvent");
      event.initCustomEvent(name, true, false, null);
    }
    el.dispatchEvent(event);
  }

  /* --- fragments ------------------------------------------------------------------------------ */

  function refresh(type) {
    var parts = document.querySelectorAll("[data-live-refresh]");
    for (var i = 0; i < parts.length; i++) {
      var on = words(parts[i].getAttribute("data-live-on") || "scoreboard");
      if (type === "*" || has(on, type)) want(parts[i].getAttribute("data-live-refresh"));
    }
  }

  function want(address) {
    if (!address) return;
    var f = fragments[address] || (fragments[address] = { last: 0, timer: null, busy: false, again: false, stale: false });
    if (f.busy) {
      f.again = true;
      return;
    }
    if (f.timer) return;
    var wait = Math.max(0, f.last + MIN_GAP - Date.now());
    f.timer = setTimeout(function () {
      f.timer = null;
      load(address, f);
    }, wait);
  }

  function load(address, f) {
    if (document.hidden) {
      f.stale = true; // fetched when the page is seen again
      return;
    }
    f.busy = true;
    f.last = Date.now();
    fetch(address, { credentials: "same-origin", cache: "no-store", headers: { "X-Kizuna-Live": "1" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) swap(address, html);
      })
      .catch(function () {})
      .then(function () {
        f.busy = false;
        if (f.again) {
          f.again = false;
          want(address);
        }
      });
  }

  function swap(address, html) {
    var parts = document.querySelectorAll("[data-live-refresh]");
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].getAttribute("data-live-refresh") !== address) continue;
      parts[i].innerHTML = html; // our own server's HTML fragment, rendered for this reader
      tell(parts[i], "kizuna:swapped"); // kizuna.js starts the countdowns inside
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    for (var address in fragments) {
      if (Object.prototype.hasOwnProperty.call(fragments, address) && fragments[address].stale) {
        fragments[address].stale = false;
        want(address);
      }
    }
  });

  /* --- toasts, tickers, the banner, the unread marker --------------------------------------- */

  function toast(type, messages) {
    var box = document.getElementById("kz-toasts");
    if (!box || !messages.length) return;
    var item = document.createElement("div");
    item.className = "kz-toast kz-toast-" + type;
    var text = document.createElement("div");
    text.className = "kz-toast-text";
    var link = type === "announcement" ? box.getAttribute("data-announcements-url") : "";
    if (link) {
      var a = document.createElement("a");
      a.setAttribute("href", link);
      lines(a, messages, "span");
      text.appendChild(a);
    } else {
      lines(text, messages);
    }
    item.appendChild(text);
    var timer = null;
    function close() {
      clearTimeout(timer);
      if (item.parentNode) item.parentNode.removeChild(item);
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(close, TOAST_MS);
    }
    var label = box.getAttribute("data-dismiss-label");
    if (label) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "kz-toast-close";
      button.setAttribute("aria-label", label);
      button.textContent = "\u00d7";
      button.addEventListener("click", close);
      item.appendChild(button);
    }
    // A reader who points at or tabs into a toast keeps it until they leave it.
    item.addEventListener("mouseenter", function () { clearTimeout(timer); });
    item.addEventListener("mouseleave", later);
    item.addEventListener("focusin", function () { clearTimeout(timer); });
    item.addEventListener("focusout", later);
    box.appendChild(item);
    while (box.children.length > MAX_TOASTS) box.removeChild(box.firstElementChild);
    later();
  }

  function frozenOut(type, ev) {
    var frozen = Date.parse(body.getAttribute("data-frozen-at") || "");
    if (isNaN(frozen) || type !== "solve") return false;
    var at = Date.parse(ev.at || "");
    return isNaN(at) || at >= frozen;
  }

  function ticker(type, messages) {
    var lists = document.querySelectorAll("[data-live-ticker]");
    for (var i = 0; i < lists.length; i++) {
      var list = lists[i];
      if (!has(words(list.getAttribute("data-live-ticker")), type)) continue;
      var item = document.createElement("li");
      item.className = "ticker-item ticker-new";
      lines(item, messages);
      list.insertBefore(item, list.firstChild);
      var max = parseInt(list.getAttribute("data-max"), 10) || 5;
      while (list.children.length > max) list.removeChild(list.lastElementChild);
      var empty = list.parentNode && list.parentNode.querySelector("[data-live-empty]");
      if (empty) empty.hidden = true;
    }
  }

  function banner(ev, messages) {
    var el = document.getElementById("kz-event-banner");
    var state = ev.data && ev.data.state;
    if (!el || (state !== "paused" && state !== "resumed")) return;
    if (state === "resumed") {
      el.textContent = ""; // empty, so not shown (kizuna.css)
      el.hidden = true;
      return;
    }
    var target = el.querySelector("[data-live-text]") || el;
    target.textContent = "";
    lines(target, messages);
    el.hidden = false;
  }

  function unreadIds() {
    try {
      var ids = JSON.parse(window.localStorage.getItem(UNREAD_KEY) || "[]");
      return Array.isArray(ids) ? ids : [];
    } catch (e) {
      return [];
    }
  }

  function setUnread(ids) {
    try {
      window.localStorage.setItem(UNREAD_KEY, JSON.stringify(ids.slice(-99)));
    } catch (e) {
      /* storage refused (private mode, quota): the marker only lives on this page */
    }
    showUnread(ids);
  }

  function showUnread(ids) {
    var el = document.getElementById("kz-unread");
    if (!el) return;
    var n = (ids || unreadIds()).length;
    el.textContent = n ? plural(el, n) : "";
    el.hidden = !n;
  }

  function readingAnnouncements() {
    var el = document.getElementById("kz-unread");
    var path = el && el.getAttribute("data-clear-on");
    return !!path && location.pathname === path;
  }

  function announced(ev) {
    if (readingAnnouncements()) return;
    var key = ev.data && ev.data.notification_id != null ? ev.data.notification_id : ev.id;
    var ids = unreadIds();
    if (!has(ids, key)) ids.push(key); // several open tabs count one announcement once
    setUnread(ids);
  }

  window.addEventListener("storage", function (e) {
    if (e.key === UNREAD_KEY) showUnread();
  });

  /* --- the countdown and the freeze follow the event's state ---------------------------------- */

  function measureClock() {
    var el = document.querySelector("[data-countdown][data-left]");
    if (!el) return;
    var target = Date.parse(el.getAttribute("data-countdown"));
    var left = parseInt(el.getAttribute("data-left"), 10);
    if (!isNaN(target) && !isNaN(left)) clockOffset = loadedAt - (target - left * 1000);
  }

  function extend(ev) {
    var end = Date.parse((ev.data && ev.data.end_at) || "");
    if (isNaN(end)) return;
    var offset = clockOffset;
    if (offset === null) {
      var at = Date.parse(ev.at || "");
      offset = isNaN(at) ? 0 : Date.now() - at;
    }
    var left = Math.max(0, Math.round((end + offset - Date.now()) / 1000));
    var timers = document.querySelectorAll('[data-live-countdown="end"]');
    for (var i = 0; i < timers.length; i++) {
      timers[i].setAttribute("data-countdown", ev.data.end_at);
      timers[i].setAttribute("data-left", String(left));
      tell(timers[i], "kizuna:countdown"); // kizuna.js restarts it from the new end
    }
  }

  function stateChanged(ev, messages) {
    var state = ev.data && ev.data.state;
    if (state === "extended") extend(ev);
    if (body.hasAttribute("data-frozen-at")) {
      if (state === "frozen") body.setAttribute("data-frozen-at", ev.at || "");
      if (state === "unfrozen") body.setAttribute("data-frozen-at", "");
    }
    // Scoreboard events are held back from players during a freeze: read the board again when it
    // starts or ends, whatever was missed.
    if (state === "frozen" || state === "unfrozen") refresh("scoreboard");
    banner(ev, messages);
  }

  /* --- the stream ------------------------------------------------------------------------------ */

  function firstTime(type, id) {
    if (!id) return true;
    var key = type + ":" + id;
    if (seen[key]) return false;
    seen[key] = 1;
    seenOrder.push(key);
    if (seenOrder.length > 500) delete seen[seenOrder.shift()];
    return true;
  }

  function onEvent(e) {
    var id = parseInt(e.lastEventId, 10) || 0;
    if (id > lastId) lastId = id;
    var ev;
    try {
      ev = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    if (!ev || typeof ev !== "object") return;
    var type = e.type;
    if (!firstTime(type, ev.id || id)) return;
    var messages = Array.isArray(ev.messages) ? ev.messages.filter(function (m) {
      return m && typeof m.text === "string" && m.text;
    }) : [];
    if (type === "solve" && ev.data) {
      var counts = document.querySelectorAll('[data-solves-for="' + String(parseInt(ev.data.challenge_id, 10)) + '"]');
      for (var i = 0; i < counts.length; i++) {
        var n = (parseInt(counts[i].getAttribute("data-count"), 10) || 0) + 1;
        counts[i].setAttribute("data-count", String(n));
        counts[i].textContent = plural(counts[i], n);
      }
    }
    if (type === "announcement") announced(ev);
    if (type === "event_state") stateChanged(ev, messages);
    if (messages.length && !frozenOut(type, ev)) {
      if (TOASTED[type]) toast(type, messages);
      ticker(type, messages);
    }
    refresh(type);
    announce(type, ev);
  }

  /* Other scripts of the page follow the same stream instead of opening one of their own:
     document.addEventListener("kizuna:event", (e) => e.detail.type, e.detail.event), and
     "kizuna:open" each time the stream (re)opens. */
  function announce(type, ev) {
    var event;
    try {
      event = new CustomEvent("kizuna:event", { detail: { type: type, event: ev } });
    } catch (e) {
      return;
    }
    document.dispatchEvent(event);
  }

  function address() {
    if (!lastId) return url;
    return url + (url.indexOf("?") === -1 ? "?" : "&") + "last_event_id=" + lastId;
  }

  function connect() {
    var es = new EventSource(address());
    source = es;
    es.onopen = function () {
      failures = 0;
      delay = FIRST_DELAY;
      body.setAttribute("data-live-state", "open");
      try {
        document.dispatchEvent(new CustomEvent("kizuna:open"));
      } catch (err) { /* very old browsers: other scripts catch up on their next event */ }
      // After an outage, read every part again in case the log could not fill the gap.
      if (reopened) refresh("*");
      reopened = false;
    };
    es.onerror = function () {
      failures += 1;
      body.setAttribute("data-live-state", "reconnecting");
      // The browser retries a dropped stream by itself; when it gives up (CLOSED) or keeps failing,
      // we back off instead of knocking every few seconds on a server that is struggling.
      if (es.readyState === 2 || failures >= 3) {
        es.close();
        if (source === es) source = null;
        reopened = true;
        var wait = delay / 2 + Math.random() * delay / 2;
        delay = Math.min(MAX_DELAY, delay * 2);
        retryTimer = setTimeout(function () {
          retryTimer = null;
          connect();
        }, wait);
      }
    };
    for (var i = 0; i < TYPES.length; i++) es.addEventListener(TYPES[i], onEvent);
  }

  function start() {
    measureClock();
    showUnread();
    if (readingAnnouncements()) setUnread([]);
    connect();
  }

  window.addEventListener("pagehide", function () {
    if (source) source.close();
    source = null;
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && !source && !retryTimer) {
      reopened = true; // back from the browser's page cache: catch up
      connect();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
