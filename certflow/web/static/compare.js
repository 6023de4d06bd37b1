// Two versions side by side, each in a navigated viewer (drag to pan, ctrl + wheel to zoom), the elements added,
// removed or changed marked in their colours. Panning or zooming one moves the other the same way while
// "同步缩放" is ticked, so that the same part of both versions stays in view.
// The data is embedded in the page: {xml, marks: {element id: "added" | "removed" | "changed"}}.
(function () {
  if (!window.BpmnJS) return;
  const sync = document.getElementById("compare-sync");
  const viewers = [];
  let following = false;

  function follow(from) {
    if (following || !sync || !sync.checked) return;
    following = true;
    const box = from.get("canvas").viewbox();
    viewers.filter((v) => v !== from)
      .forEach((v) => v.get("canvas").viewbox({ x: box.x, y: box.y, width: box.width, height: box.height }));
    following = false;
  }

  async function show(container) {
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
    viewer.on("canvas.viewbox.changed", () => follow(viewer));
    viewers.push(viewer);
    container.dataset.ready = "true";
  }

  const zoom = {
    in: (canvas) => canvas.zoom(canvas.zoom() * 1.25),
    out: (canvas) => canvas.zoom(canvas.zoom() / 1.25),
    fit: (canvas) => canvas.zoom("fit-viewport"),
  };
  // Each viewer on its own, not following the other (fitting both would otherwise end on the second's view).
  function each(act) {
    following = true;
    viewers.forEach((v) => act(v.get("canvas")));
    following = false;
  }
  document.querySelectorAll("[data-zoom]").forEach((button) => button.addEventListener("click", () => {
    const act = zoom[button.dataset.zoom];
    if (button.dataset.zoom !== "fit" && sync && sync.checked && viewers.length) act(viewers[0].get("canvas"));
    else each(act);
  }));
  Promise.all([...document.querySelectorAll(".diagram[data-embedded]")].map(show)).then(() => {
    document.querySelector(".compare-diagrams").dataset.ready = "true";
  });
})();
