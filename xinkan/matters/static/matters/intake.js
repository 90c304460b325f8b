// Intake form: choosing a resident from the type-ahead links the matter to the archive.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-resident-id]");
    if (!button) return;
    var form = button.closest("form");
    form.querySelector("input[name=resident]").value = button.getAttribute("data-resident-id");
    form.querySelector("input[name=contact_name]").value = button.getAttribute("data-resident-name");
    var chosen = document.getElementById("resident-chosen");
    chosen.querySelector("b").textContent = button.getAttribute("data-resident-name");
    chosen.hidden = false;
    document.getElementById("resident-options").innerHTML = "";
  });
  // The extra fields of the chosen category only (without script, all show under their headings).
  function showExtraFields() {
    var select = document.querySelector("select[name=category]");
    if (!select) return;
    document.querySelectorAll("fieldset[data-category]").forEach(function (fieldset) {
      fieldset.hidden = fieldset.getAttribute("data-category") !== select.value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "category") showExtraFields();
  });
  document.addEventListener("DOMContentLoaded", showExtraFields);
  document.addEventListener("input", function (event) {
    if (event.target.name === "contact_name") {
      var form = event.target.closest("form");
      form.querySelector("input[name=resident]").value = "";
      var chosen = document.getElementById("resident-chosen");
      if (chosen) chosen.hidden = true;
    }
  });
})();
