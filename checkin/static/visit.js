// /p/<poster code>: the visitor's own phone at a poster. The pass page stores the pass's
// manage token in localStorage["thetsakan.pass.<festival>"]; without it we ask for the link once.
(function () {
  var box = document.getElementById("visit");
  if (!box) return;
  var key = "thetsakan.pass." + box.getAttribute("data-festival");
  var form = document.getElementById("visit-form");
  var working = document.getElementById("visit-working");

  function msg(name) { return box.getAttribute("data-msg-" + name) || ""; }

  function tokenFrom(text) {
    var match = String(text || "").match(/\/passes\/([A-Za-z0-9_-]{16,})/);
    if (match) return match[1];
    return /^[A-Za-z0-9_-]{16,}$/.test(String(text || "").trim()) ? String(text).trim() : null;
  }

  function show(result, body, token) {
    var panel = document.getElementById("visit-answer");
    panel.hidden = false;
    panel.setAttribute("data-result", result);
    panel.className = "visit-answer visit-" + (result === "admitted" ? "green" : result === "already_admitted" ? "amber" : "red");
    document.getElementById("visit-answer-title").textContent = msg(result) || msg("error");
    var rehearsal = document.getElementById("visit-rehearsal");
    rehearsal.hidden = !(body && body.rehearsal);  // the day before: it counts nowhere, and says so
    rehearsal.textContent = rehearsal.hidden ? "" : msg("rehearsal");
    var stamps = document.getElementById("visit-stamps");
    stamps.textContent = body && body.kind === "booth" && body.stamp_goal
      ? msg("stamps").replace("{n}", body.stamps).replace("{goal}", body.stamp_goal) : "";
    document.getElementById("visit-pass-link").href = "/passes/" + token;
    working.hidden = true;
    form.hidden = true;
  }

  function ask() {
    working.hidden = true;
    form.hidden = false;
  }

  function visit(token) {
    working.hidden = false;
    fetch("/api/v1/passes/" + encodeURIComponent(token) + "/visits", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ poster_code: box.getAttribute("data-poster-code") })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      if (answer.status === 404 && answer.body.code === "not_found") {
        localStorage.removeItem(key); // the remembered pass is gone
        ask();
        return;
      }
      if (answer.status === 200) {
        localStorage.setItem(key, token);
        show(answer.body.result, answer.body, token);
        return;
      }
      show("error", null, token);
      document.getElementById("visit-answer-title").textContent = answer.body.localized_message || msg("error");
    }).catch(function () {
      working.textContent = msg("offline");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var token = tokenFrom(document.getElementById("visit-link").value);
    document.getElementById("visit-form-error").hidden = !!token;
    if (token) visit(token);
  });

  var remembered = localStorage.getItem(key);
  if (remembered) visit(remembered); else ask();
})();
