// Beacon dashboard: live updates over server-sent events, confirmations, copy buttons, relative times.
// Everything works without this file except live updates, copying and the confirmation dialogs.
(function () {
  "use strict";
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // ---- relative times: "3 min ago", exact UTC time on hover (title) ----
  function relative(iso) {
    const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
    const s = Math.abs(seconds);
    if (s < 10) return "just now";
    let amount;
    if (s < 60) amount = s + " s";
    else if (s < 3600) amount = Math.floor(s / 60) + " min";
    else if (s < 86400) amount = Math.floor(s / 3600) + " h";
    else { const d = Math.floor(s / 86400); amount = d + (d === 1 ? " day" : " days"); }
    return seconds < 0 ? "in " + amount : amount + " ago";
  }
  function refreshTimes(root) {
    (root || document).querySelectorAll("time[data-relative]").forEach((el) => {
      el.textContent = relative(el.getAttribute("datetime"));
    });
  }
  setInterval(refreshTimes, 15000);

  // ---- live updates ----
  const status = () => document.getElementById("live-status");
  function setStatus(state, text) {
    const el = status();
    if (el) { el.dataset.state = state; el.textContent = text; }
  }
  const pending = new Set();   // sections that skipped a refresh while someone was using them
  const inFlight = new Map();  // section id -> whether another refresh was asked for meanwhile
  function busy(el) {
    // Never swap a section out from under someone who is typing in it or has a dialog open.
    if (el.querySelector("dialog[open]")) return true;
    const active = document.activeElement;
    return active && el.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName) && !pressable(active);
  }
  // A checkbox, radio or button input: using it is not typing, so its section may be refreshed (focus is restored).
  function pressable(el) {
    return el.tagName === "INPUT" && /^(checkbox|radio|button|submit|reset)$/.test(el.type);
  }
  // A selector for the element of a fresh section that stands for `el` of the old one: the same id, else the same
  // data-focus-key, name and value, dialog opened, copy source, link target or label. Null when nothing identifies it.
  function focusKey(el) {
    if (el.id) return "#" + CSS.escape(el.id);
    const tag = el.tagName.toLowerCase();
    const attr = (name) => tag + "[" + name + '="' + CSS.escape(el.getAttribute(name)) + '"]';
    if (el.hasAttribute("data-focus-key")) return attr("data-focus-key");
    if (el.name && el.hasAttribute("value")) return attr("name") + '[value="' + CSS.escape(el.getAttribute("value")) + '"]';
    for (const name of ["data-dialog", "data-copy-url", "href", "aria-label"]) {
      if (el.hasAttribute(name)) return attr(name);
    }
    return null;
  }
  // Swaps `current` for `fresh` keeping what the person was doing: the focus moves to the equivalent element (or to
  // the section itself when that is gone, never to <body>), and checkboxes they changed keep their state.
  function detailsKey(details) {
    const summary = details.querySelector("summary");
    return details.id || (summary ? summary.textContent.trim() : "");
  }
  function swap(current, fresh) {
    const active = document.activeElement;
    const focused = active && active !== document.body && current.contains(active) ? (focusKey(active) || "") : null;
    const changed = [];
    current.querySelectorAll("input[type=checkbox], input[type=radio]").forEach((box) => {
      const key = box.checked !== box.defaultChecked && focusKey(box);
      if (key) changed.push([key, box.checked]);
    });
    // A <details> someone opened (e.g. a chart's numbers) stays open; it is known by its id or its summary's words.
    const opened = new Set([...current.querySelectorAll("details[open]")].map(detailsKey));
    current.replaceWith(fresh);
    changed.forEach(([key, checked]) => { const box = fresh.querySelector(key); if (box) box.checked = checked; });
    if (opened.size) fresh.querySelectorAll("details:not([open])").forEach((d) => { if (opened.has(detailsKey(d))) d.open = true; });
    if (focused !== null) {
      const target = (focused && fresh.querySelector(focused)) || fresh;
      if (target === fresh && !fresh.hasAttribute("tabindex")) fresh.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
    }
  }
  // Fetches a section's fresh HTML and swaps it in. One request per section at a time; a change announced while
  // one is in flight triggers exactly one more afterwards, so the last change is never lost.
  function refresh(el) {
    if (!el.isConnected) return;
    if (busy(el)) { pending.add(el.id); return; }
    pending.delete(el.id);
    const id = el.id;
    if (inFlight.has(id)) { inFlight.set(id, true); return; }
    inFlight.set(id, false);
    fetch(el.dataset.src, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then((response) => {
        if (response.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search); return null; }
        return response.ok ? response.text() : null;
      })
      .then((html) => {
        const current = document.getElementById(id);
        if (html && current && !busy(current)) {
          const template = document.createElement("template");
          template.innerHTML = html.trim();
          const fresh = template.content.firstElementChild;
          if (fresh && fresh.id === id) {
            swap(current, fresh);
            refreshTimes(fresh);
            fresh.querySelectorAll("[data-site-select]").forEach(filterFleets);
          }
        } else if (current && html) {
          pending.add(id);
        }
      })
      .catch(() => {})
      .finally(() => {
        const again = inFlight.get(id);
        inFlight.delete(id);
        const current = document.getElementById(id);
        if (again && current) refresh(current);
      });
  }
  function refreshTopic(topic) {
    document.querySelectorAll("[data-live]").forEach((el) => {
      if (topic === "*" || el.dataset.live.split(" ").includes(topic)) refresh(el);
    });
  }
  let source = null;
  let retry = 1000;
  let wasConnected = false;
  function connect() {
    if (!document.querySelector("[data-live]") && !status()) return;
    source = new EventSource("/events");
    source.addEventListener("ready", () => {
      setStatus("live", "Live");
      if (wasConnected) {
        refreshTopic("*"); // back after a restart or a network blip: catch up on what was missed
        const el = status();
        if (el) el.dataset.reconnects = String(Number(el.dataset.reconnects || 0) + 1);
      }
      wasConnected = true;
      retry = 1000;
    });
    ["machines", "jobs", "tokens", "apikeys", "audit", "nodes"].forEach((topic) =>
      source.addEventListener(topic, () => refreshTopic(topic)));
    source.onerror = () => {
      setStatus("reconnecting", "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the server answered with an error): try again ourselves, backing off.
        source = null;
        setTimeout(() => {
          fetch("/fragments/queue", { credentials: "same-origin" }).then((r) => {
            if (r.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
            connect();
          }).catch(() => setTimeout(connect, retry));
        }, retry);
        retry = Math.min(retry * 2, 15000);
      }
    };
  }

  // ---- dialogs, copy, auto-submitting filters ----
  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.dialog);
      if (dialog) { dialog.showModal(); const cancel = dialog.querySelector("[data-close]"); if (cancel) cancel.focus(); }
      return;
    }
    const closer = event.target.closest("[data-close]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    const copyFrom = event.target.closest("[data-copy-from]");
    if (copyFrom) {
      const input = document.getElementById(copyFrom.dataset.copyFrom);
      copy(input.value, copyFrom, input);
      return;
    }
    const copyText = event.target.closest("[data-copy-text]");
    if (copyText) {
      copy(copyText.dataset.copyText, copyText);
      return;
    }
    const copyUrl = event.target.closest("[data-copy-url]");
    if (copyUrl) {
      fetch(copyUrl.dataset.copyUrl, { credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } })
        .then((r) => (r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status))))
        .then((value) => copy(value, copyUrl))
        .catch(() => flashButton(copyUrl, "Could not copy"));
    }
  });
  document.addEventListener("close", (event) => {
    // A dialog closed: sections that skipped a live refresh while it was open catch up now.
    if (event.target.tagName === "DIALOG") pending.forEach((id) => { const el = document.getElementById(id); if (el) refresh(el); });
  }, true);
  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
    const site = event.target.closest("[data-site-select]");
    if (site) filterFleets(site);
  });
  function filterFleets(siteSelect) {
    const fleet = document.getElementById(siteSelect.dataset.siteSelect);
    if (!fleet) return;
    let first = null;
    fleet.querySelectorAll("option").forEach((o) => {
      const match = o.dataset.site === siteSelect.value;
      o.hidden = !match; o.disabled = !match;
      if (match && !first) first = o;
    });
    fleet.querySelectorAll("optgroup").forEach((g) => { g.hidden = g.dataset.site !== undefined && g.dataset.site !== siteSelect.value; });
    if (fleet.selectedOptions.length === 0 || fleet.selectedOptions[0].disabled) fleet.value = first ? first.value : "";
  }
  function copy(text, button, input) {
    const done = () => flashButton(button, "Copied");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, input) && done());
    } else if (fallbackCopy(text, input)) {
      done();
    }
  }
  function fallbackCopy(text, input) {
    const field = input || Object.assign(document.createElement("textarea"), { value: text });
    if (!input) document.body.appendChild(field);
    field.select();
    const ok = document.execCommand && document.execCommand("copy");
    if (!input) field.remove();
    return ok;
  }
  function flashButton(button, text) {
    const label = button.getAttribute("aria-label");
    const old = button.dataset.label || button.textContent;
    button.dataset.label = old;
    button.classList.add("copied");
    if (button.textContent.trim()) button.textContent = text;
    button.setAttribute("data-copied", text);
    announce(text);
    setTimeout(() => {
      button.classList.remove("copied");
      if (button.textContent.trim()) button.textContent = old;
      button.removeAttribute("data-copied");
      if (label) button.setAttribute("aria-label", label);
    }, 2000);
  }

  // Copy feedback for screen readers: a polite live region, emptied first so the same words are announced again.
  function announce(text) {
    let region = document.getElementById("announcer");
    if (!region) {
      region = Object.assign(document.createElement("div"), { id: "announcer", className: "visually-hidden" });
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      document.body.appendChild(region);
    }
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  document.addEventListener("DOMContentLoaded", () => {
    announce("");
    refreshTimes();
    document.querySelectorAll("[data-site-select]").forEach(filterFleets);
    // A link to a closed <details> (e.g. /jobs#submit) opens it.
    const target = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "DETAILS") target.open = true;
    connect();
  });
})();
