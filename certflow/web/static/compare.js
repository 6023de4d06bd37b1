// Two versions side by side: each diagram with the elements added, removed or changed marked in its colour.
// The data is embedded in the page: {xml, marks: {element id: "added" | "removed" | "changed"}}.
(function () {
  if (!window.BpmnJS) return;
  document.querySelectorAll(".diagram[data-embedded]").forEach(async (container) => {
    const data = JSON.parse(document.getElementById(container.dataset.embedded).textContent);
    if (!data.xml) { container.textContent = "没有流程图"; return; }
    const viewer = new window.BpmnJS({ container, additionalModules: [window.certflowTranslate] });
    try {
      await viewer.importXML(data.xml);
    } catch (error) {
      container.textContent = "流程图无法显示：" + error.message;
      return;
    }
    const registry = viewer.get("elementRegistry");
    const canvas = viewer.get("canvas");
    Object.entries(data.marks).forEach(([id, mark]) => {
      if (registry.get(id)) canvas.addMarker(id, "cf-" + mark);
    });
    canvas.zoom("fit-viewport");
    container.dataset.ready = "true";
  });
})();
