// The case diagram: bpmn-js navigated viewer (drag to move, wheel or buttons to zoom) with the path taken (and how
// often) and the current step marked. Its data comes from a JSON URL (data-src) or is embedded in the page
// (data-embedded: the script element's id). Where the page hides it (a phone shows the steps taken as a list),
// nothing is loaded.
(function () {
  const container = document.getElementById("diagram");
  if (!container || !window.BpmnJS || container.offsetParent === null) return;
  // Below this scale the names in the boxes cannot be read: a wide diagram opens at it, on the current step.
  const LEGIBLE = 0.75;
  const viewer = new window.BpmnJS({ container, additionalModules: [window.certflowTranslate] });
  const data = container.dataset.src
    ? fetch(container.dataset.src, { credentials: "same-origin" }).then((response) => response.json())
    : Promise.resolve().then(() => JSON.parse(document.getElementById(container.dataset.embedded).textContent));
  data
    .then(async (case_) => {
      if (!case_.xml) { container.textContent = "没有流程图"; return; }
      await viewer.importXML(case_.xml);
      const canvas = viewer.get("canvas");
      const registry = viewer.get("elementRegistry");
      const overlays = viewer.get("overlays");
      const passed = case_.passed || {};
      const current = new Set(case_.current || []);
      registry.getAll().forEach((element) => {
        const id = element.id;
        if (current.has(id)) canvas.addMarker(id, "cf-current");
        else if (passed[id]) canvas.addMarker(id, "cf-passed");
        if (passed[id] > 1 && element.type !== "label") {
          const badge = document.createElement("span");
          badge.className = "cf-count";
          badge.textContent = "×" + passed[id];
          overlays.add(id, { position: { top: -8, right: 8 }, html: badge });
        }
        // A flow was taken when both its ends were reached.
        if (element.waypoints && element.source && element.target) {
          const reached = (e) => passed[e.id] || current.has(e.id);
          if (reached(element.source) && reached(element.target)) canvas.addMarker(id, "cf-passed");
        }
      });
      canvas.zoom("fit-viewport");
      if (canvas.viewbox().scale < LEGIBLE) {
        const step = registry.get([...current][0] || "");
        canvas.zoom(LEGIBLE);
        if (step) canvas.scrollToElement(step);
      }
      const tools = container.parentElement.querySelector(".diagram-tools");
      if (tools) {
        tools.addEventListener("click", (event) => {
          const button = event.target.closest("[data-zoom]");
          if (!button) return;
          const how = button.dataset.zoom;
          if (how === "fit") canvas.zoom("fit-viewport", "auto");
          else viewer.get("zoomScroll").stepZoom(how === "in" ? 1 : -1);
        });
      }
      container.dataset.ready = "true";
    })
    .catch((error) => { container.textContent = "流程图无法显示：" + error; });
})();
