// Fills <section data-fragment="/url"> with server-rendered HTML from another part of the app,
// so that a page of one domain can show a panel of a domain downstream of it without importing it.
(function () {
  function load(el) {
    fetch(el.getAttribute("data-fragment"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { if (html) { el.innerHTML = html; el.hidden = false; el.dispatchEvent(new Event("fragment:loaded")); } })
      .catch(function () { /* offline: the panel stays hidden */ });
  }
  document.querySelectorAll("[data-fragment]").forEach(load);
})();
