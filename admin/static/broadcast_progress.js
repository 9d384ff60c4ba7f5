// The live state of a broadcast: reads /admin/broadcasts/<id>/progress once a second until the
// broadcast is done or cancelled, and keeps the bar, the percentage, the state's title and the
// buttons true to it (a button shows only in the states listed in its data-statuses), so a
// broadcast that ends while the page is open loses «Пауза» and «Отменить» without a reload.
// A static file: the panel's CSP forbids inline scripts.
(function () {
  "use strict";
  const box = document.getElementById("progress");
  if (!box) return;
  const set = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value; };
  function showControls(status) {
    for (const button of document.querySelectorAll("#controls button[data-statuses]")) {
      button.hidden = !button.dataset.statuses.split(" ").includes(status);
    }
  }
  async function refresh() {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return setTimeout(refresh, 3000);
      const p = await response.json();
      const bar = document.getElementById("progress-bar");
      bar.max = p.total || 1;
      bar.value = p.finished;
      set("progress-status", p.status_title);
      set("progress-percent", p.percent);
      for (const key of ["finished", "total", "sent", "failed", "unknown", "skipped"]) set("progress-" + key, p[key]);
      showControls(p.status);
      if (p.status !== "done" && p.status !== "cancelled") setTimeout(refresh, 1000);
    } catch (error) {
      setTimeout(refresh, 3000);
    }
  }
  setTimeout(refresh, 1000);
})();
