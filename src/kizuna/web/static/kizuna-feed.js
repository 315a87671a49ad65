/* The live activity feed (/admin/feed): new submissions appear on top while the page is open.
 *
 * Small and framework-free; the page works without it (reload it to see new rows). It has no words
 * of its own: rows come from the server (/admin/feed/rows, with the page's filters, rendered in the
 * reader's language and time zone), and the sentence about a hidden account comes from the stream,
 * rendered by the server for this reader.
 *
 * What the page provides:
 * - <body data-events-url="/events"> (base.html);
 * - <tbody id="kz-feed-rows" data-rows-url="/admin/feed/rows?…" data-after="<newest shown id>">;
 * - #kz-feed-notices: a list that takes the sentence of each account_hidden event at the top;
 * - #kz-feed-empty: the "no submissions" note, hidden once a row arrives.
 *
 * It follows the page's one stream, opened by kizuna-live.js ("kizuna:event" and "kizuna:open" on
 * the document), rather than a connection of its own. On a submission, solve or account_hidden event
 * it fetches the rows after the newest one shown (at most once per second) and puts them on top,
 * keeping the list to MAX_ROWS rows. The stream resumes from the server's stored log after a
 * reconnection, and the rows are fetched again anyway, so nothing that arrived meanwhile is missed.
 */
(function () {
  "use strict";

  var MIN_GAP = 1000;
  var MAX_ROWS = 200;
  var MAX_NOTICES = 20;

  var rows = document.getElementById("kz-feed-rows");
  var rowsUrl = rows && rows.getAttribute("data-rows-url");
  var streamUrl = document.body && document.body.getAttribute("data-events-url");
  if (!rowsUrl || !streamUrl || !window.fetch) return;

  var notices = document.getElementById("kz-feed-notices");
  var timer = null;
  var busy = false;
  var again = false;
  var last = 0;
  var seen = {};

  function newest() {
    var first = rows.querySelector("tr[data-id]");
    var shown = first ? parseInt(first.getAttribute("data-id"), 10) : 0;
    var start = parseInt(rows.getAttribute("data-after"), 10) || 0;
    return Math.max(shown || 0, start);
  }

  function put(html) {
    var holder = document.createElement("tbody");
    holder.innerHTML = html; // our own server's rows, rendered for this reader
    var fresh = holder.querySelectorAll("tr[data-id]");
    if (!fresh.length) return;
    var top = rows.firstChild;
    for (var i = 0; i < fresh.length; i++) {
      if (rows.querySelector('tr[data-id="' + fresh[i].getAttribute("data-id") + '"]')) continue;
      fresh[i].classList.add("feed-new");
      rows.insertBefore(fresh[i], top);
    }
    var all = rows.querySelectorAll("tr[data-id]");
    for (var j = MAX_ROWS; j < all.length; j++) rows.removeChild(all[j]);
    var empty = document.getElementById("kz-feed-empty");
    if (empty) empty.hidden = true;
  }

  function load() {
    timer = null;
    busy = true;
    last = Date.now();
    var address = rowsUrl + (rowsUrl.indexOf("?") === -1 ? "?" : "&") + "after=" + newest();
    fetch(address, { credentials: "same-origin", cache: "no-store", headers: { "X-Kizuna-Live": "1" } })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(put)
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          soon();
        }
      });
  }

  function soon() {
    if (busy) {
      again = true;
      return;
    }
    if (timer) return;
    timer = setTimeout(load, Math.max(0, last + MIN_GAP - Date.now()));
  }

  function hidden(ev) {
    if (!notices || !ev || seen[ev.id]) return;
    seen[ev.id] = true;
    var messages = Array.isArray(ev.messages) ? ev.messages : [];
    if (!messages.length) return;
    var item = document.createElement("li");
    for (var i = 0; i < messages.length; i++) {
      if (!messages[i] || typeof messages[i].text !== "string") continue;
      var line = document.createElement("span");
      if (messages[i].locale) line.setAttribute("lang", messages[i].locale);
      line.textContent = (i ? " " : "") + messages[i].text; // text only, never parsed as HTML
      item.appendChild(line);
    }
    notices.insertBefore(item, notices.firstChild);
    while (notices.children.length > MAX_NOTICES) notices.removeChild(notices.lastChild);
  }

  document.addEventListener("kizuna:event", function (e) {
    var type = e.detail && e.detail.type;
    if (type === "account_hidden") hidden(e.detail.event);
    if (type === "submission" || type === "solve" || type === "account_hidden") soon();
  });
  document.addEventListener("kizuna:open", soon); // after a reconnection, catch up

})();
