// Draws the target page's timeline (Chart.js) and two-hop network (Cytoscape.js) from the
// JSON the page carries. If a library failed to load, the tables below stay the whole story.
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function drawTimeline() {
    var canvas = document.getElementById("timeline");
    var data = readJson("timeline-data");
    if (!canvas || !data || typeof window.Chart === "undefined") return;
    document.getElementById("timeline-box").hidden = false;
    var day = data.points.filter(function (p) { return !p.night; });
    var night = data.points.filter(function (p) { return p.night; });
    var session = data.points.filter(function (p) { return p.session; });
    var lang = document.documentElement.lang || "fr";
    var dateFmt = new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric" });
    new window.Chart(canvas, {
      type: "scatter",
      data: { datasets: [
        { label: data.labels.day, data: day, backgroundColor: "#2f6fae", pointStyle: "circle", pointRadius: 4 },
        { label: data.labels.night, data: night, backgroundColor: "#c0392b", pointStyle: "triangle", pointRadius: 6 },
        // Payments followed by a video session: a purple ring drawn around the point.
        { label: data.labels.session, data: session, backgroundColor: "rgba(0,0,0,0)", borderColor: "#6a1b9a",
          borderWidth: 2, pointStyle: "circle", pointRadius: 10 }
      ].filter(function (d) { return d.data.length || d.label !== data.labels.session; }) },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: { type: "linear", title: { display: true, text: data.labels.date },
               ticks: { callback: function (v) { return dateFmt.format(new Date(v)); }, maxTicksLimit: 8 } },
          y: { beginAtZero: true, title: { display: true, text: data.labels.amount } }
        },
        plugins: { tooltip: { callbacks: { label: function (ctx) {
          var p = ctx.raw; return p.local + " · " + p.y + " EUR · " + p.id +
            (p.session ? " · " + data.labels.session + " (+" + p.minutes_after + " min)" : "");
        } } } }
      }
    });
  }

  function drawNetwork() {
    var box = document.getElementById("network-graph");
    var elements = readJson("network-data");
    if (!box || !elements || typeof window.cytoscape === "undefined") return;
    box.hidden = false;
    var cy = window.cytoscape({
      container: box, elements: elements, wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 11, "text-valign": "bottom",
          "text-margin-y": 3, "width": 18, "height": 18, "background-color": "#8aa4bd",
          "text-wrap": "ellipsis", "text-max-width": 140 } },
        { selector: "node[kind = 'buyer']", style: { "background-color": "#0d2538", "width": 30, "height": 30, "font-weight": "bold" } },
        { selector: "node[kind = 'receiver']", style: { "background-color": "#c0392b", "shape": "round-rectangle", "width": 24, "height": 24 } },
        { selector: "node[kind = 'target']", style: { "background-color": "#e6a100" } },
        // Where a followed network starts (the follow-the-money and referral pages).
        { selector: "node[?seed]", style: { "border-width": 4, "border-color": "#f0a500" } },
        { selector: "edge", style: { "width": "mapData(weight, 1, 40, 1, 6)", "line-color": "#b8c4cf",
          "target-arrow-shape": "triangle", "target-arrow-color": "#b8c4cf", "curve-style": "bezier" } }
      ],
      layout: { name: "concentric", concentric: function (n) {
        if (n.data("seed")) return 4;
        var k = n.data("kind"); return k === "buyer" ? 3 : k === "receiver" ? 2 : 1;
      }, levelWidth: function () { return 1; }, minNodeSpacing: 45, animate: false }
    });
    cy.on("tap", "node", function (evt) {
      var href = evt.target.data("href");
      if (href) window.location.href = href;
    });
    box.dataset.ready = "true";
  }

  function start() {
    try { drawTimeline(); } catch (e) { console.error(e); }
    try { drawNetwork(); } catch (e) { console.error(e); }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
