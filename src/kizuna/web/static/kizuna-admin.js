/* Kizuna's script for the staff pages. Enhancements only: every form works without it.
 *
 * - Zoned times (fieldset[data-zoned-input], templates/admin/_ui.html zoned_time): as the organiser
 *   types a date and time or changes the zone beside it, the preview under the field shows the same
 *   moment in UTC and in each of the event's zones (li[data-zone]), formatted by the browser in the
 *   page's language or languages (data-locales) and the reader's clock (data-hour-cycle), with the
 *   zones' short names the server uses (data-names). A time the chosen zone skips or repeats (a summer-time change)
 *   shows the page's own sentence instead (data-skipped, data-repeated, with {time} and {zone}),
 *   as the server would refuse it. The script has no words of its own.
 * - The challenge form: the dynamic-scoring fields ([data-dynamic-only]) are shown only while the
 *   type select ([data-challenge-type]) says "dynamic"; without the script they stay visible,
 *   labelled as applying to dynamic challenges only.
 */
(function () {
  "use strict";

  var DAY = 86400000;
  var LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

  /* Minutes ahead of UTC that `zone` is at the instant `ms`, in milliseconds. */
  function offsetAt(ms, zone) {
    var parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    }).formatToParts(new Date(ms));
    var v = {};
    parts.forEach(function (p) { v[p.type] = p.value; });
    var asUtc = Date.UTC(+v.year, +v.month - 1, +v.day, +v.hour % 24, +v.minute, +v.second);
    return asUtc - Math.floor(ms / 1000) * 1000;
  }

  /* The instants whose clock time in `zone` is `wall` (the typed fields read as if UTC): one,
     none (the clocks skip it) or two (they pass it twice). */
  function instants(wall, zone) {
    var found = [];
    [offsetAt(wall - DAY, zone), offsetAt(wall + DAY, zone)].forEach(function (offset) {
      var candidate = wall - offset;
      if (offsetAt(candidate, zone) === offset && found.indexOf(candidate) === -1) found.push(candidate);
    });
    return found;
  }

  /* The language's medium date and its time of day, as the server writes them (Babel and Intl share
     CLDR's data): the join ("{1}, {0}") and the hour's digits come from the server (data-patterns),
     the hour cycle is the reader's 12- or 24-hour clock, else the language's own; then the zone's
     short name: the server's (names: by offset in minutes), else the browser's. */
  function format(ms, zone, locale, hourCycle, names, pattern) {
    var when = new Date(ms);
    pattern = pattern || {};
    var date = new Intl.DateTimeFormat(locale, { timeZone: zone, dateStyle: "medium" }).format(when);
    var clock = { timeZone: zone, hour: pattern.hour || "numeric", minute: "2-digit" };
    if (hourCycle) clock.hourCycle = hourCycle;
    var time = new Intl.DateTimeFormat(locale, clock).format(when);
    var text = (pattern.join || "{1} {0}").split("{1}").join(date).split("{0}").join(time);
    var name = (names || {})[String(Math.round(offsetAt(ms, zone) / 60000))];
    if (!name) {
      var parts = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "short" }).formatToParts(when);
      parts.forEach(function (p) { if (p.type === "timeZoneName") name = p.value; });
    }
    return name ? text + " " + name : text;
  }

  /* The time in each language shown (two in both-languages mode, joined as the server joins them). */
  function formatAll(ms, zone, locales, hourCycle, names, patterns) {
    var texts = [];
    locales.forEach(function (locale) {
      var text = format(ms, zone, locale, hourCycle, names[locale], patterns[locale]);
      if (texts.indexOf(text) === -1) texts.push(text);
    });
    return texts.join(" / ");
  }

  function jsonOf(el, name) {
    try {
      return JSON.parse(el.getAttribute(name) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function fill(pattern, time, zone) {
    return pattern.split("{time}").join(time).split("{zone}").join(zone);
  }

  function zonedInput(box) {
    var key = box.getAttribute("data-zoned-input");
    var input = document.getElementById("f-" + key);
    var select = document.getElementById("f-" + key + "_zone");
    var preview = document.getElementById("p-" + key);
    if (!input || !select || !preview) return;
    var list = preview.querySelector("ul");
    var problem = preview.querySelector(".zoned-preview-problem");
    var locales = (preview.getAttribute("data-locales") || document.documentElement.lang || "").split(" ").filter(Boolean);
    if (!locales.length) locales = [undefined]; // the browser's own language
    var hourCycle = preview.getAttribute("data-hour-cycle") || "";
    var patterns = jsonOf(preview, "data-patterns");

    function update() {
      var match = LOCAL.exec(input.value);
      if (!match) {
        preview.hidden = true;
        return;
      }
      var wall = Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +(match[6] || 0));
      var zone = select.value;
      var found;
      try {
        found = instants(wall, zone);
      } catch (e) {
        return; // a zone this browser does not know: the server still reads the time
      }
      preview.hidden = false;
      if (found.length !== 1) {
        var typed = match[1] + "-" + match[2] + "-" + match[3] + " " + match[4] + ":" + match[5];
        problem.textContent = fill(preview.getAttribute(found.length ? "data-repeated" : "data-skipped"), typed, zone);
        problem.hidden = false;
        list.hidden = true;
        return;
      }
      problem.hidden = true;
      list.hidden = false;
      var iso = new Date(found[0]).toISOString().replace(/\.\d{3}Z$/, "Z");
      list.querySelectorAll("li[data-zone]").forEach(function (li) {
        var time = li.querySelector("time");
        time.setAttribute("datetime", iso);
        time.textContent = formatAll(found[0], li.getAttribute("data-zone"), locales, hourCycle, jsonOf(li, "data-names"), patterns);
      });
    }

    input.addEventListener("input", update);
    input.addEventListener("change", update);
    select.addEventListener("change", update);
    update();
  }

  function challengeType(select) {
    var form = select.form;
    if (!form) return;
    function update() {
      var dynamic = select.value === "dynamic";
      form.querySelectorAll("[data-dynamic-only]").forEach(function (el) {
        el.hidden = !dynamic;
      });
    }
    select.addEventListener("change", update);
    update();
  }

  function start() {
    if (window.Intl && Intl.DateTimeFormat && Intl.DateTimeFormat.prototype.formatToParts) {
      document.querySelectorAll("fieldset[data-zoned-input]").forEach(zonedInput);
    }
    document.querySelectorAll("select[data-challenge-type]").forEach(challengeType);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
