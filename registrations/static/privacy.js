// After a deletion: forget the pass this phone remembered for the festival (pass.js keeps it in
// localStorage["thetsakan.pass.<festival slug>"]), but only if it is the pass just deleted, whose
// old token the page receives in its fragment; then drop the fragment from the address bar.
(function () {
  var page = document.querySelector("[data-forget-pass]");
  if (!page) { return; }
  var token = window.location.hash.replace(/^#/, "");
  try {
    var key = "thetsakan.pass." + page.getAttribute("data-festival");
    if (token && window.localStorage.getItem(key) === token) {
      window.localStorage.removeItem(key);
    }
  } catch (e) { /* storage blocked: nothing remembered */ }
  if (token && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
})();
