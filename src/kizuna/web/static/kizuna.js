/* Kizuna's own script. Small enhancements only: every page works without it.
 *
 * - Remembers the browser's time zone in the "tz" cookie, so the server can show times in the
 *   reader's zone (a zone chosen on the account page still wins; the server checks the name).
 * - Makes countdowns tick. Their sentences come from the page (data-short, data-one, data-other,
 *   data-done, written by the server from the translation catalogs), never from this file. A
 *   countdown in content swapped in later (htmx, or kizuna-live.js's "kizuna:swapped") ticks too, and
 *   one whose end changed ("kizuna:countdown", after an extension) starts again from its new end.
 * - Shows the copy buttons (button[data-copy]: the id of the field to copy) where the browser lets
 *   a page write to the clipboard; the sentence said after copying comes from data-copied.
 * - Fills in the join page's invite code from the link's fragment (#code=…), which browsers never
 *   send to a server.
 * - Folds the main navigation behind the menu button on a phone (the button is shown only there,
 *   by the style sheet); without the script the navigation simply stays open.
 * - Applies the challenge board's filters (form[data-board-filters]) as they change, without a
 *   request: the server renders every card and marks those its filters leave out with `hidden`, so
 *   the script only moves that mark, and keeps the address in step (a reload or a shared link shows
 *   the same board). Without the script the form is an ordinary GET form.
 */
(function () {
  "use strict";

  var ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
  var YEAR = 365 * 24 * 3600;

  function rememberZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    if (!zone || zone.length > 64 || !ZONE.test(zone)) return;
    var cookie = "tz=" + zone;
    if (document.cookie.split("; ").indexOf(cookie) !== -1) return;
    var secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = cookie + "; path=/; max-age=" + YEAR + "; samesite=lax" + secure;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function fill(pattern, days, clock) {
    return pattern.split("{days}").join(String(days)).split("{clock}").join(clock);
  }

  /* Seconds left are counted from what the server said when it rendered the page, so a wrong clock
     on the reader's computer does not change the countdown. */
  function startCountdown(el) {
    var run = (el.kizunaRun || 0) + 1;
    el.kizunaRun = run; // a restarted countdown stops the loop it replaces
    var left = parseInt(el.getAttribute("data-left"), 10);
    var end = isNaN(left) ? Date.parse(el.getAttribute("data-countdown")) : Date.now() + left * 1000;
    if (isNaN(end)) return;
    function tick() {
      if (el.kizunaRun !== run) return;
      var seconds = Math.max(0, Math.round((end - Date.now()) / 1000));
      if (seconds === 0) {
        el.textContent = el.getAttribute("data-done");
        return;
      }
      var days = Math.floor(seconds / 86400);
      var rest = seconds % 86400;
      var clock = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
      var name = days === 0 ? "data-short" : days === 1 ? "data-one" : "data-other";
      el.textContent = fill(el.getAttribute(name), days, clock);
      setTimeout(tick, 1000 - (Date.now() % 1000));
    }
    tick();
  }

  function startWithin(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.hasAttribute && root.hasAttribute("data-countdown")) startCountdown(root);
    var timers = root.querySelectorAll("[data-countdown]");
    for (var i = 0; i < timers.length; i++) startCountdown(timers[i]);
  }

  function enableCopyButtons() {
    if (!navigator.clipboard || !navigator.clipboard.writeText) return;
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      (function (button) {
        var field = document.getElementById(button.getAttribute("data-copy"));
        var status = button.parentNode.querySelector(".copy-status");
        if (!field) return;
        button.hidden = false;
        button.addEventListener("click", function () {
          navigator.clipboard.writeText(field.value).then(function () {
            if (status) status.textContent = button.getAttribute("data-copied");
          });
        });
      })(buttons[i]);
    }
  }

  function fillInviteFromFragment() {
    var field = document.getElementById("f-code");
    var match = /^#code=([^&]{1,64})$/.exec(location.hash);
    if (!field || !match || field.value) return;
    try {
      field.value = decodeURIComponent(match[1]);
    } catch (e) {
      return;
    }
  }

  function foldMenu() {
    var button = document.querySelector("header.site .menu-button");
    var header = document.querySelector("header.site");
    if (!button || !header) return;
    button.hidden = false;
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-folded", !open);
    }
    set(false);
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
  }

  function boardFilters() {
    var form = document.querySelector("form[data-board-filters]");
    if (!form || !window.URLSearchParams || !history.replaceState) return;
    var unsolved = form.querySelector('input[name="show"]');
    var category = form.querySelector('select[name="category"]');
    var apply = form.querySelector("[data-filters-apply]");
    var clear = form.querySelector("[data-filters-clear]");
    var empty = document.querySelector("[data-board-empty]");
    if (apply) apply.hidden = true; // the filters apply as they change
    function run() {
      var onlyUnsolved = !!(unsolved && unsolved.checked);
      var wanted = category ? category.value : "";
      var sections = document.querySelectorAll("[data-category-section]");
      var total = 0;
      for (var i = 0; i < sections.length; i++) {
        var cards = sections[i].querySelectorAll("li.card");
        var shown = 0;
        for (var j = 0; j < cards.length; j++) {
          var card = cards[j];
          var ok = !(onlyUnsolved && card.getAttribute("data-solved") === "1") &&
            (!wanted || card.getAttribute("data-category") === wanted);
          card.hidden = !ok;
          if (ok) shown++;
        }
        sections[i].hidden = shown === 0;
        total += shown;
      }
      if (empty) empty.hidden = total > 0;
      if (clear) clear.hidden = !onlyUnsolved && !wanted;
      var params = new URLSearchParams();
      if (onlyUnsolved) params.set("show", "unsolved");
      if (wanted) params.set("category", wanted);
      var query = params.toString();
      history.replaceState(history.state, "", location.pathname + (query ? "?" + query : ""));
    }
    form.addEventListener("change", run);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      run();
    });
    if (clear) {
      clear.addEventListener("click", function (e) {
        e.preventDefault();
        if (unsolved) unsolved.checked = false;
        if (category) category.value = "";
        run();
      });
    }
  }

  function start() {
    foldMenu();
    boardFilters();
    rememberZone();
    startWithin(document);
    enableCopyButtons();
    if (location.pathname === "/teams/join") fillInviteFromFragment();
  }

  document.addEventListener("kizuna:swapped", function (e) {
    startWithin(e.target);
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    startWithin((e.detail && e.detail.target) || e.target);
  });
  // A correct flag answered in place: the field is emptied (a wrong one stays, to be corrected).
  // After settling: htmx gives the swapped element its new classes only then.
  document.addEventListener("htmx:afterSettle", function () {
    var result = document.getElementById("attempt-result");
    var field = document.getElementById("f-submission");
    if (result && field && result.classList.contains("result-correct")) field.value = "";
  });
  document.addEventListener("kizuna:countdown", function (e) {
    if (e.target && e.target.hasAttribute && e.target.hasAttribute("data-countdown")) startCountdown(e.target);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
