// caseflow: small progressive enhancements. Every page works without it.
(function () {
  "use strict";
  // A form marked data-once is sent once: a second click while the first
  // request is on its way is ignored (the server files one case anyway).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.hasAttribute("data-confirm") && !window.confirm(f.getAttribute("data-confirm"))) {
      e.preventDefault();
      return;
    }
    if (!f.hasAttribute("data-once")) return;
    if (f.getAttribute("data-sent") === "1") {
      e.preventDefault();
      return;
    }
    f.setAttribute("data-sent", "1");
    // Allow a deliberate retry after a while, e.g. when the connection dropped.
    window.setTimeout(function () { f.removeAttribute("data-sent"); }, 15000);
  }, true);
  // Move keyboard focus to the first error summary, so it is read out.
  var box = document.querySelector(".errbox[tabindex]");
  if (box) box.focus();
})();
