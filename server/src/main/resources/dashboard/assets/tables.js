// Beacon dashboard tables: on a phone each row is shown as a card (beacon.css), whose cells need their column's name;
// this copies each header's text into its cells' data-label. A table wider than its box scrolls inside it, and is
// then made reachable from the keyboard (tabindex, role=region, a label from its caption). Runs at load, after every
// live refresh (new rows arrive as new elements) and on resize. Long code and output boxes (pre.code) get the same
// treatment when they scroll. Without this file the cards show without labels.
(function () {
  "use strict";
  function label(table) {
    const head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    const names = [];
    for (const cell of head.cells) {
      const name = cell.textContent.trim();
      for (let i = 0; i < (cell.colSpan || 1); i++) names.push(name);
    }
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          if (!cell.hasAttribute("data-label") && names[column]) cell.setAttribute("data-label", names[column]);
          column += cell.colSpan || 1;
        }
      }
    }
  }
  function name(box) {
    const caption = box.querySelector("caption");
    if (caption) return caption.textContent.trim();
    const section = box.closest("section");
    const heading = section && section.querySelector("h2, h3");
    return heading ? heading.textContent.trim() : "Scrolling box";
  }
  function reachable(wrap) {
    const style = getComputedStyle(wrap);
    const canScroll = (overflow) => overflow === "auto" || overflow === "scroll";
    const scrolls = (canScroll(style.overflowX) && wrap.scrollWidth > wrap.clientWidth + 1)
      || (canScroll(style.overflowY) && wrap.scrollHeight > wrap.clientHeight + 1);
    if (scrolls && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", name(wrap) + " (scrolls)");
      wrap.dataset.scrollRegion = "";
    } else if (!scrolls && wrap.dataset.scrollRegion !== undefined) {
      ["tabindex", "role", "aria-label", "data-scroll-region"].forEach((attribute) => wrap.removeAttribute(attribute));
    }
  }
  function update(root) {
    root.querySelectorAll("table").forEach(label);
    document.querySelectorAll(".table-wrap, pre.code").forEach(reachable);
  }
  let queued = false;
  function soon() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; update(document); });
  }
  document.addEventListener("DOMContentLoaded", () => {
    update(document);
    new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
    window.addEventListener("resize", soon);
  });
})();
