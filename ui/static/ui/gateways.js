/* Gateways page: copy buttons for the token shown once and its curl line (no inline scripts: CSP). */
(function () {
  "use strict";
  function legacyCopy(text) {  // plain http on a factory network is not a secure context: no Clipboard API
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { legacyCopy(text); });
    }
    legacyCopy(text);
    return Promise.resolve();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copy);
        copy(source.textContent.trim()).then(function () {
          button.dataset.copied = "1";
          button.textContent = button.dataset.done || button.textContent;
        });
      });
    });
    // Creating a gateway: only the chosen site's meters can be ticked.
    var site = document.getElementById("gw-site");
    if (site) {
      var filter = function () {
        document.querySelectorAll("#gw-meters [data-site]").forEach(function (label) {
          var show = !site.value || label.dataset.site === site.value;
          label.hidden = !show;
          if (!show) { label.querySelector("input").checked = false; }
        });
      };
      site.addEventListener("change", filter); filter();
    }
  });
})();
