// The analysts' modeler: bpmn-js with a side panel for what certflow reads from each element (the
// spiffworkflow extension elements: form, group, time limit, handler and parameters, decision; scripts,
// timers, messages, lanes), and saving, deploying and test-running the draft on the server.
// The choices the panel offers are computed on the server and embedded in the page (#modeler-data).
(function () {
  const data = JSON.parse(document.getElementById("modeler-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const statusLine = document.getElementById("status");
  const panel = document.getElementById("properties-body");
  const result = document.getElementById("result");
  const TYPES = {
    "bpmn:UserTask": "用户任务", "bpmn:ServiceTask": "服务任务", "bpmn:ScriptTask": "脚本任务",
    "bpmn:BusinessRuleTask": "业务规则任务", "bpmn:CallActivity": "调用流程", "bpmn:Task": "任务",
    "bpmn:StartEvent": "开始事件", "bpmn:EndEvent": "结束事件", "bpmn:IntermediateCatchEvent": "中间捕获事件",
    "bpmn:IntermediateThrowEvent": "中间抛出事件", "bpmn:BoundaryEvent": "边界事件",
    "bpmn:ExclusiveGateway": "排他网关", "bpmn:ParallelGateway": "并行网关", "bpmn:InclusiveGateway": "包容网关",
    "bpmn:SequenceFlow": "连线", "bpmn:Lane": "泳道", "bpmn:Participant": "池",
  };
  const TIMERS = [["timeDate", "到期时间 timeDate"], ["timeDuration", "持续时间 timeDuration"], ["timeCycle", "循环 timeCycle"]];
  let modeler, modeling, moddle, dirty = false;

  function setStatus(text, bad) {
    statusLine.textContent = text;
    statusLine.classList.toggle("bad", Boolean(bad));
  }

  fetch(data.moddle_url, { credentials: "same-origin" })
    .then((response) => response.json())
    .then(start)
    .catch((error) => setStatus("建模器无法启动：" + error.message, true));

  async function start(spiffworkflow) {
    modeler = new window.BpmnJS({
      container: "#canvas", moddleExtensions: { spiffworkflow }, additionalModules: [window.certflowTranslate],
    });
    window.certflowModeler = modeler; // scripted checks reach the modeler's API through it
    modeling = modeler.get("modeling");
    moddle = modeler.get("moddle");
    try {
      await modeler.importXML(data.xml);
    } catch (error) {
      setStatus("流程图无法打开：" + error.message, true);
      return;
    }
    readableZoom(modeler.get("canvas"));
    modeler.on("selection.changed", ({ newSelection }) => show(newSelection.length === 1 ? newSelection[0] : null));
    modeler.on("commandStack.changed", () => {
      dirty = true;
      setStatus("有未保存的修改");
      // undo, redo and edits on the canvas show at once; a change made in the panel keeps its input focused
      if (!panel.contains(document.activeElement)) show(selected());
    });
    wire();
    if (data.element) focusElement(data.element);
    document.getElementById("canvas").dataset.ready = "true";
  }

  // The whole diagram when it fits at a readable size; else its top-left part at that size, the rest a pan away.
  // The palette covers the canvas's left edge: the diagram starts to its right.
  function readableZoom(canvas) {
    const { inner, outer } = canvas.viewbox();
    const palette = 80;
    const fit = Math.min((outer.width - palette) / (inner.width + 40), outer.height / (inner.height + 40));
    const scale = Math.min(1, Math.max(0.6, fit));
    canvas.viewbox({
      x: inner.x - 20 - palette / scale, y: inner.y - 20, width: outer.width / scale, height: outer.height / scale,
    });
  }

  function selected() {
    const selection = modeler.get("selection").get();
    return selection.length === 1 ? selection[0] : null;
  }

  function focusElement(id) {
    const element = modeler.get("elementRegistry").get(id);
    if (!element) return false;
    modeler.get("selection").select(element);
    modeler.get("canvas").scrollToElement(element);
    return true;
  }

  // -- the side panel ------------------------------------------------------------------------

  function node(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  function field(label, input, id, help) {
    const wrap = node("div", "field");
    const caption = node("label", "", label);
    caption.htmlFor = id;
    input.id = id;
    wrap.append(caption, input);
    if (help) wrap.append(node("p", "help", help));
    return wrap;
  }

  function textInput(value, onChange, options = {}) {
    const input = document.createElement(options.multiline ? "textarea" : "input");
    if (options.multiline) input.rows = 6;
    if (options.type) input.type = options.type;
    if (options.list) input.setAttribute("list", options.list);
    input.spellcheck = false;
    input.value = value || "";
    input.addEventListener("change", () => onChange(options.multiline ? input.value : input.value.trim()));
    return input;
  }

  // options: values, or [value, label] pairs; a value not offered (e.g. a form since removed) is kept and marked
  function choice(options, value, onChange) {
    const select = document.createElement("select");
    select.append(new Option("请选择", ""));
    const pairs = options.map((o) => (Array.isArray(o) ? o : [o, o]));
    pairs.forEach(([v, label]) => select.append(new Option(label, v)));
    if (value && !pairs.some(([v]) => v === value)) select.append(new Option(value + "（不在可选项中）", value));
    select.value = value || "";
    select.addEventListener("change", () => onChange(select.value));
    return select;
  }

  function show(element) {
    panel.replaceChildren();
    delete panel.dataset.element;
    if (!element || element.type === "label" || element.type === "bpmn:Process") {
      panel.append(node("p", "muted", "选择一个环节、连线或泳道。"));
      return;
    }
    const bo = element.businessObject;
    panel.dataset.element = element.id;
    panel.append(node("p", "muted element-kind", (TYPES[bo.$type] || bo.$type) + " · " + element.id));
    if (bo.$instanceOf("bpmn:Lane")) {
      panel.append(field("泳道名称（角色）", choice(data.choices.lanes, bo.name, (v) => modeling.updateLabel(element, v)),
        "panel-lane", "泳道名称即办理该环节的角色"));
      return;
    }
    panel.append(field("名称", textInput(bo.name, (v) => modeling.updateLabel(element, v)), "panel-name"));
    const lane = (bo.lanes || [])[0];
    if (lane) panel.append(node("p", "muted", "所在泳道：" + (lane.name || lane.id)));
    if (bo.$instanceOf("bpmn:UserTask")) userTask(element);
    else if (bo.$instanceOf("bpmn:ServiceTask")) serviceTask(element);
    else if (bo.$instanceOf("bpmn:ScriptTask")) scriptTask(element);
    else if (bo.$instanceOf("bpmn:BusinessRuleTask")) businessRuleTask(element);
    else if (bo.$instanceOf("bpmn:SequenceFlow")) sequenceFlow(element);
    if (bo.$instanceOf("bpmn:StartEvent") && bo.$parent.$instanceOf("bpmn:Process")) startEvent(element);
    const definition = (bo.eventDefinitions || [])[0];
    if (definition && definition.$instanceOf("bpmn:TimerEventDefinition")) timer(element, definition);
    if (definition && definition.$instanceOf("bpmn:MessageEventDefinition")) message(element, definition);
  }

  function userTask(element) {
    const bo = element.businessObject;
    const set = (name) => (value) => setProperty(element, name, value);
    panel.append(
      field("表单", choice(data.choices.forms, property(bo, "formJsonSchemaFilename"), set("formJsonSchemaFilename")),
        "panel-form"),
      candidateGroup(element),
      field("办结时限（工作日）", textInput(property(bo, "dueInWorkingDays"), set("dueInWorkingDays"), { type: "number" }),
        "panel-due"),
    );
  }

  // 办理组: one of the directory's groups, written as the quoted key the engine evaluates ("hospital-renmin"); or,
  // for an analyst who needs one, an expression of the task's data (site["group"]); empty: the lane's default group.
  const EXPRESSION = "\u0000expression";
  function candidateGroup(element) {
    const value = property(element.businessObject, "candidateGroup");
    const quoted = /^\s*(["'])([a-z0-9-]+)\1\s*$/.exec(value || "");
    const known = quoted && data.choices.groups.some(([key]) => key === quoted[2]);
    const select = document.createElement("select");
    select.append(new Option("泳道的默认组", ""));
    data.choices.groups.forEach(([key, name]) => select.append(new Option(name, key)));
    // a key no longer offered (a group deactivated since) is kept and marked, as choice() does
    if (quoted && !known) select.append(new Option(quoted[2] + "（不在可选项中）", quoted[2]));
    select.append(new Option("表达式…", EXPRESSION));
    const expression = textInput(value, (v) => setProperty(element, "candidateGroup", v));
    expression.id = "panel-candidate-group-expression";
    expression.setAttribute("aria-label", "办理组表达式");
    expression.placeholder = "如 site[\"group\"]";
    select.value = !value ? "" : quoted ? quoted[2] : EXPRESSION;
    expression.hidden = select.value !== EXPRESSION;
    select.addEventListener("change", () => {
      expression.hidden = select.value !== EXPRESSION;
      if (select.value === EXPRESSION) expression.focus();
      else setProperty(element, "candidateGroup", select.value ? JSON.stringify(select.value) : "");
    });
    const wrap = field("办理组", select, "panel-candidate-group", "选择组织机构；需要按案件数据决定时选“表达式…”");
    wrap.insertBefore(expression, wrap.querySelector(".help"));
    return wrap;
  }

  function startEvent(element) {
    const bo = element.businessObject;
    panel.append(field("申请表单", choice(data.choices.forms, property(bo, "startFormJsonSchemaFilename"),
      (value) => setProperty(element, "startFormJsonSchemaFilename", value)), "panel-start-form",
      "案件的开始数据按此表单校验"));
  }

  function serviceTask(element) {
    const operator = extension(element.businessObject, "spiffworkflow:ServiceTaskOperator");
    const name = operator ? operator.id : "";
    panel.append(field("服务（处理程序）", choice(Object.keys(data.choices.operators), name,
      (value) => { setOperator(element, value); show(element); }), "panel-operator"));
    if (!operator) return;
    const takes = data.choices.operators[name] || [];
    const given = parameters(operator);
    takes.forEach((param) => panel.append(field("参数 " + param + "（表达式）",
      textInput(given[param] ? given[param].value : "", (value) => setParameter(element, param, value)),
      "panel-param-" + param)));
    Object.keys(given).filter((param) => !takes.includes(param)).forEach((param) => {
      panel.append(node("p", "field-error", "参数 " + param + " 不是 " + name + " 的参数；重新选择服务可去掉它"));
    });
    panel.append(field("结果变量", textInput(operator.resultVariable,
      (value) => modeling.updateModdleProperties(element, operator, { resultVariable: value || undefined })),
    "panel-result", "处理程序的结果存入这个变量"));
  }

  function scriptTask(element) {
    panel.append(field("脚本（Python）", textInput(element.businessObject.script,
      (value) => modeling.updateProperties(element, { scriptFormat: "python", script: value }), { multiline: true }),
    "panel-script", "可用的函数见 docs/processes.md（脚本助手）"));
  }

  function businessRuleTask(element) {
    const found = extension(element.businessObject, "spiffworkflow:CalledDecisionId");
    panel.append(field("决策表", choice(data.choices.decisions, found ? found.value : "", (value) => {
      const made = value ? moddle.create("spiffworkflow:CalledDecisionId", { value }) : null;
      replaceExtension(element, found, made);
    }), "panel-decision"));
  }

  function sequenceFlow(element) {
    const bo = element.businessObject;
    if (!bo.sourceRef || !bo.sourceRef.$instanceOf("bpmn:Gateway")) return;
    panel.append(field("条件（表达式）", textInput(bo.conditionExpression ? bo.conditionExpression.body : "", (value) => {
      const expression = value ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined;
      modeling.updateProperties(element, { conditionExpression: expression });
    }), "panel-condition", "如 decision == \"pass\"；网关的默认连线不需要条件"));
  }

  function timer(element, definition) {
    const kind = (TIMERS.find(([k]) => definition[k]) || TIMERS[0])[0];
    const kinds = choice(TIMERS, kind, () => apply());
    const expression = textInput(definition[kind] ? definition[kind].body : "", () => apply());
    function apply() {
      const changes = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      changes[kinds.value || "timeDate"] = moddle.create("bpmn:FormalExpression", { body: expression.value.trim() });
      modeling.updateModdleProperties(element, definition, changes);
    }
    panel.append(field("定时方式", kinds, "panel-timer-kind"),
      field("定时表达式", expression, "panel-timer", "如 working_days_deadline(today(), 10)"));
  }

  function message(element, definition) {
    const list = node("datalist");
    list.id = "message-names";
    data.choices.messages.forEach((name) => list.append(new Option(name)));
    const name = definition.messageRef ? definition.messageRef.name : "";
    panel.append(field("消息名称", textInput(name, (value) => setMessage(element, definition, value),
      { list: list.id }), "panel-message"), list);
  }

  // -- spiffworkflow extension elements, through commands so that undo works -------------------

  function extension(bo, type) {
    const values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
    return values.find((value) => value.$instanceOf(type));
  }

  function replaceExtension(element, old, made) {
    const bo = element.businessObject;
    let container = bo.extensionElements;
    if (!container) {
      container = moddle.create("bpmn:ExtensionElements", { values: [] });
      container.$parent = bo;
      modeling.updateProperties(element, { extensionElements: container });
    }
    if (made) made.$parent = container;
    const values = container.get("values").slice();
    const at = old ? values.indexOf(old) : -1;
    if (at >= 0 && made) values[at] = made;
    else if (at >= 0) values.splice(at, 1);
    else if (made) values.push(made);
    modeling.updateModdleProperties(element, container, { values });
  }

  function property(bo, name) {
    const properties = extension(bo, "spiffworkflow:Properties");
    const found = properties && properties.get("properties").find((p) => p.name === name);
    return found ? found.value : "";
  }

  function setProperty(element, name, value) {
    let properties = extension(element.businessObject, "spiffworkflow:Properties");
    if (!properties && !value) return;
    if (!properties) {
      properties = moddle.create("spiffworkflow:Properties", { properties: [] });
      replaceExtension(element, null, properties);
    }
    const list = properties.get("properties");
    const found = list.find((p) => p.name === name);
    if (found && value) {
      modeling.updateModdleProperties(element, found, { value });
    } else if (found) {
      modeling.updateModdleProperties(element, properties, { properties: list.filter((p) => p !== found) });
    } else if (value) {
      const made = moddle.create("spiffworkflow:Property", { name, value });
      made.$parent = properties;
      modeling.updateModdleProperties(element, properties, { properties: [...list, made] });
    }
  }

  function parameters(operator) {
    const list = operator.parameterList ? operator.parameterList.get("parameters") : [];
    return Object.fromEntries(list.map((p) => [p.id, p]));
  }

  // A new operator takes the parameters its handler takes, keeping the expressions of those it had.
  function setOperator(element, name) {
    const old = extension(element.businessObject, "spiffworkflow:ServiceTaskOperator");
    if (!name) {
      replaceExtension(element, old, null);
      return;
    }
    const given = old ? parameters(old) : {};
    const list = moddle.create("spiffworkflow:Parameters", { parameters: [] });
    list.parameters = data.choices.operators[name].map((param) => {
      const kept = given[param];
      const made = moddle.create("spiffworkflow:Parameter",
        { id: param, type: kept ? kept.type : "any", value: kept ? kept.value : "" });
      made.$parent = list;
      return made;
    });
    const operator = moddle.create("spiffworkflow:ServiceTaskOperator",
      { id: name, resultVariable: old ? old.resultVariable : undefined, parameterList: list });
    list.$parent = operator;
    replaceExtension(element, old, operator);
  }

  function setParameter(element, param, value) {
    const operator = extension(element.businessObject, "spiffworkflow:ServiceTaskOperator");
    const found = parameters(operator)[param];
    if (found) {
      modeling.updateModdleProperties(element, found, { value });
      return;
    }
    let list = operator.parameterList;
    if (!list) {
      list = moddle.create("spiffworkflow:Parameters", { parameters: [] });
      list.$parent = operator;
      modeling.updateModdleProperties(element, operator, { parameterList: list });
    }
    const made = moddle.create("spiffworkflow:Parameter", { id: param, type: "any", value });
    made.$parent = list;
    modeling.updateModdleProperties(element, list, { parameters: [...list.get("parameters"), made] });
  }

  // A message is named by a bpmn:message of the definitions; one is added for a new name.
  function setMessage(element, definition, name) {
    const definitions = modeler.getDefinitions();
    const roots = definitions.get("rootElements");
    let found = roots.find((e) => e.$instanceOf("bpmn:Message") && e.name === name);
    if (!found && name) {
      found = modeler.get("bpmnFactory").create("bpmn:Message", { name });
      found.$parent = definitions;
      modeling.updateModdleProperties(element, definitions, { rootElements: [...roots, found] });
    }
    modeling.updateModdleProperties(element, definition, { messageRef: found || undefined });
  }

  // -- saving, deploying, test runs -----------------------------------------------------------

  async function save() {
    const { xml } = await modeler.saveXML({ format: true });
    const response = await fetch(data.save_url, {
      method: "POST", body: xml, credentials: "same-origin",
      headers: { "Content-Type": "application/xml", "X-CSRFToken": csrf },
    });
    if (!response.ok) {
      setStatus("保存失败（" + response.status + "）", true);
      return false;
    }
    const saved = await response.json();
    dirty = false;
    document.getElementById("draft-state").textContent = "草稿 · 保存于 " + saved.saved_at;
    setStatus("草稿已保存");
    return true;
  }

  // Save, post the form, and show the part of the answer page that holds the result.
  async function post(form, sectionId, target) {
    if (!(await save())) return null;
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin", headers: { "X-CSRFToken": csrf },
    });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const section = page.getElementById(sectionId);
    target.replaceChildren(section ? document.importNode(section, true)
      : node("p", "flash flash-error", "服务器未能完成此操作（" + response.status + "）"));
    target.scrollIntoView({ block: "nearest" });
    return response;
  }

  // The last deployment's problems in this diagram, on the canvas: the element outlined in red and a badge that
  // shows the messages on hover or focus, and selects the element on click. A new attempt clears the old marks.
  let marked = [];
  function markProblems() {
    const canvas = modeler.get("canvas");
    const overlays = modeler.get("overlays");
    const registry = modeler.get("elementRegistry");
    marked.forEach((id) => canvas.removeMarker(id, "cf-problem"));
    overlays.remove({ type: "cf-problem" });
    const messages = {};
    result.querySelectorAll("tr.problem[data-element]").forEach((row) => {
      if (row.dataset.draft !== data.name || !registry.get(row.dataset.element)) return;
      (messages[row.dataset.element] ||= []).push(row.querySelector(".message").textContent.trim());
    });
    marked = Object.keys(messages);
    marked.forEach((id) => {
      canvas.addMarker(id, "cf-problem");
      const badge = node("button", "cf-problem-badge", String(messages[id].length));
      badge.type = "button";
      badge.dataset.element = id;
      badge.setAttribute("aria-label", "问题：" + messages[id].join("；"));
      const tip = node("span", "cf-problem-tip");
      messages[id].forEach((text) => tip.append(node("span", "", text)));
      badge.append(tip);
      badge.addEventListener("click", () => focusElement(id));
      overlays.add(id, "cf-problem", { position: { top: -10, right: 10 }, html: badge });
    });
  }

  function wire() {
    document.getElementById("save").addEventListener("click", save);
    const deployForm = document.getElementById("deploy-form");
    deployForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      setStatus("正在保存并校验…");
      const response = await post(deployForm, "deploy-result", result);
      if (!response) return;
      markProblems();
      setStatus(response.ok ? "已部署" : "校验未通过，未部署", !response.ok);
      if (response.ok) document.getElementById("draft-state").textContent = "已部署（草稿已完成）";
    });
    // A problem in this diagram selects its element; one in another file opens that file's editor.
    result.addEventListener("click", (event) => {
      const row = event.target.closest("[data-element]");
      if (!row || !row.dataset.element || row.dataset.draft !== data.name) return;
      if (focusElement(row.dataset.element)) event.preventDefault();
    });
    const trial = document.getElementById("trial");
    const toggle = document.getElementById("toggle-trial");
    toggle.addEventListener("click", () => {
      trial.hidden = !trial.hidden;
      toggle.setAttribute("aria-expanded", String(!trial.hidden));
    });
    const trialForm = document.getElementById("trial-form");
    trialForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      setStatus("正在试运行…");
      const response = await post(trialForm, "test-run-result", document.getElementById("trial-result"));
      if (response) setStatus(response.ok ? "试运行完成" : "试运行未开始", !response.ok);
    });
    window.addEventListener("beforeunload", (event) => {
      if (dirty) event.preventDefault();
    });
  }
})();
