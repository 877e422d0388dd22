// Copies the browser builds the web app needs from node_modules/ into static/vendor/.
// Run at set-up (make assets); the app then serves them itself: nothing is fetched at run time.
import { copyFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "static", "vendor");
const files = {
  "htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
  "cytoscape.min.js": "node_modules/cytoscape/dist/cytoscape.min.js",
  "chart.umd.min.js": "node_modules/chart.js/dist/chart.umd.min.js",
  // The payout map: country outlines (Natural Earth 1:50m, as TopoJSON) drawn with d3-geo.
  "d3-array.min.js": "node_modules/d3-array/dist/d3-array.min.js",
  "d3-geo.min.js": "node_modules/d3-geo/dist/d3-geo.min.js",
  "topojson-client.min.js": "node_modules/topojson-client/dist/topojson-client.min.js",
  "countries-50m.json": "node_modules/world-atlas/countries-50m.json",
};

mkdirSync(vendor, { recursive: true });
for (const [name, source] of Object.entries(files)) {
  const from = join(here, source);
  if (!existsSync(from)) {
    console.error(`missing ${source}: run npm ci in filature/web first`);
    process.exit(1);
  }
  copyFileSync(from, join(vendor, name));
  console.log(`static/vendor/${name}`);
}
