// The live progress bar of a broadcast: reads /admin/broadcasts/<id>/progress once a second
// until the broadcast is done or cancelled. A static file: the panel's CSP forbids inline scripts.
(function () {
  "use strict";
  const box = document.getElementById("progress");
  if (!box) return;
  const set = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value; };
  async function refresh() {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return setTimeout(refresh, 3000);
      const p = await response.json();
      const bar = document.getElementById("progress-bar");
      bar.max = p.total || 1;
      bar.value = p.finished;
      set("progress-status", p.status_title);
      for (const key of ["finished", "total", "sent", "failed", "unknown", "skipped"]) set("progress-" + key, p[key]);
      if (p.status !== "done" && p.status !== "cancelled") setTimeout(refresh, 1000);
    } catch (error) {
      setTimeout(refresh, 3000);
    }
  }
  setTimeout(refresh, 1000);
})();
