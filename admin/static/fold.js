// A fold (<details data-open-wide>) that a phone shows closed, to keep the first screen for the
// list, opens by itself on a wide screen, where there is room. The width matches panel.css's
// phone layout. A static file: the panel's CSP forbids inline scripts.
(function () {
  "use strict";
  if (!window.matchMedia("(min-width: 40.01rem)").matches) return;
  for (const fold of document.querySelectorAll("details[data-open-wide]")) fold.open = true;
})();
