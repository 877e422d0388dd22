// Draws the payout cities of a target or facilitator page on a map: country outlines from
// the world-atlas package (served from static/vendor, nothing fetched elsewhere) projected
// with d3-geo, one circle per city whose coordinates the app knows. Cities without
// coordinates, and everything if a library is missing, stay in the table below the map.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var HEIGHT = 360;
  var MIN_SPAN = 6;      // degrees: one city alone is shown with its region around it
  var LABELLED = 8;      // the busiest cities get their name written beside the point

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  // The points' bounding box, widened to at least MIN_SPAN degrees each way.
  function extent(points) {
    var lons = points.map(function (p) { return p.lon; });
    var lats = points.map(function (p) { return p.lat; });
    var box = [[Math.min.apply(null, lons), Math.min.apply(null, lats)],
               [Math.max.apply(null, lons), Math.max.apply(null, lats)]];
    [0, 1].forEach(function (i) {
      var span = box[1][i] - box[0][i];
      var pad = Math.max((MIN_SPAN - span) / 2, span * 0.15);
      box[0][i] -= pad; box[1][i] += pad;
    });
    box[0][1] = Math.max(box[0][1], -80); box[1][1] = Math.min(box[1][1], 84);
    return { type: "MultiPoint", coordinates: box };
  }

  function draw(figure, world, data) {
    figure.hidden = false;  // measured once shown: a hidden figure has no width
    var width = Math.max(Math.min(figure.clientWidth, 960), 280);
    var projection = window.d3.geoMercator().fitExtent([[12, 12], [width - 12, HEIGHT - 12]],
                                                       extent(data.points));
    var path = window.d3.geoPath(projection);
    var svg = el("svg", { viewBox: "0 0 " + width + " " + HEIGHT, width: width, height: HEIGHT,
                          role: "img", "aria-label": data.label }, null);
    el("rect", { x: 0, y: 0, width: width, height: HEIGHT, "class": "sea" }, svg);
    var land = el("g", { "class": "land" }, svg);
    world.features.forEach(function (f) {
      var d = path(f);
      if (d) el("path", { d: d }, land);
    });
    var most = Math.max.apply(null, data.points.map(function (p) { return p.transfers; }));
    var dots = el("g", { "class": "cities" }, svg);
    var ranked = data.points.slice().sort(function (a, b) { return b.transfers - a.transfers; });
    ranked.forEach(function (p, i) {
      var xy = projection([p.lon, p.lat]);
      var r = 3 + 9 * Math.sqrt(p.transfers / most);
      var dot = el("circle", { cx: xy[0], cy: xy[1], r: r }, dots);
      el("title", {}, dot).textContent = p.place + " · " + p.text;
      if (i < LABELLED) {
        el("text", { x: xy[0] + r + 3, y: xy[1] + 4 }, dots).textContent = p.city;
      }
    });
    figure.querySelector(".map-box").appendChild(svg);
    figure.dataset.ready = "true";
  }

  function start() {
    var figure = document.getElementById("city-map");
    var node = document.getElementById("city-map-data");
    if (!figure || !node || !window.d3 || !window.d3.geoMercator || !window.topojson) return;
    var data = JSON.parse(node.textContent);
    if (!data.points.length) return;
    fetch(figure.dataset.outlines).then(function (r) { return r.json(); }).then(function (topo) {
      draw(figure, window.topojson.feature(topo, topo.objects.countries), data);
    }).catch(function (e) { console.error(e); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
