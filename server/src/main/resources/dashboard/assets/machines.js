// Beacon dashboard, Machines page: ticks that survive live refreshes, select-all, and the one confirmation of a bulk
// pause, resume or remove. Without this file the page still works: ticks are posted as they are, unconfirmed.
(function () {
  "use strict";
  const ticked = new Set();   // ids of the ticked machines on this page
  let focusedId = null;       // id of the machine checkbox that had keyboard focus (null: none, "*": select-all)
  const list = () => document.getElementById("machines-list");
  const boxes = () => [...document.querySelectorAll("#machines-list input[data-select]")];

  function refreshBar() {
    const form = document.getElementById("bulk-form");
    if (!form) return;
    const count = boxes().filter((b) => b.checked).length;
    const label = form.querySelector("[data-selected-count]");
    if (label) label.textContent = count === 0 ? "Tick machines to pause, resume or remove them together." : count + (count === 1 ? " machine" : " machines") + " selected";
    form.querySelectorAll("button[data-bulk]").forEach((b) => { b.disabled = count === 0; });
    const all = document.querySelector("#machines-list input[data-select-all]");
    if (all) {
      const n = boxes().length;
      all.checked = n > 0 && count === n;
      all.indeterminate = count > 0 && count < n;
    }
  }

  // After a live refresh replaced the list: tick again what was ticked (machines gone from the page are dropped),
  // and give keyboard focus back to the checkbox that had it, if the swap took it away.
  function restore() {
    const present = new Set(boxes().map((b) => b.value));
    [...ticked].forEach((id) => { if (!present.has(id)) ticked.delete(id); });
    boxes().forEach((b) => { b.checked = ticked.has(b.value); });
    refreshBar();
    const active = document.activeElement;
    if (focusedId && (!active || active === document.body || !active.isConnected)) {
      const target = focusedId === "*" ? document.querySelector("#machines-list input[data-select-all]")
        : boxes().find((b) => b.value === focusedId);
      if (target) target.focus();
    }
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box.matches("#machines-list input[data-select]")) {
      if (box.checked) ticked.add(box.value); else ticked.delete(box.value);
      refreshBar();
    } else if (box.matches("#machines-list input[data-select-all]")) {
      boxes().forEach((b) => { b.checked = box.checked; if (box.checked) ticked.add(b.value); else ticked.delete(b.value); });
      refreshBar();
    }
  });
  document.addEventListener("focusin", (event) => {
    const el = event.target;
    if (el.matches && el.matches("#machines-list input[data-select]")) focusedId = el.value;
    else if (el.matches && el.matches("#machines-list input[data-select-all]")) focusedId = "*";
    else if (el !== document.body) focusedId = null;
  });

  // One confirmation naming how many machines, then the form is posted with the chosen action.
  let chosen = null;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    // getAttribute, not form.id: the ticked checkboxes are controls named "id" of this form, which shadow form.id.
    if (form.getAttribute("id") !== "bulk-form" || form.dataset.confirmed === "yes") return;
    event.preventDefault();
    const button = event.submitter;
    const count = boxes().filter((b) => b.checked).length;
    if (!button || count === 0) return;
    chosen = button.value;
    const words = { pause: "Pause", resume: "Resume", remove: "Remove" }[chosen];
    const machines = count === 1 ? "1 machine" : count + " machines";
    const dialog = document.getElementById("bulk-confirm");
    dialog.querySelector("h3").textContent = words + " " + machines + "?";
    dialog.querySelector("p").textContent = {
      pause: "They get no new jobs until you resume them; jobs they are running now finish.",
      resume: "They can take jobs again at once.",
      remove: "Their tokens are revoked and their agents disconnected at once; to come back each must enroll again. Their job history is kept.",
    }[chosen];
    const confirm = dialog.querySelector("[data-bulk-confirm]");
    confirm.textContent = words + " " + machines;
    confirm.classList.toggle("danger", chosen === "remove");
    confirm.classList.toggle("primary", chosen !== "remove");
    dialog.showModal();
    dialog.querySelector("[data-close]").focus();
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-bulk-confirm]")) return;
    const form = document.getElementById("bulk-form");
    const action = Object.assign(document.createElement("input"), { type: "hidden", name: "action", value: chosen });
    form.appendChild(action);
    form.dataset.confirmed = "yes";
    document.getElementById("bulk-confirm").close();
    form.submit();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const section = list();
    if (!section) return;
    boxes().forEach((b) => { if (b.checked) ticked.add(b.value); }); // the browser may restore ticks on back/forward
    refreshBar();
    new MutationObserver((changes) => {
      if (changes.some((c) => [...c.addedNodes].some((n) => n.id === "machines-list"))) restore();
    }).observe(section.parentElement, { childList: true });
  });
})();
