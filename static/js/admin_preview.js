// Live preview on the question admin page: posts the form as typed to the admin preview view
// (which never saves) and swaps in the question as the learner would see it.
(function () {
  "use strict";

  const DELAY_MS = 400;

  function start() {
    const panel = document.getElementById("question-preview");
    const form = document.getElementById("question_form");
    if (!panel || !form) {
      return;
    }
    const body = panel.querySelector(".preview-body");
    const url = panel.dataset.previewUrl;
    const tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
    let timer = null;
    let controller = null;

    async function refresh() {
      if (controller) {
        controller.abort(); // only the latest typing matters
      }
      controller = new AbortController();
      const wasOpen = body.querySelector("details[open]") !== null;
      try {
        const response = await fetch(url, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "" },
          credentials: "same-origin",
          signal: controller.signal,
        });
        if (!response.ok) {
          panel.classList.add("preview-failed");
          return;
        }
        body.innerHTML = await response.text();
        panel.classList.remove("preview-failed");
        const details = body.querySelector("details");
        if (details && wasOpen) {
          details.open = true;
        }
      } catch (error) {
        if (error.name !== "AbortError") {
          panel.classList.add("preview-failed");
        }
      }
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    // Adding or deleting an inline choice row changes the form without an input event.
    document.addEventListener("formset:added", schedule);
    document.addEventListener("formset:removed", schedule);
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
