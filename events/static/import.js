// The programme import page, enhanced: check and apply without leaving the page,
// keep the chosen file for "apply" after a clean dry run, and follow a queued
// import with a progress bar. Without this script the form posts and the server
// renders the same result.
(function () {
  "use strict";
  var POLL_MS = 1000;
  var form = document.querySelector("form[data-import]");
  var progress = document.getElementById("import-progress");
  var out = document.getElementById("import-result");
  var tokenTag = document.querySelector('meta[name="csrf-token"]');
  var chosen = null;

  function setProgress(percent, text) {
    if (!progress) { return; }
    progress.hidden = false;
    var bar = progress.querySelector("[role=progressbar]");
    var fill = bar.querySelector("span");
    var value = Math.max(0, Math.min(100, Number(percent) || 0));
    fill.style.width = value + "%";
    bar.setAttribute("aria-valuenow", String(value));
    progress.querySelector("[data-progress-text]").textContent = text || value + "%";
  }

  function show(html) {
    out.innerHTML = html;
    var apply = out.querySelector("[data-apply]");
    if (apply) {
      apply.addEventListener("click", function () { send(chosen, false); });
    }
    out.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function failed(message) {
    var box = document.createElement("p");
    box.className = "flash error";
    box.textContent = message;
    out.replaceChildren(box);
  }

  function setBusy(busy) {
    if (!form) { return; }
    form.querySelectorAll("button").forEach(function (button) { button.disabled = busy; });
  }

  function poll(url) {
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (job) {
          setProgress(job.progress);
          if (job.status === "finished" || job.status === "failed") {
            if (progress) { progress.hidden = true; }
            setBusy(false);
            show(job.html);
          } else {
            poll(url);
          }
        })
        .catch(function () { poll(url); });  // weak Wi-Fi: keep trying
    }, POLL_MS);
  }

  function send(file, dryRun) {
    if (!file) { return; }
    var data = new FormData();
    data.append("file", file);
    data.append("dry_run", dryRun ? "true" : "false");
    setBusy(true);
    out.replaceChildren();
    fetch(form.getAttribute("data-import"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": tokenTag ? tokenTag.content : "" },
    })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      })
      .then(function (answer) {
        if (answer.status === 202) {
          setProgress(answer.body.progress || 0, form.querySelector("[data-progress-text]").textContent);
          poll(answer.body.poll_url);
          return;
        }
        setBusy(false);
        if (answer.body.html) { show(answer.body.html); } else { failed(answer.body.summary || answer.body.localized_message || answer.body.message || String(answer.status)); }
      })
      .catch(function () {
        setBusy(false);
        failed(form.getAttribute("data-offline") || "The upload did not reach the server. Try again.");
      });
  }

  if (form && window.fetch && window.FormData) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      if (!input.files || !input.files.length) { return; }  // let the server say what is missing
      event.preventDefault();
      chosen = input.files[0];
      var action = event.submitter ? event.submitter.value : "check";
      send(chosen, action !== "apply");
    });
  }

  // The status page of a queued import follows it by itself.
  if (!form && progress && progress.getAttribute("data-poll") && !progress.hidden) {
    poll(progress.getAttribute("data-poll"));
  }
})();
