// Shows a report's build progress while a worker compiles it, then its files.
// Polls the page's own JSON endpoint (session cookie, same origin); no inline script under the CSP.
(function () {
  "use strict";
  var PAUSE = 1500;

  function show(item, report) {
    var bar = item.querySelector(".bar");
    var label = item.querySelector("[data-status-label]");
    if (bar) {
      bar.setAttribute("aria-valuenow", String(report.progress));
      bar.firstElementChild.style.width = report.progress + "%";
      bar.hidden = report.done;
    }
    if (label) {
      label.textContent = report.status_label;
      label.className = "badge" + (report.status === "failed" ? " bad" : report.status === "finished" ? "" : " warn");
    }
    var compiled = item.querySelector("[data-compiled]");
    if (compiled && report.compiled_text) {
      compiled.textContent = report.compiled_text;
      compiled.hidden = false;
    }
    var files = item.querySelector("[data-files]");
    if (files && report.files.length && !files.children.length) {
      report.files.forEach(function (file) {
        var li = document.createElement("li");
        var link = document.createElement("a");
        link.className = "button";
        link.href = file.url;
        link.setAttribute("download", "");
        link.textContent = file.label;
        li.appendChild(link);
        files.appendChild(li);
      });
    }
    if (report.error && !item.querySelector(".field-error")) {
      var error = document.createElement("p");
      error.className = "field-error";
      error.textContent = report.error;
      item.appendChild(error);
    }
    item.setAttribute("data-done", report.done ? "true" : "false");
  }

  function poll(item) {
    fetch(item.getAttribute("data-report-status"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(String(answer.status)); }
        return answer.json();
      })
      .then(function (report) {
        show(item, report);
        if (!report.done) { setTimeout(poll, PAUSE, item); }
      })
      .catch(function () { setTimeout(poll, PAUSE * 4, item); });
  }

  document.querySelectorAll("[data-report-status]").forEach(function (item) {
    if (item.getAttribute("data-done") !== "true") { poll(item); }
  });
})();
