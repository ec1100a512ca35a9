// Remembers the visitor's pass on this phone, per festival, so that "Book" on the
// programme books with it: localStorage["thetsakan.pass.<festival slug>"] = manage token.
// The check-in helper's poster page reads the same key.
(function () {
  var PREFIX = "thetsakan.pass.";

  function store() {
    try { return window.localStorage; } catch (e) { return null; }  // private mode, blocked storage
  }

  var pass = document.querySelector("[data-remember-pass]");
  var storage = store();
  if (pass && storage) {
    var key = PREFIX + pass.getAttribute("data-festival");
    if (pass.getAttribute("data-status") === "active") {
      storage.setItem(key, pass.getAttribute("data-token"));
    } else if (storage.getItem(key) === pass.getAttribute("data-token")) {
      storage.removeItem(key);
    }
  }

  var form = document.querySelector("[data-book-form]");
  if (form && storage) {
    var token = storage.getItem(PREFIX + form.getAttribute("data-festival"));
    if (token) {
      form.querySelector("[data-pass-token]").value = token;
      form.querySelector("[data-remembered]").hidden = false;
      // After a refusal the visitor may want to paste another pass's link.
      form.querySelector("[data-paste]").hidden = !form.hasAttribute("data-refused");
    }
  }
})();
