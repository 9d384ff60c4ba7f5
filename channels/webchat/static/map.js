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
    const map = town(L, box, settings);
    let marker = null;
    map.on("click", (event) => {
      const point = event.latlng.wrap();
      if (marker) marker.setLatLng(point);
      else marker = L.marker(point, { keyboard: false, interactive: false }).addTo(map);
      choose(point.lat, point.lng);
    });
    return map;
  }

  // A map poll's numbered zones (GeoJSON from the bot, each feature's properties: number and the
  // payload of its button), fitted into `box`; a tap on a zone or place calls choose(payload).
  async function zones(box, settings, shapes, choose) {
    const L = await leaflet();
    const map = town(L, box, settings);
    const layer = L.geoJSON(shapes, {
      style: () => ({ color: "#0b5cad", weight: 3, fillOpacity: 0.25 }),
      pointToLayer: (feature, at) => L.circleMarker(at, { radius: 12, color: "#0b5cad", weight: 3, fillOpacity: 0.6 }),
      onEachFeature: (feature, shape) => {
        shape.bindTooltip(String(feature.properties.number), { permanent: true, direction: "center",
                                                               className: "zone-number" });
        shape.on("click", (event) => { L.DomEvent.stopPropagation(event); choose(feature.properties.payload); });
      },
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: settings.max_zoom, animate: false });
    return map;
  }

  function town(L, box, settings) {
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
    return map;
  }

  window.SouchastieMap = { pick: pick, zones: zones };
})();
