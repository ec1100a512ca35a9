// Sign-up form: add and remove family member rows. Without JavaScript the form
// still offers one row; with it, up to data-max rows.
(function () {
  var box = document.querySelector("[data-party]");
  if (!box) { return; }
  var rows = box.querySelector("[data-party-rows]");
  var template = box.querySelector("[data-party-template]");
  var add = box.querySelector("[data-party-add]");
  var max = parseInt(box.getAttribute("data-max"), 10) || 9;

  function count() { return rows.querySelectorAll("[data-party-row]").length; }

  function refresh() {
    add.hidden = count() >= max;
    rows.querySelectorAll("[data-party-remove]").forEach(function (button) { button.hidden = false; });
  }

  add.addEventListener("click", function () {
    if (count() >= max) { return; }
    rows.appendChild(template.content.cloneNode(true));
    refresh();
    var inputs = rows.querySelectorAll("input[name=party_name]");
    inputs[inputs.length - 1].focus();
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-party-remove]");
    if (!button) { return; }
    var row = button.closest("[data-party-row]");
    if (count() > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input, select").forEach(function (field) { field.value = ""; });
    }
    refresh();
  });

  refresh();
})();
