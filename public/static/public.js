// The public page's map: the located proposals, from the JSON the server put in the page, as
// markers a keyboard reaches; each opens its number, category and status. Without JavaScript the
// list below shows the same proposals.
(function () {
  "use strict";
  var holder = document.getElementById("map");
  var data = document.getElementById("map-data");
  if (!holder || !data || !window.L) return;
  var shown = JSON.parse(data.textContent);
  var map = L.map(holder, { scrollWheelZoom: false }).setView(shown.centre, shown.zoom);
  L.tileLayer(shown.tiles, {
    maxZoom: shown.max_zoom,
    attribution: '<a href="' + encodeURI(shown.attribution_url) + '">' +
      shown.attribution.replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }) + "</a>"
  }).addTo(map);
  var bounds = [];
  shown.points.forEach(function (point) {  // [number, latitude, longitude, category, status]
    var label = point[0] + " · " + (shown.categories[point[3]] || point[3]);
    var marker = L.marker([point[1], point[2]], { title: label, alt: label, keyboard: true });
    var popup = document.createElement("div");
    var title = document.createElement("b");
    title.textContent = label;
    var status = document.createElement("div");
    status.textContent = shown.statuses[point[4]] || point[4];
    popup.appendChild(title);
    popup.appendChild(status);
    marker.bindPopup(popup).addTo(map);
    bounds.push([point[1], point[2]]);
  });
  (shown.zones || []).forEach(function (zone) {  // the places of map polls, numbered as the bot numbers them
    var layer = L.geoJSON(zone, {
      style: { color: "#1f5fa8", weight: 2, fillOpacity: 0.15 },
      pointToLayer: function (feature, at) { return L.circleMarker(at, { radius: 8 }); }
    });
    layer.bindTooltip(zone.properties.label, { permanent: true, direction: "center", className: "zone-label" });
    layer.addTo(map);
    var box = layer.getBounds();
    bounds.push([box.getSouth(), box.getWest()], [box.getNorth(), box.getEast()]);
  });
  if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24], maxZoom: shown.max_zoom });
  else if (bounds.length === 1) map.setView(bounds[0], shown.zoom);
})();
