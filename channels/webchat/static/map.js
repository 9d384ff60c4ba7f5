// The map on which a resident points at a place (a senior at home cannot be in the park, so the
// phone's own position is not enough). Leaflet is served by this server and loaded the first time
// a place is asked; the tiles come from the server named in the settings (webchat.map_tiles_url),
// the one other host the page's Content-Security-Policy allows images from.
(function () {
  "use strict";
  const VENDOR = "/chat/vendor/leaflet/";
  let loading = null;

  function loaded(element) {
    return new Promise((resolve, reject) => {
      element.addEventListener("load", resolve, { once: true });
      element.addEventListener("error", reject, { once: true });
    });
  }

  // The library once per page: its style first (the marker finds its picture through it).
  function leaflet() {
    if (!loading) {
      const style = document.createElement("link");
      style.rel = "stylesheet";
      style.href = VENDOR + "leaflet.css";
      const script = document.createElement("script");
      script.src = VENDOR + "leaflet.js";
      loading = Promise.all([loaded(style), loaded(script)]).then(() => window.L);
      loading.catch(() => { loading = null; style.remove(); script.remove(); });
      document.head.insertBefore(style, document.head.querySelector("link"));  // ours stays last: it wins
      document.head.appendChild(script);
    }
    return loading;
  }

  function escaped(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML.replace(/"/g, "&quot;");
  }

  // A map in `box` opened on the town; a tap puts the one marker there and calls choose(lat, lng).
  async function pick(box, settings, choose) {
    const L = await leaflet();
    const map = L.map(box, { center: settings.centre, zoom: settings.zoom, scrollWheelZoom: false });
    const credit = settings.attribution_url
      ? '<a href="' + escaped(settings.attribution_url) + '" target="_blank" rel="noopener">'
        + escaped(settings.attribution) + "</a>"
      : escaped(settings.attribution);
    L.tileLayer(settings.tiles, {
      maxZoom: settings.max_zoom, attribution: credit,
      // The page's own policy sends no Referer; tile servers (OpenStreetMap's) ask for the site's.
      referrerPolicy: "strict-origin-when-cross-origin",
    }).addTo(map);
    map.attributionControl.setPrefix("Leaflet");  // its name without a link: no tap leads off the page
    // Leaflet focuses the map when it is touched and then puts back the window's scroll, not the
    // conversation's: the conversation would jump, and the pin land away from the finger (by as
    // much as the map was hidden under the composer). The conversation is kept where it was.
    const scroller = box.closest("main");
    if (scroller) {
      let kept = null;
      box.addEventListener("pointerdown", () => { kept = scroller.scrollTop; }, true);
      box.addEventListener("focus", () => { if (kept !== null) scroller.scrollTop = kept; });
    }
    let marker = null;
    map.on("click", (event) => {
      const point = event.latlng.wrap();
      if (marker) marker.setLatLng(point);
      else marker = L.marker(point, { keyboard: false, interactive: false }).addTo(map);
      choose(point.lat, point.lng);
    });
    return map;
  }

  window.SouchastieMap = { pick: pick };
})();
