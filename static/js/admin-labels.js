"use strict";
// Accessible names that Django's admin scripts leave out. Runs after the page's own
// "load" handlers (SelectFilter2) and jQuery's ready handlers (autocomplete.js) have
// built their widgets, then marks the page as done.
function nameAutocompleteBoxes() {
  // Select2 names its box only after the chosen value, so an empty venue field had no
  // accessible name: point the box at the field's label as well.
  document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
    const label = document.querySelector('label[for="' + select.id + '"]');
    const box = select.parentElement.querySelector(".select2-selection");
    if (!label || !box) {
      return;
    }
    if (!label.id) {
      label.id = select.id + "-label";
    }
    const rendered = box.querySelector(".select2-selection__rendered");
    const ids = [label.id];
    if (rendered && rendered.id) {
      ids.push(rendered.id);
    }
    box.setAttribute("aria-labelledby", ids.join(" "));
    // The chosen value is shown in a read-only textbox of its own: name it too.
    if (rendered) {
      rendered.setAttribute("aria-labelledby", label.id);
    }
  });
}

function nameFilterIcons() {
  // The filter widget's search icon carries its hint as aria-label on a bare span, which
  // ARIA does not allow; as an image the hint is its name.
  document.querySelectorAll("span.help-tooltip[aria-label]").forEach(function (icon) {
    icon.setAttribute("role", "img");
  });
}

window.addEventListener("load", function () {
  window.setTimeout(function () {
    nameAutocompleteBoxes();
    nameFilterIcons();
    document.documentElement.dataset.adminLabels = "done";
  }, 0);
});
