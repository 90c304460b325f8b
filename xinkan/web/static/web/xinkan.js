// Small behaviours of the staff layout. No inline scripts: the content security policy forbids them.
(function () {
  "use strict";
  var nav = document.querySelector(".nav-toggle");
  if (nav && window.matchMedia("(max-width: 760px)").matches) {
    nav.removeAttribute("open");
  }
})();
