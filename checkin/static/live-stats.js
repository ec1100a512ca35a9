// Refreshes the organiser's live counters every few seconds (while the tab is visible).
(function () {
  var box = document.getElementById("live");
  if (!box) return;
  var every = parseInt(box.getAttribute("data-interval"), 10) || 5000;
  function refresh() {
    if (document.hidden) return;
    fetch(box.getAttribute("data-refresh"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { box.innerHTML = html; box.setAttribute("data-updated", String(Date.now())); } })
      .catch(function () { /* offline: keep the last figures */ });
  }
  setInterval(refresh, every);
})();
