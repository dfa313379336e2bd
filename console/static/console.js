// Live updates: the server streams the page's live part over Server-Sent
// Events whenever it changes; we swap it in and keep keyboard focus.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var state = document.getElementById("live-state");
  if (!live || !window.EventSource) { return; }
  var q = new URLSearchParams(location.search);
  q.delete("ok");
  q.delete("err");
  q.set("page", document.body.dataset.page);
  var es = new EventSource("/events?" + q.toString());
  es.addEventListener("open", function () { state.textContent = "live"; state.className = "live-state on"; });
  es.addEventListener("error", function () { state.textContent = "reconnecting…"; state.className = "live-state off"; });
  es.addEventListener("live", function (ev) {
    var focused = document.activeElement;
    var href = focused && live.contains(focused) ? focused.getAttribute("href") : null;
    var scrollers = Array.prototype.map.call(live.querySelectorAll(".scroll"), function (el) { return el.scrollLeft; });
    live.innerHTML = ev.data;
    live.querySelectorAll(".scroll").forEach(function (el, i) { if (scrollers[i]) { el.scrollLeft = scrollers[i]; } });
    if (href) {
      var again = live.querySelector('a[href="' + CSS.escape(href) + '"]');
      if (again) { again.focus(); }
    }
    document.body.dataset.updated = String(Date.now());
  });
})();
