// goldmine review: keyboard shortcuts and small comforts. The page works without it: every
// action is a plain HTML form.
(() => {
  "use strict";
  const $ = (selector) => document.querySelector(selector);
  const isTyping = (target) => target instanceof Element && target.matches("textarea, input[type=text], input:not([type])");
  const panel = (id) => document.getElementById(id);

  function openPanel(id) {
    const details = panel(id);
    if (!details) return null;
    document.querySelectorAll("details.panel[open]").forEach((other) => { if (other !== details) other.open = false; });
    details.open = true;
    details.scrollIntoView({ block: "nearest" });
    return details;
  }

  function closeAll() {
    document.querySelectorAll("details.panel[open]").forEach((details) => { details.open = false; });
    $("#help").hidden = true;
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
  }

  function submit(form) {
    const button = form.querySelector("button[name=action]");
    if (button) form.requestSubmit(button);
  }

  function follow(selector) {
    const link = $(selector);
    if (link) window.location.assign(link.href);
  }

  function toggleObservations() {
    const all = [...document.querySelectorAll("details.observation")];
    const open = !all.every((details) => details.open);
    all.forEach((details) => { details.open = open; });
  }

  function onKey(event) {
    if (event.key === "Escape") { closeAll(); return; }
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      const form = event.target instanceof Element ? event.target.closest("form") : null;
      if (form) { event.preventDefault(); submit(form); }
      return;
    }
    if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const reject = panel("reject");
    if (reject && reject.open && /^[1-9]$/.test(event.key)) {
      const box = reject.querySelectorAll("input[name=reason]")[Number(event.key) - 1];
      if (box) { box.checked = !box.checked; event.preventDefault(); }
      return;
    }
    if (reject && reject.open && event.key === "Enter") { event.preventDefault(); submit(reject.querySelector("form")); return; }
    const actions = {
      a: () => { const accept = $("#accept"); if (accept) accept.click(); },
      r: () => openPanel("reject"),
      e: () => { const edit = openPanel("edit"); if (edit) edit.querySelector("textarea").focus(); },
      j: () => follow("#next"), ArrowRight: () => follow("#next"),
      k: () => follow("#prev"), ArrowLeft: () => follow("#prev"),
      o: toggleObservations,
      g: () => follow(".brand"),
      "?": () => { $("#help").hidden = !$("#help").hidden; },
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  }

  document.addEventListener("keydown", onKey);
  $("#help-toggle").addEventListener("click", () => { $("#help").hidden = !$("#help").hidden; });
  document.querySelectorAll("a[data-open]").forEach((link) => {
    link.addEventListener("click", (event) => { event.preventDefault(); openPanel(link.dataset.open); });
  });
  document.querySelectorAll("figure.code.long .expand").forEach((button) => {
    button.addEventListener("click", () => { button.closest("figure").classList.remove("long"); button.remove(); });
  });
  // A form that came back with an error: show it where the reviewer was typing.
  const refused = document.querySelector("details.panel[open]");
  if (refused) {
    refused.scrollIntoView({ block: "center" });
    const field = refused.querySelector("textarea");
    if (field && refused.id === "edit") field.focus();
  }
  // A sent form cannot be sent twice by an impatient second press.
  document.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", () => { setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0); });
  });
})();
