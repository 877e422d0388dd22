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
