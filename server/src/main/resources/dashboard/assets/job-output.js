// The job page's Output panel: follows GET /api/jobs/{id}/output?follow=true (server-sent events) and appends each
// chunk in order, stderr marked apart, until the server's `end` event. The panel sits outside the page's live
// section, so the live refresh (beacon.js) never replaces it. An EventSource that loses the connection reconnects by
// itself and sends Last-Event-ID, so no chunk is shown twice or lost.
(() => {
  "use strict";
  const panel = document.querySelector("[data-job-output]");
  if (!panel || !window.EventSource) return;
  const out = panel.querySelector("[data-testid=live-output]");
  const state = panel.querySelector("[data-output-state]");
  let chunks = 0;
  let truncated = false;

  const nearBottom = () => out.scrollHeight - out.scrollTop - out.clientHeight < 40;
  const say = (text) => { if (state.textContent !== text) state.textContent = text; };

  const append = (chunk) => {
    const follow = nearBottom();
    const piece = document.createElement("span");
    piece.className = "out-" + chunk.stream;
    piece.dataset.chunk = chunk.id;
    piece.textContent = chunk.data;
    out.appendChild(piece);
    chunks++;
    if (follow) out.scrollTop = out.scrollHeight;
  };

  const markTruncated = () => {
    if (truncated) return;
    truncated = true;
    const mark = document.createElement("span");
    mark.className = "out-truncated";
    mark.dataset.testid = "output-truncated";
    mark.textContent = "\n[output truncated: the rest was not kept]\n";
    out.appendChild(mark);
  };

  const source = new EventSource("/api/jobs/" + encodeURIComponent(panel.dataset.jobOutput) + "/output?follow=true");
  source.addEventListener("chunk", (event) => {
    append(JSON.parse(event.data));
    if (chunks === 1) say("Streaming from the machine while the job runs.");
  });
  source.addEventListener("truncated", markTruncated);
  source.addEventListener("end", (event) => {
    source.close();
    const end = JSON.parse(event.data);
    if (end.truncated) markTruncated();
    panel.dataset.ended = end.status;
    say(chunks === 0 ? "The job ended without streaming any output." : "The job ended (" + end.status.replace("_", " ") + ").");
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) say("The output stream stopped; reload the page to see the rest.");
  });
})();
